/**
 * Accounts, profiles, the account session, the token list, OAuth and meter-point consent:
 * every operation against the simulator over loopback, each security alternative, the inputs
 * refused before the wire, and OAuth codes that are single-use and expire on the `Clock`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Accounts from "../src/services/Accounts.js"
import * as Auth from "../src/services/Auth.js"
import * as Consent from "../src/services/Consent.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Session from "../src/services/Session.js"
import * as Tokens from "../src/services/Tokens.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"

const TestLive = Glowmarkt.layer.pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "client-simulator-domains" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const pw = (s: string) => Redacted.make(s)

/** Registers and verifies `email`, returning its userId. */
const activeUser = (email: string, password: string) =>
  Effect.gen(function*() {
    const u = yield* Users.Users
    const registered = yield* u.register({ name: "Test User", username: email, email, password: pw(password) })
    const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(email, { timeout: "5 seconds" }))
    yield* u.verify({ username: email, password: pw(password), code })
    return registered.userId
  })

const as = (alternative: Simulator.AdminAlternative) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Simulator.adminCredential(alternative), (c) => Credentials.withAdmin(self, c))
const asAdmin = as("appKeys")
const alternatives: ReadonlyArray<Simulator.AdminAlternative> = ["appKeys", "organisationKeys", "developerToken"]

/** The `jti` of a simulator JWT: the id the token list shows. */
const jtiOf = (token: Redacted.Redacted<string>) =>
  JSON.parse(Buffer.from(Redacted.value(token).split(".")[1]!, "base64url").toString("utf8")).jti as string

const received = (operationId: string) => Effect.map(Simulator.counters, (c) => c.byOperation[operationId]?.received ?? 0)

// Valid meter point numbers: a 13-digit MPAN core, a 21-digit full MPAN, an MPRN.
const mpan = "1200023305967"
const fullMpan = "018011002" + "1200023305967".slice(0, 12)
const mprn = "3234567"

