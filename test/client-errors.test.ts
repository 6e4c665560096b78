/**
 * Every failure the wire can produce reaches the caller as one of the library's errors, with
 * the operation and what the server said: never a ParseError, HttpClientError or
 * HttpApiDecodeError.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as net from "node:net"
import * as Credentials from "../src/services/Credentials.js"
import * as Users from "../src/services/Users.js"
import { type Answer, clientLayer, json, scripted } from "./support/scripted.js"

const admin = Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "app-secret-xyz" }).pipe(
  (e) => (e._tag === "Right" ? e.right : (() => {
    throw e.left
  })())
)

/** Runs `f` against a server that always gives `answer`, with retries off. */
const against = <A, E>(
  answer: Answer | ((index: number) => Answer),
  f: (users: Users.Service) => Effect.Effect<A, E, Credentials.AdminAuth>
) =>
  Effect.gen(function*() {
    const server = yield* scripted((_, i) => (typeof answer === "function" ? answer(i) : answer))
    const result = yield* Effect.flatMap(Users.Users, f).pipe(
      Credentials.withAdmin(admin),
      Effect.either,
      Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 0 } }))
    )
    return { result, server }
  })

const failure = <A, E>(e: { _tag: "Left"; left: E } | { _tag: "Right"; right: A }): E => {
  if (e._tag === "Right") throw new Error(`expected a failure, got ${JSON.stringify(e.right)}`)
  return e.left
}

