/**
 * The security alternatives of the new operations, enforced by the types and visible on the
 * wire: account administration sends each admin alternative's headers; the user's own calls send
 * `applicationId` + token; consent sends an admin credential with the `userId` header, or the
 * user's token; the OAuth exchange sends no credential header and a form; validation sends the
 * access token.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Redacted from "effect/Redacted"
import * as Accounts from "../src/services/Accounts.js"
import * as Consent from "../src/services/Consent.js"
import * as Credentials from "../src/services/Credentials.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Session from "../src/services/Session.js"
import * as Tokens from "../src/services/Tokens.js"
import { clientLayer, json, scripted } from "./support/scripted.js"

const unwrap = <A, E>(e: Either.Either<A, E>): A => Either.getOrThrowWith(e, (l) => l)
const appKeys = unwrap(Credentials.AdminCredential.appKeys({ keyId: "app-key", secret: "app-secret" }))
const orgKeys = unwrap(Credentials.AdminCredential.organisationKeys({ applicationId: "app-9", keyId: "org-key", secret: "org-secret" }))
const devToken = unwrap(Credentials.AdminCredential.developerToken({ applicationId: "app-9", token: "dev-token-1" }))

const authHeaders = ["authorization", "applicationid", "token", "userid"] as const
const present = (headers: Record<string, unknown>) => authHeaders.filter((h) => headers[h] !== undefined).sort()

// ---------------------------------------------------------------------------------------------
// Type-level proof (checked by `tsc`, which `npm test` runs first).

const listAccounts = Effect.flatMap(Accounts.Accounts, (a) => a.list())
// @ts-expect-error AdminAuth is missing from the context
export const listWithout: Effect.Effect<unknown, unknown, Accounts.Accounts> = listAccounts
export const listWith: Effect.Effect<unknown, unknown, Accounts.Accounts> = Credentials.withAdmin(listAccounts, appKeys)

const ownStatus = Effect.flatMap(Accounts.Accounts, (a) => a.ownStatus())
// @ts-expect-error UserSession is missing from the context
export const ownWithout: Effect.Effect<unknown, unknown, Accounts.Accounts> = ownStatus

const tokenList = Effect.flatMap(Tokens.Tokens, (t) => t.list())
// @ts-expect-error UserSession is missing from the context
export const tokensWithout: Effect.Effect<unknown, unknown, Tokens.Tokens> = tokenList

const consentAsAdmin = Effect.flatMap(Consent.Consent, (c) => c.forUser("u-1").status())
// @ts-expect-error AdminAuth is missing from the context
export const consentAdminWithout: Effect.Effect<unknown, unknown, Consent.Consent> = consentAsAdmin
const consentOwn = Effect.flatMap(Consent.Consent, (c) => c.own.status())
// @ts-expect-error UserSession is missing from the context
export const consentOwnWithout: Effect.Effect<unknown, unknown, Consent.Consent> = consentOwn
// An admin credential does not stand in for the user's session, nor the other way round.
// @ts-expect-error UserSession is still missing
export const consentOwnWithAdmin: Effect.Effect<unknown, unknown, Consent.Consent> = Credentials.withAdmin(consentOwn, appKeys)

// OAuth needs no credential in the context: the code request carries the username and password,
// the exchange its code, validation the access token given to it.
export const oauthNeedsNothing: Effect.Effect<unknown, unknown, OAuth.OAuth> = Effect.flatMap(
  OAuth.OAuth,
  (o) => o.validate(Redacted.make("access"))
)

// ---------------------------------------------------------------------------------------------

const loginAnswer = json(200, { valid: true, token: "user-jwt-1", exp: 4102444800, accountId: "acc-1", applicationId: "app-1" })
const asUser = Session.withSession({ username: "a@b.co", password: Redacted.make("pw"), applicationId: "app-1" })

describe("security alternatives of the new operations", () => {
  const alternatives = [
    ["app keys", appKeys, ["authorization"]],
    ["organisation keys", orgKeys, ["applicationid", "authorization"]],
    ["developer token", devToken, ["applicationid", "token"]]
  ] as const

  for (const [name, credential, expected] of alternatives) {
    it.scoped(`account administration with ${name} sends exactly its headers`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, []))
        yield* listAccounts.pipe(Credentials.withAdmin(credential), Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
        expect(present(server.requests[0]!.headers)).toEqual([...expected].sort())
      }))

    it.scoped(`consent for a user with ${name} adds the userId header`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, { meterPointVerification: [] }))
        yield* consentAsAdmin.pipe(Credentials.withAdmin(credential), Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
        const request = server.requests[0]!
        expect(present(request.headers)).toEqual([...expected, "userid"].sort())
        expect(request.headers.userid).toBe("u-1")
        expect(request.url).toBe("/api/v0-1/user/verification/status")
      }))
  }

  it.scoped("the user's own account, tokens and consent send applicationId and the token, nothing else", () =>
    Effect.gen(function*() {
      const server = yield* scripted((r) =>
        r.url.endsWith("/auth") && r.method === "POST"
          ? loginAnswer
          : r.url.endsWith("/auth/token")
          ? json(200, [])
          : r.url.endsWith("/account/status")
          ? json(200, { accountId: "acc-1", active: true, applicationId: "app-1" })
          : json(200, { meterPointVerification: [] })
      )
      yield* Effect.all([ownStatus, tokenList, consentOwn]).pipe(asUser, Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
      for (const request of server.requests.slice(1)) {
        expect(present(request.headers)).toEqual(["applicationid", "token"])
        expect(request.headers.token).toBe("user-jwt-1")
      }
      expect(server.requests.map((r) => r.url).slice(1)).toEqual([
        "/api/v0-1/account/status",
        "/api/v0-1/auth/token",
        "/api/v0-1/user/verification/status"
      ])
    }))

  it.scoped("the OAuth exchange is a form without credential headers; validation sends the access token", () =>
    Effect.gen(function*() {
      const server = yield* scripted((r) =>
        r.method === "POST"
          ? json(200, { access_token: "acc-tok", expires_in: 604800, refresh_type: "ref-tok", token_type: "bearer" })
          : json(200, { userId: "u-1", status: "active" })
      )
      const oauth = OAuth.OAuth
      const tokens = yield* Effect.flatMap(oauth, (o) => o.exchange({ code: Redacted.make("the-code"), clientId: "app-1" })).pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(Redacted.value(tokens.accessToken)).toBe("acc-tok")
      expect(tokens.refreshToken._tag === "Some" && Redacted.value(tokens.refreshToken.value)).toBe("ref-tok")
      const exchange = server.requests[0]!
      expect(present(exchange.headers)).toEqual([])
      expect(exchange.headers["content-type"]).toContain("application/x-www-form-urlencoded")
      expect(Object.fromEntries(new URLSearchParams(exchange.body))).toEqual({
        grant_type: "authorization_code",
        client_id: "app-1",
        code: "the-code"
      })
      yield* Effect.flatMap(oauth, (o) => o.validate(tokens.accessToken)).pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      const validate = server.requests[1]!
      expect(present(validate.headers)).toEqual(["token"])
      expect(validate.headers.token).toBe("acc-tok")
    }))
})