layer(TestLive, { excludeTestServices: true })("the other domains against the simulator", (it) => {
  describe("accounts, as an administrator", () => {
    it.effect("list, get, status, rename, add (idempotent), delete (again: same answer), then not found", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        const userId = yield* activeUser("acct@x.co", "pw-acct-1")
        for (const alternative of alternatives) {
          const listed = yield* as(alternative)(accounts.list())
          expect(listed.some((a) => a.userId === userId)).toBe(true)
        }
        const account = (yield* asAdmin(accounts.list())).find((a) => a.userId === userId)!
        expect(account).toMatchObject({ username: "acct@x.co", status: "active", active: true })
        expect((yield* asAdmin(accounts.get(account.accountId))).userId).toBe(userId)
        expect(yield* asAdmin(accounts.status(account.accountId))).toMatchObject({ accountId: account.accountId, active: true })
        const renamed = yield* asAdmin(accounts.update({ accountId: account.accountId, name: "Scotty" }))
        expect(renamed.name).toBe("Scotty")
        // Adding the account the user already has answers it: a replay finds what was made.
        const added = yield* asAdmin(accounts.add({ username: "ACCT@x.co" }))
        expect(added.accountId).toBe(account.accountId)
        const deleted = yield* asAdmin(accounts.delete(account.accountId))
        expect(deleted).toMatchObject({ valid: true, status: "inactive", userId })
        expect((yield* asAdmin(accounts.delete(account.accountId))).valid).toBe(true)
        expect(yield* Effect.flip(asAdmin(accounts.get(account.accountId)))).toMatchObject({
          _tag: "NotFoundError",
          operation: "getAccountbyId"
        })
        expect((yield* Effect.flip(asAdmin(accounts.status(account.accountId))))._tag).toBe("NotFoundError")
        // Without its account, the user cannot log in to the application; adding one again lets it.
        const again = yield* asAdmin(accounts.add({ username: "acct@x.co" }))
        expect(again.accountId).not.toBe(account.accountId)
        const auth = yield* Auth.Auth
        expect((yield* auth.login({ username: "acct@x.co", password: pw("pw-acct-1") })).accountId).toEqual(Option.some(again.accountId))
      }))

    it.effect("adding an account for nobody is UnknownUserError; a bad credential is AccessDeniedError", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        expect(yield* Effect.flip(asAdmin(accounts.add({ username: "nobody@x.co" })))).toMatchObject({
          _tag: "UnknownUserError",
          operation: "addAccount",
          username: "nobody@x.co"
        })
        const wrong = Credentials.AdminCredential.appKeys({ keyId: "nope", secret: "nope" })
        if (wrong._tag === "Left") throw wrong.left
        expect(yield* Effect.flip(Credentials.withAdmin(accounts.list(), wrong.right))).toMatchObject({
          _tag: "AccessDeniedError",
          operation: "getAccounts"
        })
        expect(yield* Effect.flip(asAdmin(accounts.update({ accountId: "no-such-account", name: "X" })))).toMatchObject({
          _tag: "BadRequestError",
          operation: "updateAccount"
        })
      }))

    it.effect("account ids that need encoding reach the right route as one segment", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        for (const id of ["../x", "a/b", "x?y=1", "%2F", "50%"]) {
          const error = yield* Effect.flip(asAdmin(accounts.get(id)))
          expect(error).toMatchObject({ _tag: "NotFoundError", operation: "getAccountbyId" })
        }
        expect((yield* Effect.flip(asAdmin(accounts.get(""))))._tag).toBe("InvalidInputError")
      }))
  })

  describe("the user's own account", () => {
    it.effect("status, name, email, password (wrong old one refused), mobile tokens", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        const auth = yield* Auth.Auth
        const userId = yield* activeUser("own@x.co", "pw-own-1")
        const asOwn = Session.withSession({ username: "own@x.co", password: pw("pw-own-1") })
        const status = yield* asOwn(accounts.ownStatus())
        const accountId = status.accountId!
        expect(status.active).toBe(true)
        yield* asOwn(accounts.changeName("Montgomery Scott"))
        yield* asOwn(accounts.changeEmail("Scotty@Enterprise.ST"))
        const account = yield* asAdmin(accounts.get(accountId))
        expect(account).toMatchObject({ userId, name: "Montgomery Scott", email: "scotty@enterprise.st" })
        const wrong = yield* Effect.flip(asOwn(accounts.changePassword({ oldPassword: pw("nope-nope"), newPassword: pw("pw-own-2-long") })))
        expect(wrong).toMatchObject({ _tag: "BadRequestError", operation: "userChangePassWord", serverMessage: "old password is incorrect" })
        const weak = yield* Effect.flip(asOwn(accounts.changePassword({ oldPassword: pw("pw-own-1"), newPassword: pw("short") })))
        expect(weak).toMatchObject({ _tag: "BadRequestError", serverMessage: "weak new password" })
        yield* asOwn(accounts.changePassword({ oldPassword: pw("pw-own-1"), newPassword: pw("pw-own-2-long") }))
        expect(yield* Effect.flip(auth.login({ username: "own@x.co", password: pw("pw-own-1") }))).toMatchObject({
          _tag: "InvalidCredentialsError"
        })
        const asNew = Session.withSession({ username: "own@x.co", password: pw("pw-own-2-long") })
        yield* asNew(accounts.addMobileAppToken({ accountId, token: "push-token-1" }))
        yield* asNew(accounts.removeMobileAppToken({ accountId, token: "push-token-1" }))
        // Another account's id with this user's token is refused.
        const other = yield* Effect.flip(asNew(accounts.addMobileAppToken({ accountId: "someone-else", token: "push-token-1" })))
        expect(other).toMatchObject({ _tag: "TokenRejectedError", operation: "addMobileAppToken" })
        const users = yield* Simulator.users
        expect(users.find((u) => u.userId === userId)).toMatchObject({ email: "scotty@enterprise.st", name: "Montgomery Scott" })
      }))

    it.effect("profiles: put (overwrites), list names, get; an unknown one is NotFoundError", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        yield* activeUser("profile@x.co", "pw-profile")
        const asOwn = Session.withSession({ username: "profile@x.co", password: pw("pw-profile") })
        yield* asOwn(accounts.putProfile({ profileName: "DashBoard", InformationAboutDashboard: { agg: "daily" } }))
        yield* asOwn(accounts.putProfile({ profileName: "DashBoard", InformationAboutDashboard: { agg: "weekly" } }))
        yield* asOwn(accounts.putProfile({ profileName: "a/b settings" }))
        const names = yield* asOwn(accounts.profileNames())
        expect([...names.profileNames].sort()).toEqual(["DashBoard", "a/b settings"])
        expect((yield* asOwn(accounts.getProfile("DashBoard"))).InformationAboutDashboard).toEqual({ agg: "weekly" })
        expect((yield* asOwn(accounts.getProfile("a/b settings"))).profileName).toBe("a/b settings")
        expect(yield* Effect.flip(asOwn(accounts.getProfile("Nope")))).toMatchObject({
          _tag: "NotFoundError",
          operation: "getAccountProfilebyProfileName"
        })
        expect((yield* Effect.flip(asOwn(accounts.getProfile(" padded "))))._tag).toBe("InvalidInputError")
      }))

    it.effect("the account session: empty, then the fields sent are overwritten", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        yield* activeUser("asession@x.co", "pw-asession")
        const asOwn = Session.withSession({ username: "asession@x.co", password: pw("pw-asession") })
        expect(yield* asOwn(accounts.getSession())).toMatchObject({ valid: true })
        yield* asOwn(accounts.updateSession({ sessionvalue1: "192.168.1.1", sessionvalue2: "a" }))
        const updated = yield* asOwn(accounts.updateSession({ sessionvalue2: "b" }))
        expect(updated).toMatchObject({ sessionvalue1: "192.168.1.1", sessionvalue2: "b", valid: true })
        expect(yield* asOwn(accounts.getSession())).toMatchObject({ sessionvalue1: "192.168.1.1", sessionvalue2: "b" })
      }))
  })

  describe("the user's tokens", () => {
    it.effect("listed without the tokens themselves; one revoked by id is gone and refused", () =>
      Effect.gen(function*() {
        const tokens = yield* Tokens.Tokens
        const auth = yield* Auth.Auth
        yield* activeUser("tokens@x.co", "pw-tokens")
        const first = yield* auth.login({ username: "tokens@x.co", password: pw("pw-tokens") })
        const second = yield* auth.login({ username: "tokens@x.co", password: pw("pw-tokens") })
        const asSecond = Session.withSession({ token: second.token })
        const listed = yield* asSecond(tokens.list())
        expect(listed.map((t) => t.tokenId).sort()).toEqual([jtiOf(first.token), jtiOf(second.token)].sort())
        expect(JSON.stringify(listed)).not.toContain(Redacted.value(first.token))
        yield* asSecond(tokens.revoke(jtiOf(first.token)))
        yield* asSecond(tokens.revoke(jtiOf(first.token)))
        expect((yield* asSecond(tokens.list())).map((t) => t.tokenId)).toEqual([jtiOf(second.token)])
        expect(yield* Effect.flip(auth.check(first.token))).toMatchObject({ _tag: "TokenRejectedError" })
        expect(yield* Effect.flip(asSecond(tokens.revoke("not-mine")))).toMatchObject({
          _tag: "BadRequestError",
          operation: "deleteTokenById"
        })
      }))
  })

  describe("OAuth", () => {
    it.effect("code → tokens → validate → refresh; codes and refresh tokens are single-use", () =>
      Effect.gen(function*() {
        const oauth = yield* OAuth.OAuth
        const tokens = yield* Tokens.Tokens
        const userId = yield* activeUser("oauth@x.co", "pw-oauth")
        const code = yield* oauth.authorize({ username: "oauth@x.co", password: pw("pw-oauth") })
        expect(Option.isSome(code.accountId)).toBe(true)
        const issued = yield* oauth.exchange({ code: code.code })
        expect(Option.isSome(issued.refreshToken)).toBe(true)
        expect((yield* oauth.validate(issued.accessToken))).toMatchObject({ userId, authenticationFramework: "oauth" })
        const reused = yield* Effect.flip(oauth.exchange({ code: code.code }))
        expect(reused).toMatchObject({ _tag: "CodeRejectedError", operation: "exchangeAuthorizationCodeWithAccess", reason: "noPendingCode" })
        const refreshToken = Option.getOrThrow(issued.refreshToken)
        const refreshed = yield* oauth.refresh({ refreshToken })
        expect((yield* oauth.validate(refreshed.accessToken)).userId).toBe(userId)
        expect((yield* Effect.flip(oauth.refresh({ refreshToken })))._tag).toBe("CodeRejectedError")
        // The OAuth tokens are in the user's token list, and can be revoked there.
        const listed = yield* Session.withSession({ username: "oauth@x.co", password: pw("pw-oauth") })(tokens.list())
        expect(listed.filter((t) => t.authenticationFramework === "oauth").map((t) => t.tokenId).sort()).toEqual(
          [jtiOf(issued.accessToken), jtiOf(refreshed.accessToken)].sort()
        )
        yield* Session.withSession({ username: "oauth@x.co", password: pw("pw-oauth") })(tokens.revoke(jtiOf(refreshed.accessToken)))
        expect(yield* Effect.flip(oauth.validate(refreshed.accessToken))).toMatchObject({
          _tag: "TokenRejectedError",
          operation: "validateOAuthAccessToken"
        })
      }))

    it.effect("a wrong password, a wrong client, a user token in place of an access token", () =>
      Effect.gen(function*() {
        const oauth = yield* OAuth.OAuth
        const auth = yield* Auth.Auth
        yield* activeUser("oauth2@x.co", "pw-oauth2")
        expect(yield* Effect.flip(oauth.authorize({ username: "oauth2@x.co", password: pw("wrong") }))).toMatchObject({
          _tag: "InvalidCredentialsError",
          operation: "generateOAuthorizationCode"
        })
        const code = yield* oauth.authorize({ username: "oauth2@x.co", password: pw("pw-oauth2") })
        expect(yield* Effect.flip(oauth.exchange({ code: code.code, clientId: "another-app" }))).toMatchObject({
          _tag: "AccessDeniedError",
          operation: "exchangeAuthorizationCodeWithAccess"
        })
        const jwt = yield* auth.login({ username: "oauth2@x.co", password: pw("pw-oauth2") })
        expect((yield* Effect.flip(oauth.validate(jwt.token)))._tag).toBe("TokenRejectedError")
        expect((yield* Effect.flip(oauth.exchange({ code: pw("") })))._tag).toBe("InvalidInputError")
      }))
  })

  describe("meter point consent", () => {
    it.effect("as the user: renew, history, revoke, bulk; the status follows", () =>
      Effect.gen(function*() {
        const consent = yield* Consent.Consent
        yield* activeUser("consent@x.co", "pw-consent")
        const asOwn = Session.withSession({ username: "consent@x.co", password: pw("pw-consent") })
        expect((yield* asOwn(consent.own.status())).meterPointVerification).toEqual([])
        const renewed = yield* asOwn(consent.own.renew(mpan))
        expect(renewed).toMatchObject({ valid: true, mpxn: mpan, isVerified: true })
        yield* asOwn(consent.own.renew(mpan))
        expect((yield* asOwn(consent.own.renewals(mpan))).meterPointRenewals).toHaveLength(2)
        const revoked = yield* asOwn(consent.own.revoke(mpan))
        expect(revoked.isVerified).toBe(false)
        expect((yield* asOwn(consent.own.revocations(mpan))).meterPointRenewals).toHaveLength(1)
        const bulk = yield* asOwn(consent.own.renewAll([mpan, fullMpan, mprn]))
        expect(bulk.meterPointVerificationRenewals.map((r) => [r.mpxn, r.valid])).toEqual([[mpan, true], [fullMpan, true], [mprn, true]])
        const status = yield* asOwn(consent.own.status())
        expect(status.meterPointVerification.map((m) => [m.mpxn, m.mpxnKey, m.isVerified])).toEqual([
          [mpan, "mpan", true],
          [fullMpan, "mpan", true],
          [mprn, "mprn", true]
        ])
        const all = yield* asOwn(consent.own.revokeAll([mpan, fullMpan, mprn]))
        expect(all.meterPointRevocations.map((m) => m.mpxn)).toEqual([mpan, fullMpan, mprn])
        expect((yield* asOwn(consent.own.status())).meterPointVerification.every((m) => !m.isVerified)).toBe(true)
        expect(yield* Effect.flip(asOwn(consent.own.revoke("9999999")))).toMatchObject({
          _tag: "BadRequestError",
          serverMessage: "meter point not found"
        })
        const tooLong = new Date(Date.now() + 600 * 86_400_000)
        expect((yield* Effect.flip(asOwn(consent.own.renew(mpan, { until: tooLong }))))._tag).toBe("BadRequestError")
      }))

    it.effect("as an administrator for a user, with each admin alternative and the userId header", () =>
      Effect.gen(function*() {
        const consent = yield* Consent.Consent
        const userId = yield* activeUser("consent-admin@x.co", "pw-ca")
        for (const alternative of alternatives) {
          yield* as(alternative)(consent.forUser(userId).renew(mprn))
        }
        expect((yield* asAdmin(consent.forUser(userId).renewals(mprn))).meterPointRenewals).toHaveLength(3)
        // What the admin did, the user sees.
        const own = yield* Session.withSession({ username: "consent-admin@x.co", password: pw("pw-ca") })(consent.own.status())
        expect(own.meterPointVerification.map((m) => m.mpxn)).toEqual([mprn])
        // A user without an account in the application: the credential is refused for them.
        expect(yield* Effect.flip(asAdmin(consent.forUser("no-such-user").status()))).toMatchObject({
          _tag: "AccessDeniedError",
          operation: "getUserMeterPointVerificationConsentStatus"
        })
      }))

    it.effect("a meter point number that is not one is refused before the wire", () =>
      Effect.gen(function*() {
        const consent = yield* Consent.Consent
        const before = yield* received("renewMeterPointConsent")
        for (const bad of ["123456789012", "12345", "12345678901234", "12 3456 7890 123", "MPAN1234567", "", "../1234567"]) {
          const error = yield* Effect.flip(asAdmin(consent.forUser("u-1").renew(bad)))
          expect(error).toMatchObject({ _tag: "InvalidInputError", operation: "renewMeterPointConsent", field: "mpxn" })
          expect(error.message).toContain("MPRN (gas, 6 to 10 digits)")
        }
        expect((yield* Effect.flip(asAdmin(consent.forUser("u-1").renewAll([]))))._tag).toBe("InvalidInputError")
        expect(yield* Effect.flip(asAdmin(consent.forUser("").status()))).toMatchObject({ _tag: "InvalidInputError", field: "userId" })
        expect(yield* received("renewMeterPointConsent")).toBe(before)
        // Surrounding whitespace is trimmed.
        expect((yield* Effect.flip(asAdmin(consent.forUser("u-1").renew(` ${mpan} `))))._tag).toBe("AccessDeniedError")
      }))
  })

  describe("faults and counters, per operation", () => {
    it.effect("a replayable read is retried through a 500; a consent renewal is not replayed", () =>
      Effect.gen(function*() {
        const accounts = yield* Accounts.Accounts
        const consent = yield* Consent.Consent
        const userId = yield* activeUser("faults@x.co", "pw-faults")
        yield* Simulator.setFaults({ operations: { getAccounts: { serverError: { rate: 1, times: 1 }, serverErrorStatuses: [500] } } })
        const before = yield* received("getAccounts")
        yield* asAdmin(accounts.list())
        expect((yield* received("getAccounts")) - before).toBe(2)
        yield* Simulator.setFaults({ operations: { renewMeterPointConsent: { serverError: { rate: 1, times: 1 }, serverErrorStatuses: [500] } } })
        const sent = yield* received("renewMeterPointConsent")
        expect((yield* Effect.flip(asAdmin(consent.forUser(userId).renew(mpan))))._tag).toBe("ServerError")
        expect((yield* received("renewMeterPointConsent")) - sent).toBe(1)
        yield* Simulator.setFaults({})
      }))

    it.effect("an exchange whose answer was lost is not replayed (its code is used up); the token list is", () =>
      Effect.gen(function*() {
        const oauth = yield* OAuth.OAuth
        const tokens = yield* Tokens.Tokens
        yield* activeUser("replay@x.co", "pw-replay")
        const code = yield* oauth.authorize({ username: "replay@x.co", password: pw("pw-replay") })
        yield* Simulator.setFaults({ operations: { exchangeAuthorizationCodeWithAccess: { dropAfter: { rate: 1, times: 1 } } } })
        const sent = yield* received("exchangeAuthorizationCodeWithAccess")
        const lost = yield* Effect.flip(oauth.exchange({ code: code.code }))
        expect(lost).toMatchObject({ _tag: "TransportError", mayHaveReachedServer: true })
        expect((yield* received("exchangeAuthorizationCodeWithAccess")) - sent).toBe(1)
        // The server did act: the code is used.
        expect(yield* Effect.flip(oauth.exchange({ code: code.code }))).toMatchObject({ _tag: "CodeRejectedError", reason: "noPendingCode" })
        yield* Simulator.setFaults({ operations: { getTokenOfUser: { dropAfter: { rate: 1, times: 1 } } } })
        const listed = yield* received("getTokenOfUser")
        yield* Session.withSession({ username: "replay@x.co", password: pw("pw-replay") })(tokens.list())
        expect((yield* received("getTokenOfUser")) - listed).toBe(2)
        yield* Simulator.setFaults({})
      }))
  })
})

