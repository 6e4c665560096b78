/**
 * Bad input is refused before anything is sent, with an error naming the field; what is sent is
 * encoded so that it reaches the right route as one segment.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../src/services/Credentials.js"
import * as Auth from "../src/services/Auth.js"
import * as Users from "../src/services/Users.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import { clientLayer, json, scripted, user } from "./support/scripted.js"
import * as Transport from "./support/transport.js"

const admin = Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "app-secret-xyz" })
const adminCredential = admin._tag === "Right" ? admin.right : undefined!
const pw = Redacted.make("correct horse")

describe("bad input is refused before sending", () => {
  const cases: ReadonlyArray<
    readonly [string, string, (u: Users.Service, a: Auth.Service) => Effect.Effect<unknown, { _tag: string }, Credentials.AdminAuth>]
  > = [
    ["empty username", "username", (u) => u.requestPasswordReset({ username: "   " })],
    ["3-digit code", "code", (u) => u.verify({ username: "a@b.co", password: pw, code: "123" })],
    ["5-digit code", "code", (u) => u.resetPassword({ username: "a@b.co", code: "12345", newPassword: pw })],
    ["letters in a code", "code", (u) => u.verify({ username: "a@b.co", password: pw, code: "12a4" })],
    [
      "a non-email as email",
      "email",
      (u) => u.register({ name: "A", username: "a@b.co", email: "not-an-email", password: pw })
    ],
    [
      "a password of whitespace",
      "password",
      (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make("   ") })
    ],
    [
      "a plain-string password",
      "password",
      (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: "hunter2" as any })
    ],
    ["an empty name", "name", (u) => u.register({ name: " ", username: "a@b.co", email: "a@b.co", password: pw })],
    ["a userId with a control character", "userId", (u) => u.getById("abc\u0007def")],
    ["a userId with CR/LF", "userId", (u) => u.delete("abc\r\nX-Injected: 1")],
    ["a userId of ..", "userId", (u) => u.getById("..")],
    ["an empty userId", "userId", (u) => u.getById("")],
    ["an applicationId with a space inside", "applicationId", (u) => u.requestPasswordReset({ username: "a@b.co", applicationId: " app" })],
    ["a token with CR/LF", "token", (_, a) => a.check(Redacted.make("abc\r\nX-Injected: 1"))],
    ["an empty token", "token", (_, a) => a.check(Redacted.make(""))]
  ]

  for (const [name, field, run] of cases) {
    it.scoped(`${name} → InvalidInputError(${field}), nothing sent`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, user()))
        const result = yield* Effect.all([Users.Users, Auth.Auth]).pipe(
          Effect.flatMap(([u, a]) => run(u, a)),
          Credentials.withAdmin(adminCredential),
          Effect.flip,
          Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
        )
        expect(result).toMatchObject({ _tag: "InvalidInputError", field })
        expect((result as any).message).toContain(field)
        expect((result as any).message).toContain("nothing was sent")
        expect((result as any).message).not.toContain("hunter2")
        expect(server.requests).toHaveLength(0)
      }))
  }

  it.scoped("a missing applicationId, with none configured, is named", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, { valid: true }))
      const error = yield* Effect.flatMap(Users.Users, (u) => u.requestPasswordReset({ username: "a@b.co" })).pipe(
        Effect.flip,
        Effect.provide(Users.layer.pipe(Layer.provide(clientConfigWithout(server.baseUrl)), Layer.orDie))
      )
      expect(error).toMatchObject({ _tag: "InvalidInputError", field: "applicationId" })
      expect(error.message).toContain("GLOWMARKT_APPLICATION_ID")
      expect(server.requests).toHaveLength(0)
    }))

  it.scoped("usernames are trimmed and lowercased before sending", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, { valid: true }))
      yield* Effect.flatMap(Users.Users, (u) => u.requestPasswordReset({ username: "  Scotty@Enterprise.ST " })).pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(JSON.parse(server.requests[0]!.body)).toEqual({ username: "scotty@enterprise.st", applicationId: "app-1" })
    }))
})

/** A client configured with no default applicationId or directoryId. */
const clientConfigWithout = (baseUrl: string) =>
  Layer.merge(GlowmarktConfig.layer({ baseUrl }), Transport.layer)

describe("encoding", () => {
  const ids = ["../x", "a/b", "x?y=1", "%2F", "50%", "naïve-ünïcödé-✓", "a#b", "a b", "a+b", "%", "?", "#", "..x", ".x."]

  it.scoped("path parameters travel as one segment, percent-encoded", () =>
    Effect.gen(function*() {
      const server = yield* scripted((r) => json(200, user(decodeURIComponent(r.url.split("/").pop()!))))
      for (const id of ids) {
        const got = yield* Effect.flatMap(Users.Users, (u) => u.getById(id)).pipe(
          Credentials.withAdmin(adminCredential),
          Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
        )
        expect(got.userId).toBe(id)
        const last = server.requests[server.requests.length - 1]!
        expect(last.url).toBe(`/api/v0-1/user/${encodeURIComponent(id)}`)
      }
    }))

  it.scoped("the username query is encoded so that the server reads it back exactly", () =>
    Effect.gen(function*() {
      const server = yield* scripted((r) => json(200, user(new URL(r.url, "http://x").searchParams.get("username")!)))
      for (const name of ["a+b@x.co", "a&b=c@x.co", "a b@x.co", "ü@x.co", "a%20b@x.co", "a#b@x.co"]) {
        const got = yield* Effect.flatMap(Users.Users, (u) => u.getByUsername(name)).pipe(
          Credentials.withAdmin(adminCredential),
          Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
        )
        expect(got.userId).toBe(name)
      }
    }))
})
