/**
 * The simulator, checked over real loopback sockets with plain HTTP (independently of the client).
 */
import * as HttpApi from "@effect/platform/HttpApi"
import { describe, expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberStatus from "effect/FiberStatus"
import * as Option from "effect/Option"
import * as Supervisor from "effect/Supervisor"
import { GlowmarktApi } from "../src/schema/GlowmarktApi.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Routes from "../src/testing/internal/routes.js"
import * as Simulator from "../src/testing/Simulator.js"
import { basic, request } from "./support/plainHttp.js"
import {
  activeUser,
  api,
  appKeys,
  claimsOf,
  control,
  login,
  register,
  requestCode,
  session,
  verify
} from "./support/simulatorHttp.js"

/**
 * Yields until every fiber the supervisor tracks is suspended (none is left with work to do
 * before it waits). Used where the thing waited on is in memory: no I/O or clock is involved.
 */
const allSuspended = (supervisor: Supervisor.Supervisor<Array<Fiber.RuntimeFiber<unknown, unknown>>>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      const fibers = yield* supervisor.value
      const statuses = yield* Effect.forEach(fibers, (fiber) => fiber.status)
      if (fibers.length > 0 && statuses.every(FiberStatus.isSuspended)) return
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("the forked fibers never all waited")
  })

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/

describe("Simulator: seed", () => {
  it.live("seeds a demo application, directory, keys and a developer token, deterministically", () =>
    Effect.gen(function*() {
      const infoOf = (seed: string) =>
        Effect.map(Simulator.info, ({ baseUrl: _b, origin: _o, ...rest }) => rest).pipe(
          Effect.provide(Simulator.layerServer({ seed }))
        )
      const a = yield* infoOf("one")
      const b = yield* infoOf("one")
      const c = yield* infoOf("two")
      expect(a).toEqual(b)
      expect(a.applicationId).not.toEqual(c.applicationId)
      expect(a.applicationId).toMatch(uuid)
      expect(a.directoryId).toMatch(uuid)
      expect(a.appKeys.keyId).toMatch(uuid)
      expect(a.organisationKeys.keyId).toMatch(uuid)
      expect(a.developerToken.split(".")).toHaveLength(3)
    }))

  it("routes every endpoint of the declaration to its operationId (static paths before parameters)", () => {
    const seen: Array<string> = []
    HttpApi.reflect(GlowmarktApi, {
      onGroup: () => {},
      onEndpoint: ({ endpoint }) => {
        const path = endpoint.path.replace(/:[A-Za-z]+/g, "some-id")
        expect(Routes.match(endpoint.method, path)?.operationId, `${endpoint.method} ${path}`).toBe(endpoint.name)
        seen.push(endpoint.name)
      }
    })
    expect(seen.sort()).toEqual([...Faults.operationIds].sort())
  })
})

