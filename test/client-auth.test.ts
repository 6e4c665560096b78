/**
 * Layered auth: each admin alternative sends exactly its headers, a user session sends
 * `applicationId` + `token`, public calls send none, and a program that calls an admin
 * operation without a credential does not compile.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Auth from "../src/services/Auth.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import { clientLayer, json, scripted, user } from "./support/scripted.js"

const unwrap = <A, E>(e: Either.Either<A, E>): A => Either.getOrThrowWith(e, (l) => l)

const appKeys = unwrap(Credentials.AdminCredential.appKeys({ keyId: "app-key", secret: "app-secret" }))
const orgKeys = unwrap(
  Credentials.AdminCredential.organisationKeys({ applicationId: "app-9", keyId: "org-key", secret: "org-secret" })
)
const devToken = unwrap(Credentials.AdminCredential.developerToken({ applicationId: "app-9", token: "dev-token-1" }))

const authHeaders = ["authorization", "applicationid", "token"] as const
const present = (headers: Record<string, unknown>) => authHeaders.filter((h) => headers[h] !== undefined)

// ---------------------------------------------------------------------------------------------
// Type-level proof: these lines are checked by `tsc` (run by `npm test` before vitest).

const lookup = Effect.flatMap(Users.Users, (u) => u.getById("u-1"))
// An admin call needs AdminAuth: without it, the program is not runnable with only Users.
// @ts-expect-error AdminAuth is missing from the context
export const withoutCredential: Effect.Effect<unknown, unknown, Users.Users> = lookup
export const withCredential: Effect.Effect<unknown, unknown, Users.Users> = Credentials.withAdmin(lookup, appKeys)

const rename = Effect.flatMap(Users.Users, (u) => u.changeUsername({ userId: "u-1", username: "new@x.co" }))
// @ts-expect-error UserSession is missing from the context
export const renameWithoutSession: Effect.Effect<unknown, unknown, Users.Users> = rename

const register = Effect.flatMap(Users.Users, (u) =>
  u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make("pw") }))
// Public calls need nothing but the service.
export const registerNeedsNothing: Effect.Effect<unknown, unknown, Users.Users> = register

// ---------------------------------------------------------------------------------------------

describe("auth matrix", () => {
  const basic = (id: string, secret: string) => "Basic " + Buffer.from(`${id}:${secret}`).toString("base64")
  const alternatives = [
    ["app keys", appKeys, { authorization: basic("app-key", "app-secret") }],
    ["organisation keys", orgKeys, { authorization: basic("org-key", "org-secret"), applicationid: "app-9" }],
    ["developer token", devToken, { applicationid: "app-9", token: "dev-token-1" }]
  ] as const

  for (const [name, credential, expected] of alternatives) {
    it.scoped(`${name} send exactly their headers`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, user()))
        yield* lookup.pipe(Credentials.withAdmin(credential), Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
        const headers = server.requests[0]!.headers
        // The credential headers sent, with their values: exactly these, no other.
        expect(Object.fromEntries(present(headers).map((h) => [h, headers[h]]))).toEqual(expected)
      }))
  }

  it.scoped("credentials can differ per call in one process", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      yield* Effect.all([
        lookup.pipe(Credentials.withAdmin(appKeys)),
        lookup.pipe(Credentials.withAdmin(devToken))
      ], { concurrency: 2 }).pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
      const seen = server.requests.map((r) => present(r.headers).sort().join("+")).sort()
      expect(seen).toEqual(["applicationid+token", "authorization"])
    }))

  it.scoped("a layer provides one credential to everything built on it", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      yield* lookup.pipe(
        Effect.provide(Layer.merge(clientLayer({ baseUrl: server.baseUrl }), Credentials.layerAdmin(orgKeys)))
      )
      expect(present(server.requests[0]!.headers).sort()).toEqual(["applicationid", "authorization"])
    }))

  it.scoped("public calls send no credential", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user("u-1", "unverified")))
      yield* register.pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
      expect(present(server.requests[0]!.headers)).toEqual([])
    }))

  it.scoped("a session sends applicationId and its token, nothing else", () =>
    Effect.gen(function*() {
      const server = yield* scripted((r) =>
        r.url.endsWith("/auth") && r.method === "POST"
          ? json(200, { valid: true, token: "user-jwt-1", exp: 4102444800, accountId: "acc-1", applicationId: "app-1" })
          : json(200, { valid: true })
      )
      yield* rename.pipe(
        Session.withSession({ username: "a@b.co", password: Redacted.make("pw") }),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      const login = server.requests[0]!
      expect(present(login.headers)).toEqual(["applicationid"])
      const put = server.requests[1]!
      expect(put.method).toBe("PUT")
      expect(put.url).toBe("/api/v0-1/user/u-1/username")
      expect(present(put.headers).sort()).toEqual(["applicationid", "token"])
      expect(put.headers.token).toBe("user-jwt-1")
      expect(JSON.parse(put.body)).toEqual({ username: "new@x.co", status: "active" })
    }))

  it("credentials with a header-breaking value are refused when built", () => {
    const bad = [
      Credentials.AdminCredential.appKeys({ keyId: "a:b", secret: "s" }),
      Credentials.AdminCredential.appKeys({ keyId: "a\r\nX: y", secret: "s" }),
      Credentials.AdminCredential.appKeys({ keyId: "a", secret: "" }),
      Credentials.AdminCredential.developerToken({ applicationId: "app", token: "t\r\nX: y" }),
      Credentials.AdminCredential.developerToken({ applicationId: "app\n", token: "t" }),
      Credentials.AdminCredential.organisationKeys({ applicationId: "", keyId: "k", secret: "s" })
    ]
    for (const result of bad) expect(result).toMatchObject({ _tag: "Left", left: { _tag: "InvalidConfigError" } })
  })

  it("a wiped Redacted secret or token is refused when built, not thrown", () => {
    const wiped = (value: string) => {
      const r = Redacted.make(value)
      Redacted.unsafeWipe(r)
      return r
    }
    const built = [
      ["AppKeys.secret", () => Credentials.AdminCredential.appKeys({ keyId: "k", secret: wiped("s3cret") })],
      ["OrganisationKeys.secret", () => Credentials.AdminCredential.organisationKeys({ applicationId: "app", keyId: "k", secret: wiped("s3cret") })],
      ["DeveloperToken.token", () => Credentials.AdminCredential.developerToken({ applicationId: "app", token: wiped("s3cret") })]
    ] as const
    for (const [setting, build] of built) {
      expect(build()).toMatchObject({ _tag: "Left", left: { _tag: "InvalidConfigError", setting } })
    }
  })

  it.effect("admin credentials come from the environment, secrets redacted", () =>
    Effect.gen(function*() {
      const { ConfigProvider } = yield* Effect.promise(() => import("effect"))
      const read = (env: Record<string, string>) =>
        Effect.flip(Effect.withConfigProvider(Credentials.adminConfig, ConfigProvider.fromMap(new Map(Object.entries(env)))))
      const ok = yield* Effect.withConfigProvider(
        Credentials.adminConfig,
        ConfigProvider.fromMap(new Map([["GLOWMARKT_APPLICATION_ID", "app-3"], ["GLOWMARKT_DEV_TOKEN", "tok-3"]]))
      )
      expect(ok).toMatchObject({ _tag: "DeveloperToken", applicationId: "app-3" })
      expect(ok._tag === "DeveloperToken" && Redacted.value(ok.token)).toBe("tok-3")
      expect(String(ok)).not.toContain("tok-3")
      const missing = yield* read({})
      expect(String(missing)).toContain("GLOWMARKT_APP_KEY_ID")
    }))

  void Auth
})