describe("error mapping", () => {
  it.scoped("400 carries the server's message", () =>
    Effect.gen(function*() {
      const { result } = yield* against(json(400, { error: "missing elements" }), (u) => u.create({ username: "a@b.co" }))
      const error = failure(result)
      expect(error._tag).toBe("BadRequestError")
      expect(error).toMatchObject({ operation: "createUser", serverMessage: "missing elements", status: 400 })
      expect(error.message).toContain("missing elements")
    }))

  it.scoped("401 is access denied, with {error} or {valid:false}", () =>
    Effect.gen(function*() {
      const a = failure((yield* against(json(401, { error: "Access denied" }), (u) => u.getById("u-1"))).result)
      expect(a).toMatchObject({ _tag: "AccessDeniedError", operation: "getUserbyId", serverMessage: "Access denied" })
      const b = failure((yield* against(json(401, { valid: false }), (u) => u.getById("u-1"))).result)
      expect(b._tag).toBe("AccessDeniedError")
      expect(b.message).toContain("check the admin credential")
      const c = failure((yield* against({ status: 401, body: "<html>Unauthorized</html>" }, (u) => u.getById("u-1"))).result)
      expect(c).toMatchObject({ _tag: "AccessDeniedError", operation: "getUserbyId" })
    }))

  for (
    const [name, answer] of [
      ["text", { status: 404, body: "Not found", headers: { "content-type": "text/plain" } }],
      ["JSON", json(404, { error: "Not found" })],
      ["empty", { status: 404 }],
      ["empty JSON content type", { status: 404, headers: { "content-type": "application/json" } }],
      ["JSON null", { status: 404, body: "null", headers: { "content-type": "application/json" } }]
    ] as const
  ) {
    it.scoped(`404 (${name}) is not found`, () =>
      Effect.gen(function*() {
        const error = failure((yield* against(answer, (u) => u.getById("nobody"))).result)
        expect(error).toMatchObject({ _tag: "NotFoundError", operation: "getUserbyId" })
        expect(error.message).toContain("no such user")
      }))
  }

  it.scoped("500 is a server error, with JSON or with an unreadable body", () =>
    Effect.gen(function*() {
      const a = failure((yield* against(json(500, { error: "An error has occurred" }), (u) => u.getById("u"))).result)
      expect(a).toMatchObject({ _tag: "ServerError", serverMessage: "An error has occurred" })
      const b = failure((yield* against({ status: 500, body: "<html>oops</html>" }, (u) => u.getById("u"))).result)
      expect(b._tag).toBe("ServerError")
    }))

  it.scoped("an undeclared status carries status and a body excerpt", () =>
    Effect.gen(function*() {
      for (const status of [403, 502, 418]) {
        const error = failure((yield* against({ status, body: "  Bad   gateway\n page " }, (u) => u.getById("u"))).result)
        expect(error).toMatchObject({ _tag: "UnexpectedStatusError", status, bodyExcerpt: "Bad gateway page" })
      }
      const long = failure((yield* against({ status: 502, body: "x".repeat(5000) }, (u) => u.getById("u"))).result)
      // Cut at 300 characters, and marked as cut.
      expect(long).toMatchObject({
        _tag: "UnexpectedStatusError",
        status: 502,
        bodyExcerpt: `${"x".repeat(300)}... (cut: 5000 characters)`
      })
    }))

  it.scoped("a 200 of the wrong shape is an unexpected response, naming the path, not the value", () =>
    Effect.gen(function*() {
      const a = failure((yield* against(json(200, { status: "active" }), (u) => u.getById("u"))).result)
      expect(a).toMatchObject({ _tag: "UnexpectedResponseError", status: 200, operation: "getUserbyId" })
      expect(a.message).toContain("userId")
      const b = failure((yield* against({ status: 200, body: "{not json" }, (u) => u.getById("u"))).result)
      expect(b._tag).toBe("UnexpectedResponseError")
    }))

  it.scoped("a refused connection is a transport error that did not reach the server", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200 }))
      // A port nothing listens on: bind, note it, close.
      const port = yield* Effect.promise(() =>
        new Promise<number>((resolve) => {
          const s = net.createServer().listen(0, "127.0.0.1", () => {
            const p = (s.address() as net.AddressInfo).port
            s.close(() => resolve(p))
          })
        })
      )
      void server
      const result = yield* Effect.flatMap(Users.Users, (u) => u.getById("u")).pipe(
        Credentials.withAdmin(admin),
        Effect.either,
        Effect.provide(clientLayer({ baseUrl: `http://127.0.0.1:${port}/api/v0-1`, retry: { times: 0 } }))
      )
      const error = failure(result)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionRefused", mayHaveReachedServer: false })
      expect(error.message).toContain("safe to try again")
    }))

  it.scoped("a connection dropped after the request was sent may have reached the server", () =>
    Effect.gen(function*() {
      const { result, server } = yield* against("drop", (u) => u.create({ username: "a@b.co" }))
      expect(failure(result)).toMatchObject({ _tag: "TransportError", mayHaveReachedServer: true })
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("no error is a ParseError, HttpClientError or HttpApiDecodeError", () =>
    Effect.gen(function*() {
      // Each odd answer, and the library error it becomes (never the platform's own).
      const cases: ReadonlyArray<readonly [Answer, object]> = [
        [json(400, { nope: 1 }), { _tag: "UnexpectedStatusError", status: 400 }],
        [json(401, "x"), { _tag: "AccessDeniedError" }],
        [{ status: 400, body: "<html>" }, { _tag: "UnexpectedStatusError", status: 400 }],
        [json(400, { _tag: "HttpApiDecodeError", issues: [], message: "bad" }), { _tag: "UnexpectedStatusError", status: 400 }],
        [{ status: 204 }, { _tag: "UnexpectedStatusError", status: 204 }],
        [{ status: 301, headers: { location: "/elsewhere" } }, { _tag: "UnexpectedStatusError", status: 301 }],
        ["drop", { _tag: "TransportError", mayHaveReachedServer: true }]
      ]
      for (const [answer, expected] of cases) {
        const error = failure((yield* against(answer, (u) => u.getById("u"))).result)
        expect(error).toMatchObject(expected)
        expect(error.message).not.toBe("")
      }
    }))

  it.scoped("a password sent to a wrong server never shows in the error", () =>
    Effect.gen(function*() {
      const secret = "S3cret-pa55word!"
      const { result } = yield* against(
        (i) => (i === 0 ? json(200, { unexpected: secret }) : json(400, { error: "bad" })),
        (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make(secret) })
      )
      const error = failure(result)
      expect(JSON.stringify(error)).not.toContain(secret)
      expect(error.message).not.toContain(secret)
      expect(String(error)).not.toContain(secret)
    }))
})