layer(Simulator.layerServer({ seed: "main" }), { excludeTestServices: true })("Simulator", (it) => {
  it.effect("serves its info on the control route, baseUrl under /api/v0-1 on loopback", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v0-1$/)
      expect(info.baseUrl).toBe(`${info.origin}/api/v0-1`)
      const res = yield* control(info, "/info")
      expect(res.json).toEqual(info)
    }))

  describe("register and verify", () => {
    it.effect("register creates an unverified user and emails a 4-digit code", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const res = yield* register(info, " Reg.One@Example.com ")
        expect(res.status).toBe(200)
        expect(res.json).toMatchObject({ status: "unverified", active: false })
        expect(res.json.userId).toMatch(uuid)
        expect(res.json.applications).toEqual([
          { accountId: expect.stringMatching(uuid), active: true, applicationId: info.applicationId }
        ])
        const inbox = yield* Inbox.Inbox
        const message = yield* inbox.next("reg.one@example.com")
        expect(message).toMatchObject({ to: "reg.one@example.com", kind: "verification" })
        expect(message.code).toMatch(/^\d{4}$/)
        const overHttp = yield* control(info, "/inbox/REG.ONE%40example.com")
        expect(overHttp.json).toEqual([{ ...message, sentAt: message.sentAt.toISOString() }])
        const user = yield* Effect.flatMap(Simulator.Simulator, (s) => s.user("reg.one@example.com"))
        expect(Option.getOrThrow(user)).toMatchObject({ status: "unverified", pendingCodes: ["verification"] })
      }))

    it.effect("a username already registered in the directory is refused (compared trimmed, lowercase)", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        expect((yield* register(info, "dup@example.com")).status).toBe(200)
        const again = yield* register(info, "  DUP@Example.com")
        expect(again.status).toBe(400)
        expect(again.json).toEqual({ error: "user already exists" })
      }))

    it.effect("the right code activates; a new code voids the previous one; reuse is refused", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "verify@example.com"
        const registered = yield* register(info, user)
        const first = yield* inbox.next(user)
        const resent = yield* requestCode(info, user)
        expect(resent.status).toBe(200)
        expect(resent.json).toEqual({ valid: true })
        const second = yield* inbox.next(user)
        expect(second.code).not.toBe(first.code)
        const old = yield* verify(info, user, first.code)
        expect(old.status).toBe(400)
        expect(old.json).toEqual({ error: "invalid token" })
        const ok = yield* verify(info, user, second.code)
        expect(ok.status).toBe(200)
        expect(ok.json).toEqual({ status: "active", userId: registered.json.userId, valid: true })
        const reused = yield* verify(info, user, second.code)
        expect(reused.status).toBe(400)
        expect(reused.json).toEqual({ error: "user already verified" })
        const more = yield* requestCode(info, user)
        expect(more.status).toBe(400)
        expect(more.json).toEqual({ error: "user already verified" })
      }))

    it.effect("a wrong password on POST or PUT /user/verify is 401, and sends nothing", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "wrongpw@example.com"
        yield* register(info, user)
        const code = yield* inbox.next(user)
        const post = yield* requestCode(info, user, "not-it")
        expect(post.status).toBe(401)
        expect(post.json).toEqual({ error: "Access denied" })
        const put = yield* verify(info, user, code.code, "not-it")
        expect(put.status).toBe(401)
        expect(yield* inbox.poll(user)).toEqual(Option.none())
        const unknown = yield* requestCode(info, "nobody@example.com")
        expect(unknown.status).toBe(401)
      }))

    it.effect("wrong codes are limited: the 5th voids the code, a new one must be requested", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "attempts@example.com"
        yield* register(info, user)
        const { code } = yield* inbox.next(user)
        const wrong = code === "0000" ? "1111" : "0000"
        for (let i = 1; i <= 4; i++) {
          const res = yield* verify(info, user, wrong)
          expect(res.json).toEqual({ error: "invalid token" })
        }
        const fifth = yield* verify(info, user, wrong)
        expect(fifth.status).toBe(400)
        expect(fifth.json).toEqual({ error: "too many attempts, request a new token" })
        const right = yield* verify(info, user, code)
        expect(right.status).toBe(400)
        expect(right.json).toEqual({ error: "no valid token, request a new one" })
        yield* requestCode(info, user)
        const fresh = yield* inbox.next(user)
        expect((yield* verify(info, user, fresh.code)).status).toBe(200)
      }))
  })

  describe("login and tokens", () => {
    it.effect("only active users log in; bad credentials are 401 {valid:false}", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "login@example.com"
        yield* register(info, user)
        const unverified = yield* login(info, user)
        expect(unverified.status).toBe(401)
        expect(unverified.json).toEqual({ valid: false })
        yield* verify(info, user, (yield* inbox.next(user)).code)
        const wrong = yield* login(info, user, "nope")
        expect(wrong.status).toBe(401)
        expect(wrong.json).toEqual({ valid: false })
        const nobody = yield* login(info, "nobody@example.com")
        expect(nobody.json).toEqual({ valid: false })
        const ok = yield* login(info, " LOGIN@example.com ")
        expect(ok.status).toBe(200)
        expect(ok.json).toMatchObject({ valid: true, applicationId: info.applicationId, name: "Test User" })
        const now = Math.floor(Date.now() / 1000)
        expect(ok.json.exp).toBeGreaterThanOrEqual(now + 7 * 86400 - 5)
        expect(ok.json.exp).toBeLessThanOrEqual(now + 7 * 86400 + 5)
        const header = JSON.parse(Buffer.from(ok.json.token.split(".")[0], "base64url").toString())
        expect(header).toEqual({ alg: "HS256", typ: "JWT" })
        const claims = claimsOf(ok.json.token)
        const snapshot = Option.getOrThrow(yield* Effect.flatMap(Simulator.Simulator, (s) => s.user(user)))
        expect(claims).toEqual({
          sub: snapshot.userId,
          accountId: ok.json.accountId,
          applicationId: info.applicationId,
          iat: expect.any(Number),
          exp: ok.json.exp,
          jti: expect.stringMatching(uuid)
        })
        const noHeader = yield* api(info, "/auth", { method: "POST", body: { username: user, password: "secret-1" } })
        expect(noHeader.status).toBe(400)
        expect(noHeader.json).toEqual({ error: "missing elements" })
      }))

    it.effect("GET /auth checks, newToken renews, deleteToken revokes", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        yield* activeUser(info, "tokens@example.com")
        const { json: { accountId, token } } = yield* login(info, "tokens@example.com")
        const check = yield* api(info, "/auth", { headers: session(info, token) })
        expect(check.status).toBe(200)
        expect(check.json).toEqual({ valid: true, exp: claimsOf(token).exp, accountId, applicationId: info.applicationId })
        const renewed = yield* api(info, "/auth/newToken", { headers: session(info, token) })
        expect(renewed.status).toBe(200)
        expect(renewed.json).toEqual({ valid: true, token: expect.any(String), exp: expect.any(Number) })
        expect(renewed.json.token).not.toBe(token)
        expect(claimsOf(renewed.json.token).jti).not.toBe(claimsOf(token).jti)
        const deleted = yield* api(info, "/auth/deleteToken", { method: "DELETE", headers: session(info, token) })
        expect(deleted.json).toEqual({ valid: true })
        const revoked = yield* api(info, "/auth", { headers: session(info, token) })
        expect(revoked.status).toBe(401)
        expect(revoked.json).toEqual({ error: "Access denied" })
        expect((yield* api(info, "/auth", { headers: session(info, renewed.json.token) })).status).toBe(200)
      }))

    it.effect("invalid, foreign-application, developer and missing tokens are 401 on session endpoints", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        yield* activeUser(info, "badtokens@example.com")
        const { json: { token } } = yield* login(info, "badtokens@example.com")
        const tampered = token.slice(0, -3) + (token.endsWith("AAA") ? "BBB" : "AAA")
        const cases = [
          { applicationId: info.applicationId, token: tampered },
          { applicationId: info.applicationId, token: "not-a-jwt" },
          { applicationId: "0537b17c-ab62-491c-8085-9ac2b6206346", token },
          { applicationId: info.applicationId, token: info.developerToken },
          { token },
          { applicationId: info.applicationId }
        ]
        for (const headers of cases) {
          const res = yield* api(info, "/auth", { headers })
          expect(res.status).toBe(401)
          expect(res.json).toEqual({ error: "Access denied" })
        }
      }))

    it.effect("PUT /user/{userId}/username needs that user's own token; a taken username is 400", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const alice = yield* activeUser(info, "alice@example.com")
        yield* activeUser(info, "bob@example.com")
        const aliceToken = (yield* login(info, "alice@example.com")).json.token
        const bobToken = (yield* login(info, "bob@example.com")).json.token
        const rename = (token: string, username: string) =>
          api(info, `/user/${alice}/username`, {
            method: "PUT",
            headers: session(info, token),
            body: { username, status: "active" }
          })
        const foreign = yield* rename(bobToken, "alice2@example.com")
        expect(foreign.status).toBe(401)
        expect(foreign.json).toEqual({ error: "Access denied" })
        const taken = yield* rename(aliceToken, "BOB@example.com")
        expect(taken.status).toBe(400)
        expect(taken.json).toEqual({ error: "user already exists" })
        const ok = yield* rename(aliceToken, " Alice2@Example.com ")
        expect(ok.status).toBe(200)
        expect(ok.json).toEqual({ valid: true })
        expect((yield* login(info, "alice2@example.com")).status).toBe(200)
        expect((yield* login(info, "alice@example.com")).status).toBe(401)
        const missing = yield* api(info, `/user/${alice}/username`, {
          method: "PUT",
          headers: session(info, aliceToken),
          body: { username: "alice3@example.com" }
        })
        expect(missing.json).toEqual({ error: "missing elements" })
      }))
  })

  describe("password reset", () => {
    it.effect("a reset code sets the new password; only the new one logs in; old tokens are revoked", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "reset@example.com"
        yield* activeUser(info, user, "old-password")
        const before = (yield* login(info, user, "old-password")).json.token
        const asked = yield* api(info, "/user/resetpassword", {
          method: "POST",
          body: { applicationId: info.applicationId, username: user }
        })
        expect(asked.json).toEqual({ valid: true })
        const message = yield* inbox.next(user, { kind: "passwordReset" })
        expect(message.kind).toBe("passwordReset")
        const reset = (token: string) =>
          api(info, "/user/resetpassword", {
            method: "PUT",
            body: { applicationId: info.applicationId, username: user, newPassword: "new-password", token }
          })
        const wrong = yield* reset(message.code === "9999" ? "0000" : "9999")
        expect(wrong.status).toBe(400)
        expect(wrong.json).toEqual({ error: "invalid token" })
        const ok = yield* reset(message.code)
        expect(ok.status).toBe(200)
        expect(ok.json).toEqual({ valid: true })
        expect((yield* login(info, user, "old-password")).status).toBe(401)
        expect((yield* login(info, user, "new-password")).status).toBe(200)
        expect((yield* api(info, "/auth", { headers: session(info, before) })).status).toBe(401)
        const reused = yield* reset(message.code)
        expect(reused.json).toEqual({ error: "no valid token, request a new one" })
        const unknown = yield* api(info, "/user/resetpassword", {
          method: "POST",
          body: { applicationId: info.applicationId, username: "ghost@example.com" }
        })
        expect(unknown.status).toBe(400)
        expect(unknown.json).toEqual({ error: "user not found" })
      }))
  })

  describe("admin", () => {
    it.effect("create, get by id and by username, delete; unknown users are 404, a JSON string", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const created = yield* api(info, "/user", {
          method: "POST",
          headers: appKeys(info),
          body: { username: " Admin.Made@Example.com ", directoryId: info.directoryId }
        })
        expect(created.status).toBe(200)
        expect(created.json).toMatchObject({ status: "active", active: true })
        const userId: string = created.json.userId
        const byId = yield* api(info, `/user/${userId}`, { headers: appKeys(info) })
        expect(byId.json).toEqual(created.json)
        const byName = yield* api(info, `/user?username=${encodeURIComponent("ADMIN.MADE@example.com")}`, {
          headers: appKeys(info)
        })
        expect(byName.json).toEqual(created.json)
        const again = yield* api(info, "/user", {
          method: "POST",
          headers: appKeys(info),
          body: { username: "admin.made@example.com", directoryId: info.directoryId }
        })
        expect(again.json).toEqual({ error: "user already exists" })
        const otherDirectory = yield* api(info, "/user", {
          method: "POST",
          headers: appKeys(info),
          body: { username: "x@example.com", directoryId: "2e214dec-bf44-4f58-83d0-2fa89d023e90" }
        })
        expect(otherDirectory.json).toEqual({ error: "incorrect elements" })
        const deleted = yield* api(info, `/user/${userId}`, { method: "DELETE", headers: appKeys(info) })
        expect(deleted.json).toEqual({ valid: true })
        for (const path of [`/user/${userId}`, "/user?username=admin.made%40example.com"]) {
          const gone = yield* api(info, path, { headers: appKeys(info) })
          expect(gone.status).toBe(404)
          expect(gone.headers["content-type"]).toMatch(/^application\/json/)
          expect(gone.json).toBe("Not found")
        }
        const twice = yield* api(info, `/user/${userId}`, { method: "DELETE", headers: appKeys(info) })
        expect(twice.status).toBe(404)
      }))

    it.effect("an admin-created user has no password: it cannot log in until it sets one by reset", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "nopassword@example.com"
        yield* api(info, "/user", {
          method: "POST",
          headers: appKeys(info),
          body: { username: user, directoryId: info.directoryId }
        })
        expect((yield* login(info, user, "anything")).status).toBe(401)
        yield* api(info, "/user/resetpassword", { method: "POST", body: { applicationId: info.applicationId, username: user } })
        const { code } = yield* inbox.next(user)
        yield* api(info, "/user/resetpassword", {
          method: "PUT",
          body: { applicationId: info.applicationId, username: user, newPassword: "chosen", token: code }
        })
        expect((yield* login(info, user, "chosen")).status).toBe(200)
      }))

    it.effect("a request that satisfies one of the spec's three alternatives is authorised, whatever else it carries; anything else is 401", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const userId = yield* activeUser(info, "security@example.com")
        const userToken = (yield* login(info, "security@example.com")).json.token
        const app = { applicationId: info.applicationId }
        const orgBasic = basic(info.organisationKeys.keyId, info.organisationKeys.secret)
        const accepted: ReadonlyArray<Record<string, string>> = [
          appKeys(info),
          { ...app, authorization: orgBasic },
          { ...app, token: info.developerToken },
          // an applicationId alongside app keys, naming the keys' own application or another one
          { ...app, ...appKeys(info) },
          { ...appKeys(info), applicationId: "0537b17c-ab62-491c-8085-9ac2b6206346" },
          // a satisfied alternative plus a token that satisfies nothing
          { ...app, authorization: orgBasic, token: "garbage" }
        ]
        const refused: ReadonlyArray<Record<string, string>> = [
          {},
          app,
          { authorization: basic(info.appKeys.keyId, "wrong") },
          { authorization: orgBasic },
          { token: info.developerToken },
          { ...app, token: userToken },
          { ...app, token: "garbage" },
          { authorization: orgBasic, applicationId: "0537b17c-ab62-491c-8085-9ac2b6206346" },
          { authorization: "Bearer something" }
        ]
        for (const headers of accepted) {
          const res = yield* api(info, `/user/${userId}`, { headers })
          expect(res.status, JSON.stringify(Object.keys(headers))).toBe(200)
        }
        for (const headers of refused) {
          for (const [method, path, body] of [
            ["GET", `/user/${userId}`, undefined],
            ["GET", "/user?username=security%40example.com", undefined],
            ["DELETE", `/user/${userId}`, undefined],
            ["POST", "/user", { username: "never@example.com", directoryId: info.directoryId }]
          ] as const) {
            const res = yield* api(info, path, { method, headers, body })
            expect(res.status, `${method} ${path} ${JSON.stringify(Object.keys(headers))}`).toBe(401)
            expect(res.json).toEqual({ error: "Access denied" })
          }
        }
        expect(Option.isSome(yield* Effect.flatMap(Simulator.Simulator, (s) => s.user("security@example.com")))).toBe(true)
        expect(Option.isNone(yield* Effect.flatMap(Simulator.Simulator, (s) => s.user("never@example.com")))).toBe(true)
      }))
  })

  describe("400 bodies", () => {
    it.effect("missing elements vs incorrect elements, for bodies, headers and query parameters", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const valid = {
          applicationId: info.applicationId,
          directoryId: info.directoryId,
          email: "bodies@example.com",
          name: "Bodies",
          password: "pw",
          username: "bodies@example.com"
        }
        const { email: _, ...noEmail } = valid
        const post = (body: unknown, headers: Record<string, string> = {}) =>
          api(info, "/register", { method: "POST", body, headers })
        const cases: ReadonlyArray<readonly [unknown, string]> = [
          [noEmail, "missing elements"],
          [{}, "missing elements"],
          [{ ...valid, email: "not-an-email" }, "incorrect elements"],
          [{ ...valid, username: 42 }, "incorrect elements"],
          [{ ...valid, password: "   " }, "incorrect elements"],
          [[1, 2], "incorrect elements"],
          ["{not json", "incorrect elements"],
          ["", "missing elements"]
        ]
        for (const [body, error] of cases) {
          const res = yield* post(body, typeof body === "string" ? { "content-type": "application/json" } : {})
          expect(res.status, JSON.stringify(body)).toBe(400)
          expect(res.json, JSON.stringify(body)).toEqual({ error })
        }
        const badCode = yield* verify(info, "bodies@example.com", "12a4")
        expect(badCode.json).toEqual({ error: "incorrect elements" })
        // GET /user declares no 400: a look-up without a (valid) username finds no user.
        const noQuery = yield* api(info, "/user", { headers: appKeys(info) })
        expect(noQuery.status).toBe(404)
        expect(noQuery.json).toEqual("Not found")
        const emptyQuery = yield* api(info, "/user?username=", { headers: appKeys(info) })
        expect(emptyQuery.status).toBe(404)
        expect(Option.isNone(yield* Effect.flatMap(Simulator.Simulator, (s) => s.user("bodies@example.com")))).toBe(true)
      }))
  })

  it.effect("tolerates Content-Type: application/json and a {} body on GET and DELETE", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const userId = yield* activeUser(info, "tolerant@example.com")
      const token = (yield* login(info, "tolerant@example.com")).json.token
      const check = yield* api(info, "/auth", { headers: session(info, token), body: {} })
      expect(check.status).toBe(200)
      const byName = yield* api(info, "/user?username=tolerant%40example.com", { headers: appKeys(info), body: {} })
      expect(byName.status).toBe(200)
      const byId = yield* api(info, `/user/${userId}`, { headers: appKeys(info), body: {} })
      expect(byId.status).toBe(200)
      const revoke = yield* api(info, "/auth/deleteToken", { method: "DELETE", headers: session(info, token), body: {} })
      expect(revoke.json).toEqual({ valid: true })
      const deleted = yield* api(info, `/user/${userId}`, { method: "DELETE", headers: appKeys(info), body: {} })
      expect(deleted.json).toEqual({ valid: true })
    }))

  it.effect("logs the names of the headers received, never their values", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const sim = yield* Simulator.Simulator
      yield* sim.clearRequests
      yield* api(info, "/user?username=nobody%40example.com", { headers: appKeys(info) })
      yield* api(info, "/user?username=nobody%40example.com", { headers: { applicationId: info.applicationId, token: info.developerToken } })
      const [viaKeys, viaToken] = yield* sim.requests
      expect(viaKeys).toMatchObject({ method: "GET", path: "/api/v0-1/user", operationId: "getUserbyUsername", status: 404 })
      expect(viaKeys!.headerNames).toContain("authorization")
      expect(viaKeys!.headerNames).not.toContain("token")
      expect(viaKeys!.headerNames).not.toContain("applicationid")
      expect(viaToken!.headerNames).toEqual(expect.arrayContaining(["applicationid", "token"]))
      expect(viaToken!.headerNames).not.toContain("authorization")
      const overHttp = yield* control(info, "/requests")
      expect(overHttp.json).toHaveLength(2)
      expect(overHttp.text).not.toContain(info.appKeys.secret)
      expect(overHttp.text).not.toContain(info.developerToken)
    }))

  describe("inbox", () => {
    it.effect("next is a per-address FIFO of unconsumed messages, and waits for the next one", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const inbox = yield* Inbox.Inbox
        const user = "fifo@example.com"
        yield* register(info, user)
        yield* requestCode(info, user)
        const a = yield* inbox.next(user)
        const b = yield* inbox.next(user)
        expect(a.code).not.toBe(b.code)
        expect((yield* inbox.all(user)).map((m) => m.code)).toEqual([a.code, b.code])
        expect(Option.getOrThrow(yield* inbox.latest(user)).code).toBe(b.code)
        const supervisor = yield* Supervisor.track
        const waiting = yield* Effect.fork(inbox.next(user, { timeout: "5 seconds" })).pipe(Effect.supervised(supervisor))
        // Delivered only once the waiter is waiting: it and every fiber it started are suspended.
        yield* allSuspended(supervisor)
        expect(Option.isNone(yield* Fiber.poll(waiting))).toBe(true)
        yield* requestCode(info, user)
        const c = yield* Fiber.join(waiting)
        expect((yield* inbox.all(user)).map((m) => m.code)).toEqual([a.code, b.code, c.code])
        const timeout = yield* Effect.exit(inbox.next(user, { timeout: "30 millis" }))
        expect(timeout).toEqual(Exit.fail(new Inbox.InboxTimeoutError({ email: user, timeoutMillis: 30 })))
      }))

    it.effect("over HTTP: /next consumes, ?wait long-polls, 404 when nothing came", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const user = "http-inbox@example.com"
        const empty = yield* control(info, `/inbox/${user}/next`)
        expect(empty.status).toBe(404)
        const waiting = yield* Effect.fork(control(info, `/inbox/${user}/next?wait=5000`))
        // A guess, kept on purpose: nothing shows that the long-poll has reached the server's
        // inbox (the simulator exposes no waiters), so this gives it time to. It cannot make the
        // test fail: a message that arrives first is still there for /next. The in-process test
        // above proves the wait itself deterministically.
        yield* Effect.sleep("50 millis")
        yield* register(info, user)
        const got = yield* Fiber.join(waiting)
        expect(got.status).toBe(200)
        expect(got.json).toMatchObject({ to: user, kind: "verification", code: expect.stringMatching(/^\d{4}$/) })
        expect(new Date(got.json.sentAt).getTime()).not.toBeNaN()
        const consumed = yield* control(info, `/inbox/${user}/next?wait=50`)
        expect(consumed.status).toBe(404)
        const all = yield* control(info, `/inbox/${user}`)
        expect(all.json).toHaveLength(1)
      }))
  })

  it.effect("an unknown path is a 404, counted in the totals only", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const res = yield* request(`${info.baseUrl}/nothing/here`)
      expect(res.status).toBe(404)
    }))
})
