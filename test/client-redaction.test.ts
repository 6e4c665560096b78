/**
 * Secrets never appear in an error, a log line or a span: every operation is run, succeeding
 * and failing in every way, under a tracer and a logger that keep everything, and the lot is
 * searched for the secrets (and for their base64, as basic auth would carry them).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Redacted from "effect/Redacted"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import * as Auth from "../src/services/Auth.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import { recorded } from "./support/recording.js"
import { type Answer, clientLayer, json, scripted, user } from "./support/scripted.js"
import * as Transport from "./support/transport.js"

const secrets = {
  password: "Pa55word-Alpha-91",
  newPassword: "Pa55word-Beta-92",
  appSecret: "app-secret-Gamma-93",
  orgSecret: "org-secret-Delta-94",
  devToken: "dev-token-Epsilon-95",
  userToken: "user-jwt-Zeta-96"
}
const forms = Object.values(secrets).flatMap((s) => [s, Buffer.from(s).toString("base64"), encodeURIComponent(s)])
const basicForms = [
  Buffer.from(`app-key:${secrets.appSecret}`).toString("base64"),
  Buffer.from(`org-key:${secrets.orgSecret}`).toString("base64")
]

const credentials = [
  Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "app-key", secret: secrets.appSecret })),
  Either.getOrThrow(
    Credentials.AdminCredential.organisationKeys({ applicationId: "app-1", keyId: "org-key", secret: secrets.orgSecret })
  ),
  Either.getOrThrow(Credentials.AdminCredential.developerToken({ applicationId: "app-1", token: secrets.devToken }))
]

const every = (users: Users.Service, auth: Auth.Service) => {
  const password = Redacted.make(secrets.password)
  const newPassword = Redacted.make(secrets.newPassword)
  const admin = credentials.flatMap((c) =>
    [
      users.create({ username: "a@b.co" }),
      users.getById("u-1"),
      users.getByUsername("a@b.co"),
      users.delete("u-1")
    ].map((e) => Credentials.withAdmin(e as Effect.Effect<unknown, unknown, Credentials.AdminAuth>, c))
  )
  return [
    users.register({ name: "A", username: "a@b.co", email: "a@b.co", password }),
    users.requestVerificationCode({ username: "a@b.co", password }),
    users.verify({ username: "a@b.co", password, code: "1234" }),
    users.requestPasswordReset({ username: "a@b.co" }),
    users.resetPassword({ username: "a@b.co", code: "1234", newPassword }),
    auth.login({ username: "a@b.co", password }),
    auth.check(Redacted.make(secrets.userToken)),
    auth.renew(Redacted.make(secrets.userToken)),
    auth.revoke(Redacted.make(secrets.userToken)),
    users.changeUsername({ userId: "u-1", username: "b@b.co" }).pipe(
      Session.withSession({ username: "a@b.co", password })
    ),
    // Bad input that holds a secret.
    users.register({ name: "A", username: "a@b.co", email: secrets.password, password }),
    users.verify({ username: "a@b.co", password: secrets.password as any, code: "1234" })
  ].concat(admin as any) as unknown as ReadonlyArray<Effect.Effect<unknown, unknown, never>>
}

const scenarios: ReadonlyArray<readonly [string, (path: string, method: string) => Answer]> = [
  ["success", (path, method) =>
    path.endsWith("/auth") && method === "POST"
      ? json(200, { valid: true, token: secrets.userToken, exp: 4102444800, applicationId: "app-1" })
      : path.endsWith("/auth/newToken")
      ? json(200, { valid: true, token: secrets.userToken, exp: 4102444800 })
      : path.endsWith("/auth")
      ? json(200, { valid: true, exp: 4102444800 })
      : path.includes("/verify") && method === "PUT"
      ? json(200, { valid: true, status: "active", userId: "u-1" })
      : path.includes("/user/u-1") || path.includes("/user?") || path.endsWith("/user") || path.endsWith("/register")
      ? (method === "DELETE" ? json(200, { valid: true }) : json(200, user()))
      : json(200, { valid: true })],
  ["400", () => json(400, { error: "missing elements" })],
  ["401", () => json(401, { valid: false })],
  ["500", () => json(500, { error: "An error has occurred" })],
  ["502", () => ({ status: 502, body: "bad gateway" })],
  ["echo", () => json(200, { token: 12, echoed: secrets.password })],
  ["drop", () => "drop"]
]

describe("redaction", () => {
  it.scopedLive("no secret in any error, log line or span, whatever happens", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const outputs: Array<string> = []
        const failures: Record<string, number> = {}
        for (const [name, answer] of scenarios) {
          const server = yield* scripted((r) => answer(r.url, r.method))
          const exits = yield* Effect.all([Users.Users, Auth.Auth]).pipe(
            Effect.flatMap(([users, auth]) =>
              Effect.forEach(every(users, auth), (e) => Effect.exit(e), { concurrency: 4 })
            ),
            Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 1, baseDelay: "1 millis" } }))
          )
          for (const exit of exits) {
            if (Exit.isFailure(exit)) {
              const error = Cause.squash(exit.cause)
              outputs.push(
                Cause.pretty(exit.cause),
                JSON.stringify(error),
                String(error),
                Inspectable.format(error),
                (error as Error).message
              )
            }
          }
          failures[name] = exits.filter(Exit.isFailure).length
        }
        const everything = [...outputs, recording.dump()].join("\n")
        // Every scenario leaves errors to search: all 24 calls fail in each failing one; in
        // "success", the two with bad input (refused before sending) and the rename (its
        // answer here is not what the rename returns).
        expect(failures).toEqual({ success: 3, "400": 24, "401": 24, "500": 24, "502": 24, echo: 24, drop: 24 })
        expect(recording.spans.some((s) => s.name.startsWith("Glowmarkt."))).toBe(true)
        // The platform's client spans would end with the request (body and headers) in their exit.
        expect(recording.spans.some((s) => s.name.startsWith("http.client"))).toBe(false)
        const leaks = [...forms, ...basicForms].flatMap((form) => {
          const at = everything.indexOf(form)
          return at === -1 ? [] : [`${form}: ...${everything.slice(Math.max(0, at - 200), at + 50)}`]
        })
        expect(leaks).toEqual([])
      })
    ))

  it.scoped("secret headers are redacted wherever headers are printed, and spans name the operation", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, user()))
        // A caller's own logging middleware, printing every request's headers.
        const logging = Layer.effect(
          HttpClient.HttpClient,
          Effect.map(
            HttpClient.HttpClient,
            HttpClient.transform((response, request) => Effect.zipRight(Effect.logInfo("request", request.headers), response))
          )
        ).pipe(Layer.provide(Transport.layer))
        for (const credential of credentials) {
          yield* Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(
            Credentials.withAdmin(credential),
            Effect.provide(
              Glowmarkt.layer.pipe(
                Layer.provide(GlowmarktConfig.layer({ baseUrl: server.baseUrl, applicationId: "app-1" })),
                Layer.provide(logging),
                Layer.orDie
              )
            )
          )
        }
        const printed = recording.logs.filter((l) => l.includes("request")).join("\n")
        expect(printed).toContain("authorization")
        expect(printed).toContain("token")
        expect(printed).toContain("applicationid")
        expect(printed).toContain("<redacted>")
        for (const form of [...forms, ...basicForms, "app-1"]) expect(printed).not.toContain(form)
        const span = recording.spans.find((s) => s.name === "Glowmarkt.getUserbyId")!
        expect(span.attributes.get("glowmarkt.operation")).toBe("getUserbyId")
        expect(span.attributes.get("glowmarkt.attempts")).toBe(1)
        expect(span.attributes.get("http.response.status_code")).toBe(200)
      })
    ))
})

describe("Credentials.layerRedactHeaders", () => {
  it.effect("redacts token and applicationId for the whole program, not only inside the library's calls", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const headers = Headers.fromInput({ token: secrets.userToken, applicationid: "app-1", accept: "json" })
        yield* Effect.logInfo("outside", headers).pipe(Effect.provide(Credentials.layerRedactHeaders))
        const line = recording.logs.find((l) => l.includes("outside"))!
        expect(line).toContain("<redacted>")
        expect(line).toContain("json")
        expect(line).not.toContain(secrets.userToken)
        expect(line).not.toContain("app-1")
      })
    ))
})