// ---------------------------------------------------------------------------------------------
// Every operation × every status it declares, read from the HttpApi declaration itself.

import * as OpenApi from "@effect/platform/OpenApi"
import * as Auth from "../src/services/Auth.js"
import * as Session from "../src/services/Session.js"
import { GlowmarktApi } from "../src/schema/GlowmarktApi.js"
import * as Accounts from "../src/services/Accounts.js"
import * as Consent from "../src/services/Consent.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Tokens from "../src/services/Tokens.js"

/** The services beyond Users and Auth. */
interface More {
  readonly accounts: Accounts.Service
  readonly tokens: Tokens.Service
  readonly oauth: OAuth.Service
  readonly consent: Consent.Service
}
const more = Effect.all({ accounts: Accounts.Accounts, tokens: Tokens.Tokens, oauth: OAuth.OAuth, consent: Consent.Consent })

/** A session whose token is always "jwt" and that cannot log in again. */
const asUser = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.provideService(self, Session.UserSession, {
    applicationId: "app-1" as any,
    token: Effect.succeed(Redacted.make("jwt") as any),
    expiresAt: Effect.succeedNone,
    invalidate: () => Effect.void,
    canLogInAgain: false
  })
const mpan = "1200023305967"

const declared = new Map<string, ReadonlyArray<string>>()
for (const item of Object.values(OpenApi.fromApi(GlowmarktApi).paths)) {
  for (const op of Object.values(item as Record<string, any>)) {
    if (typeof op === "object" && op !== null && "operationId" in op) {
      // 400 on GET/DELETE is HttpApi's own request-decoding error, not part of the contract.
      declared.set(String(op.operationId).split(".")[1]!, Object.keys(op.responses).filter((s) => s !== "200"))
    }
  }
}

