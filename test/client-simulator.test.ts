/**
 * The client against the simulator, over real loopback sockets: every operation succeeds where
 * it should and fails with its declared error where it should; the auth matrix end to end (a
 * wrong credential is access denied); odd ids reach the right route as one segment.
 */
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Auth from "../src/services/Auth.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import * as Transport from "./support/transport.js"

const TestLive = Glowmarkt.layer.pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "client-simulator" })),
  Layer.provide(Transport.layer),
  Layer.orDie
)

const pw = (s: string) => Redacted.make(s)
const users = Users.Users
const nextCode = (email: string) => Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(email, { timeout: "5 seconds" }))

/** Registers and verifies `email`, returning its userId. */
const activeUser = (email: string, password: string) =>
  Effect.gen(function*() {
    const u = yield* users
    const registered = yield* u.register({ name: "Test User", username: email, email, password: pw(password) })
    const { code } = yield* nextCode(email)
    yield* u.verify({ username: email, password: pw(password), code })
    return registered.userId
  })

const asAdmin = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Simulator.adminCredential("appKeys"), (c) => Credentials.withAdmin(self, c))

layer(TestLive, { excludeTestServices: true })("client against the simulator", (it) => {
  describe("public operations", () => {
    it.effect("register → verify: unverified, then active", () =>
      Effect.gen(function*() {
        const u = yield* users
        const registered = yield* u.register({
          name: "Scotty",
          username: "  Scotty@Enterprise.ST ",
          email: "scotty@enterprise.st",
          password: pw("beam-me-up")
        })
        expect(registered.status).toBe("unverified")
        // One account, in the simulator's application.
        const info = yield* Simulator.info
        expect(registered.applications).toMatchObject([{ applicationId: info.applicationId }])
        const { code } = yield* nextCode("scotty@enterprise.st")
        const verified = yield* u.verify({ username: "scotty@enterprise.st", password: pw("beam-me-up"), code })
        expect(verified).toMatchObject({ status: "active", userId: registered.userId, valid: true })
      }))

    it.effect("a taken username, a wrong code and a reused code: each its own error, as the server decided", () =>
      Effect.gen(function*() {
        const u = yield* users
        yield* u.register({ name: "A", username: "dup@x.co", email: "dup@x.co", password: pw("pw-1") })
        const taken = yield* Effect.flip(u.register({ name: "B", username: "DUP@x.co", email: "dup@x.co", password: pw("pw-2") }))
        expect(taken).toMatchObject({ _tag: "UsernameTakenError", operation: "addUser", username: "dup@x.co" })
        const { code } = yield* nextCode("dup@x.co")
        const wrong = code === "0000" ? "1111" : "0000"
        const bad = yield* Effect.flip(u.verify({ username: "dup@x.co", password: pw("pw-1"), code: wrong }))
        expect(bad).toMatchObject({ _tag: "CodeRejectedError", operation: "verifyUser", reason: "wrong", serverMessage: "invalid token" })
        yield* u.verify({ username: "dup@x.co", password: pw("pw-1"), code })
        const reused = yield* Effect.flip(u.verify({ username: "dup@x.co", password: pw("pw-1"), code }))
        expect(reused).toMatchObject({ _tag: "AlreadyVerifiedError", username: "dup@x.co" })
      }))

    it.effect("requestVerificationCode sends a new code; a wrong password is InvalidCredentialsError", () =>
      Effect.gen(function*() {
        const u = yield* users
        yield* u.register({ name: "A", username: "again@x.co", email: "again@x.co", password: pw("pw-1") })
        const first = yield* nextCode("again@x.co")
        yield* u.requestVerificationCode({ username: "again@x.co", password: pw("pw-1") })
        const second = yield* nextCode("again@x.co")
        expect(second.code).not.toBe(first.code)
        const denied = yield* Effect.flip(u.requestVerificationCode({ username: "again@x.co", password: pw("nope") }))
        expect(denied).toMatchObject({ _tag: "InvalidCredentialsError", operation: "generateUserVerificationToken" })
        // The first code is void now.
        const stale = yield* Effect.flip(u.verify({ username: "again@x.co", password: pw("pw-1"), code: first.code }))
        expect(stale).toMatchObject({ _tag: "CodeRejectedError", reason: "wrong" })
      }))

    it.effect("reset: request, reset with the code, then only the new password logs in", () =>
      Effect.gen(function*() {
        const u = yield* users
        const auth = yield* Auth.Auth
        yield* activeUser("reset@x.co", "old-pw")
        yield* u.requestPasswordReset({ username: "reset@x.co" })
        const { code } = yield* nextCode("reset@x.co")
        yield* u.resetPassword({ username: "reset@x.co", code, newPassword: pw("new-pw") })
        const ok = yield* auth.login({ username: "reset@x.co", password: pw("new-pw") })
        expect(ok.expiresAt.getTime()).toBeGreaterThan(Date.now())
        const old = yield* Effect.flip(auth.login({ username: "reset@x.co", password: pw("old-pw") }))
        expect(old).toMatchObject({ _tag: "InvalidCredentialsError", operation: "usernamelogin" })
        const unknown = yield* Effect.flip(u.requestPasswordReset({ username: "ghost@x.co" }))
        expect(unknown).toMatchObject({ _tag: "UnknownUserError", username: "ghost@x.co" })
      }))
  })

  describe("/auth and sessions", () => {
    it.effect("login, check, renew and revoke a token", () =>
      Effect.gen(function*() {
        const auth = yield* Auth.Auth
        yield* activeUser("auth@x.co", "pw-auth")
        const issued = yield* auth.login({ username: "auth@x.co", password: pw("pw-auth") })
        const checked = yield* auth.check(issued.token)
        expect(checked.valid).toBe(true)
        expect(checked.exp).toBe(Math.floor(issued.expiresAt.getTime() / 1000))
        const renewed = yield* auth.renew(issued.token)
        expect(Redacted.value(renewed.token)).not.toBe(Redacted.value(issued.token))
        yield* auth.revoke(renewed.token)
        const revoked = yield* Effect.flip(auth.check(renewed.token))
        expect(revoked).toMatchObject({ _tag: "TokenRejectedError", operation: "tokencheck" })
      }))

    it.effect("changeUsername with the user's own session; another user's session is refused", () =>
      Effect.gen(function*() {
        const u = yield* users
        const userId = yield* activeUser("rename@x.co", "pw-r")
        yield* activeUser("other@x.co", "pw-o")
        yield* u.changeUsername({ userId, username: "renamed@x.co" }).pipe(
          Session.withSession({ username: "rename@x.co", password: pw("pw-r") })
        )
        const found = yield* asAdmin(u.getByUsername("renamed@x.co"))
        expect(found.userId).toBe(userId)
        const denied = yield* Effect.flip(
          u.changeUsername({ userId, username: "hijack@x.co" }).pipe(
            Session.withSession({ username: "other@x.co", password: pw("pw-o") })
          )
        )
        expect(denied).toMatchObject({ _tag: "TokenRejectedError", operation: "updateUsernameUserId" })
      }))
  })

  describe("admin operations", () => {
    it.effect("create, get by id and by username, delete; then not found", () =>
      Effect.gen(function*() {
        const u = yield* users
        const created = yield* asAdmin(u.create({ username: "Provisioned@X.co" }))
        expect(created.status).toBe("active")
        expect((yield* asAdmin(u.getById(created.userId))).userId).toBe(created.userId)
        expect((yield* asAdmin(u.getByUsername("provisioned@x.co"))).userId).toBe(created.userId)
        const again = yield* Effect.flip(asAdmin(u.create({ username: "provisioned@x.co" })))
        expect(again).toMatchObject({ _tag: "UsernameTakenError", operation: "createUser" })
        yield* asAdmin(u.delete(created.userId))
        const gone = yield* Effect.flip(asAdmin(u.getById(created.userId)))
        expect(gone).toMatchObject({ _tag: "NotFoundError", operation: "getUserbyId" })
        const goneByName = yield* Effect.flip(asAdmin(u.getByUsername("provisioned@x.co")))
        expect(goneByName._tag).toBe("NotFoundError")
        const deleteAgain = yield* Effect.flip(asAdmin(u.delete(created.userId)))
        expect(deleteAgain._tag).toBe("NotFoundError")
      }))

    for (const alternative of ["appKeys", "organisationKeys", "developerToken"] as const) {
      it.effect(`${alternative} are accepted and send exactly their headers`, () =>
        Effect.gen(function*() {
          const sim = yield* Simulator.Simulator
          yield* sim.clearRequests
          const credential = yield* Simulator.adminCredential(alternative)
          const created = yield* Credentials.withAdmin(
            Effect.flatMap(users, (u) => u.create({ username: `${alternative}@x.co` })),
            credential
          )
          expect(created.status).toBe("active")
          const [entry] = yield* sim.requests
          const auth = entry!.headerNames.filter((h) => ["authorization", "applicationid", "token"].includes(h))
          expect(auth).toEqual(
            alternative === "appKeys"
              ? ["authorization"]
              : alternative === "organisationKeys"
              ? ["applicationid", "authorization"]
              : ["applicationid", "token"]
          )
        }))
    }

    it.effect("a wrong credential of each kind is access denied", () =>
      Effect.gen(function*() {
        const { info } = yield* Simulator.Simulator
        const wrong = [
          Credentials.AdminCredential.appKeys({ keyId: info.appKeys.keyId, secret: "wrong" }),
          Credentials.AdminCredential.organisationKeys({
            applicationId: "another-app",
            keyId: info.organisationKeys.keyId,
            secret: info.organisationKeys.secret
          }),
          Credentials.AdminCredential.organisationKeys({
            applicationId: info.applicationId,
            keyId: info.appKeys.keyId,
            secret: info.appKeys.secret + "x"
          }),
          Credentials.AdminCredential.developerToken({ applicationId: info.applicationId, token: "not-the-token" })
        ].map(Either.getOrThrow)
        for (const credential of wrong) {
          const error = yield* Effect.flip(
            Credentials.withAdmin(Effect.flatMap(users, (u) => u.getByUsername("nobody@x.co")), credential)
          )
          expect(error).toMatchObject({ _tag: "AccessDeniedError", operation: "getUserbyUsername" })
        }
      }))

    it.effect("odd ids reach the user route as one segment (not found, never another route)", () =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        for (const id of ["../x", "a/b", "x?y=1", "%2F", "50%", "naïve-✓", "verify", "resetpassword"]) {
          yield* sim.clearRequests
          const error = yield* Effect.flip(asAdmin(Effect.flatMap(users, (u) => u.getById(id))))
          expect(error).toMatchObject({ _tag: "NotFoundError", operation: "getUserbyId" })
          const [entry] = yield* sim.requests
          expect(entry!.operationId).toBe("getUserbyId")
        }
      }))
  })
})