const pwd = Redacted.make("pw-x")
const operations: Record<string, (u: Users.Service, a: Auth.Service, m: More) => Effect.Effect<unknown, { _tag: string }, any>> = {
  addUser: (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: pwd }),
  generateUserVerificationToken: (u) => u.requestVerificationCode({ username: "a@b.co", password: pwd }),
  verifyUser: (u) => u.verify({ username: "a@b.co", password: pwd, code: "1234" }),
  generateUserPasswordResetToken: (u) => u.requestPasswordReset({ username: "a@b.co" }),
  resetPasswordUser: (u) => u.resetPassword({ username: "a@b.co", code: "1234", newPassword: pwd }),
  createUser: (u) => u.create({ username: "a@b.co" }),
  getUserbyUsername: (u) => u.getByUsername("a@b.co"),
  getUserbyId: (u) => u.getById("u-1"),
  deleteUserbyId: (u) => u.delete("u-1"),
  updateUsernameUserId: (u) =>
    u.changeUsername({ userId: "u-1", username: "b@b.co" }).pipe(
      Effect.provideService(Session.UserSession, {
        applicationId: "app-1" as any,
        token: Effect.succeed(Redacted.make("jwt") as any),
        expiresAt: Effect.succeedNone,
        invalidate: () => Effect.void,
        canLogInAgain: false
      })
    ),
  usernamelogin: (_, a) => a.login({ username: "a@b.co", password: pwd }),
  tokencheck: (_, a) => a.check(Redacted.make("jwt")),
  newToken: (_, a) => a.renew(Redacted.make("jwt")),
  deleteToken: (_, a) => a.revoke(Redacted.make("jwt")),
  getAccounts: (_, __, m) => m.accounts.list(),
  addAccount: (_, __, m) => m.accounts.add({ username: "a@b.co", directoryId: "dir-1" }),
  getAccountbyId: (_, __, m) => m.accounts.get("acc-1"),
  updateAccount: (_, __, m) => m.accounts.update({ accountId: "acc-1", name: "A" }),
  deleteAccount: (_, __, m) => m.accounts.delete("acc-1"),
  getAccountStatusbyId: (_, __, m) => m.accounts.status("acc-1"),
  getAccountStatusbyUserToken: (_, __, m) => asUser(m.accounts.ownStatus()),
  userChangePassWord: (_, __, m) => asUser(m.accounts.changePassword({ oldPassword: pwd, newPassword: Redacted.make("pw-new-1") })),
  userChangeEmail: (_, __, m) => asUser(m.accounts.changeEmail("b@b.co")),
  userChangeName: (_, __, m) => asUser(m.accounts.changeName("B")),
  addMobileAppToken: (_, __, m) => asUser(m.accounts.addMobileAppToken({ accountId: "acc-1", token: "push-1" })),
  removeMobileAppToken: (_, __, m) => asUser(m.accounts.removeMobileAppToken({ accountId: "acc-1", token: "push-1" })),
  getAccountProfile: (_, __, m) => asUser(m.accounts.profileNames()),
  addAccountProfile: (_, __, m) => asUser(m.accounts.putProfile({ profileName: "DashBoard" })),
  getAccountProfilebyProfileName: (_, __, m) => asUser(m.accounts.getProfile("DashBoard")),
  getAccountSession: (_, __, m) => asUser(m.accounts.getSession()),
  updateAccountSession: (_, __, m) => asUser(m.accounts.updateSession({ sessionvalue1: "x" })),
  getTokenOfUser: (_, __, m) => asUser(m.tokens.list()),
  deleteTokenById: (_, __, m) => asUser(m.tokens.revoke("tok-1")),
  generateOAuthorizationCode: (_, __, m) => m.oauth.authorize({ username: "a@b.co", password: pwd, applicationId: "app-1" }),
  exchangeAuthorizationCodeWithAccess: (_, __, m) =>
    m.oauth.exchange({ code: Redacted.make("code-1"), clientId: "app-1" }),
  validateOAuthAccessToken: (_, __, m) => m.oauth.validate(Redacted.make("access-1")),
  getUserMeterPointVerificationConsentStatus: (_, __, m) => asUser(m.consent.own.status()),
  getMeterPointConsentRenewal: (_, __, m) => asUser(m.consent.own.renewals(mpan)),
  renewMeterPointConsent: (_, __, m) => asUser(m.consent.own.renew(mpan)),
  getMeterPointConsentRevocation: (_, __, m) => asUser(m.consent.own.revocations(mpan)),
  revokeMeterPointConsent: (_, __, m) => asUser(m.consent.own.revoke(mpan)),
  renewMeterPointConsentBulk: (_, __, m) => asUser(m.consent.own.renewAll([mpan, "1234567"])),
  renewMeterPointConsentRevokeBulk: (_, __, m) => asUser(m.consent.own.revokeAll([mpan]))
}

/** What a 401 means, by who was refused: the admin credential, the username and password, or the user's token. */
const unauthorized: Record<string, string> = {
  addUser: "AccessDeniedError",
  generateUserVerificationToken: "InvalidCredentialsError",
  verifyUser: "InvalidCredentialsError",
  generateUserPasswordResetToken: "AccessDeniedError",
  resetPasswordUser: "AccessDeniedError",
  createUser: "AccessDeniedError",
  getUserbyUsername: "AccessDeniedError",
  getUserbyId: "AccessDeniedError",
  deleteUserbyId: "AccessDeniedError",
  updateUsernameUserId: "TokenRejectedError",
  usernamelogin: "InvalidCredentialsError",
  tokencheck: "TokenRejectedError",
  newToken: "TokenRejectedError",
  deleteToken: "TokenRejectedError",
  getAccounts: "AccessDeniedError",
  addAccount: "AccessDeniedError",
  getAccountbyId: "AccessDeniedError",
  updateAccount: "AccessDeniedError",
  deleteAccount: "AccessDeniedError",
  getAccountStatusbyId: "AccessDeniedError",
  getAccountStatusbyUserToken: "TokenRejectedError",
  userChangePassWord: "TokenRejectedError",
  userChangeEmail: "TokenRejectedError",
  userChangeName: "TokenRejectedError",
  addMobileAppToken: "TokenRejectedError",
  removeMobileAppToken: "TokenRejectedError",
  getAccountProfile: "TokenRejectedError",
  addAccountProfile: "TokenRejectedError",
  getAccountProfilebyProfileName: "TokenRejectedError",
  getAccountSession: "TokenRejectedError",
  updateAccountSession: "TokenRejectedError",
  getTokenOfUser: "TokenRejectedError",
  deleteTokenById: "TokenRejectedError",
  generateOAuthorizationCode: "InvalidCredentialsError",
  // The client id (the application) was refused.
  exchangeAuthorizationCodeWithAccess: "AccessDeniedError",
  validateOAuthAccessToken: "TokenRejectedError",
  getUserMeterPointVerificationConsentStatus: "TokenRejectedError",
  getMeterPointConsentRenewal: "TokenRejectedError",
  renewMeterPointConsent: "TokenRejectedError",
  getMeterPointConsentRevocation: "TokenRejectedError",
  revokeMeterPointConsent: "TokenRejectedError",
  renewMeterPointConsentBulk: "TokenRejectedError",
  renewMeterPointConsentRevokeBulk: "TokenRejectedError"
}

const bodies: Record<string, readonly [Answer, string]> = {
  "400": [json(400, { error: "missing elements" }), "BadRequestError"],
  "401": [json(401, { error: "Access denied" }), "(by operation)"],
  "404": [{ status: 404, body: "Not found" }, "NotFoundError"],
  "500": [json(500, { error: "An error has occurred" }), "ServerError"]
}

/** The operations whose contract declares no 400. */
const no400 = [
  "getUserbyUsername",
  "getUserbyId",
  "deleteUserbyId",
  "getAccounts",
  "getAccountbyId",
  "getAccountStatusbyId",
  "getAccountStatusbyUserToken",
  "addMobileAppToken",
  "removeMobileAppToken",
  "getAccountProfile",
  "getAccountProfilebyProfileName",
  "getAccountSession"
]
const contract400 = new Set(Object.keys(operations).filter((o) => !no400.includes(o)))

describe("every operation, every declared status", () => {
  it("the declaration names the 43 operations", () => {
    expect(declared.size).toBe(43)
    expect([...declared.keys()].sort()).toEqual(Object.keys(operations).sort())
  })
  for (const [operation, statuses] of declared) {
    for (const status of statuses) {
      it.scoped(`${operation} → ${status}`, () =>
        Effect.gen(function*() {
          const [answer, declaredTag] = bodies[status]!
          // The contract declares no 400 for the admin reads and delete: HttpApi lists its own
          // request-decoding 400 there, and an answer of 400 is an unexpected status.
          const tag = status === "400" && !contract400.has(operation)
            ? "UnexpectedStatusError"
            : status === "401"
            ? unauthorized[operation]!
            : declaredTag
          const server = yield* scripted(() => answer)
          const error = yield* Effect.all([Users.Users, Auth.Auth, more]).pipe(
            Effect.flatMap(([u, a, m]) => operations[operation]!(u, a, m)),
            Credentials.withAdmin(admin),
            Effect.flip,
            Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 0 } }))
          )
          expect(error).toMatchObject({ _tag: tag, operation })
          expect(server.requests).toHaveLength(1)
        }))
    }
  }
})
