/**
 * The 400s of the new operations that mean something (an unknown user for `addAccount`, a used
 * or expired OAuth code), decided at the service edge; and each new method's error type, at the
 * type level: the consent calls made as an administrator cannot fail with a refused token, those
 * made as the user cannot fail with a refused admin credential; and each method's union is exactly
 * the one its operation maps to (its declared statuses and its row of the operations table).
 */
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type {
  AccessDeniedError,
  BadRequestError,
  CallError,
  CodeRejectedError,
  InvalidCredentialsError,
  InvalidInputError,
  NotFoundError,
  TokenRejectedError,
  UnknownUserError
} from "../src/schema/GlowmarktError.js"
import type * as Auth from "../src/services/Auth.js"
import type { OperationError } from "../src/services/internal/edge.js"
import type { SessionError } from "../src/services/Session.js"
import type * as Tokens from "../src/services/Tokens.js"
import type * as Users from "../src/services/Users.js"
import * as Accounts from "../src/services/Accounts.js"
import type * as Consent from "../src/services/Consent.js"
import * as Credentials from "../src/services/Credentials.js"
import * as OAuth from "../src/services/OAuth.js"
import { clientLayer, json, scripted } from "./support/scripted.js"

const admin = Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "s3cret-key" }).pipe(
  (e) => (e._tag === "Right" ? e.right : (() => {
    throw e.left
  })())
)

const calls: Record<string, Effect.Effect<unknown, { readonly _tag: string }, any>> = {
  addAccount: Effect.flatMap(Accounts.Accounts, (a) => a.add({ username: "a@b.co" })),
  exchangeAuthorizationCodeWithAccess: Effect.flatMap(OAuth.OAuth, (o) => o.exchange({ code: Redacted.make("code-1") })),
  validateOAuthAccessToken: Effect.flatMap(OAuth.OAuth, (o) => o.validate(Redacted.make("access-1")))
}

describe("400s of the new operations", () => {
  const cases: ReadonlyArray<readonly [string, string, string, Record<string, unknown>?]> = [
    ["addAccount", "user not found", "UnknownUserError", { username: "a@b.co" }],
    ["addAccount", "incorrect elements", "BadRequestError"],
    ["exchangeAuthorizationCodeWithAccess", "authorization code expired, request a new one", "CodeRejectedError", { reason: "expired" }],
    ["exchangeAuthorizationCodeWithAccess", "no valid authorization code, request a new one", "CodeRejectedError", { reason: "noPendingCode" }],
    ["exchangeAuthorizationCodeWithAccess", "user not found", "BadRequestError"],
    ["validateOAuthAccessToken", "token expired", "BadRequestError"]
  ]
  for (const [operation, message, tag, fields] of cases) {
    it.scoped(`${operation}: 400 "${message}" is ${tag}`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(400, { error: message }))
        const error = yield* calls[operation]!.pipe(
          Credentials.withAdmin(admin),
          Effect.flip,
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, applicationId: "app-1", directoryId: "dir-1", retry: { times: 0 } }))
        )
        expect(error).toMatchObject({ _tag: tag, operation, ...fields })
      }))
  }

  it.effect("each new method's error type is what its operation can produce", () =>
    Effect.sync(() => {
      type ErrorOf<F> = F extends (...args: any) => Effect.Effect<any, infer E, any> ? E : never
      expectTypeOf<UnknownUserError>().toMatchTypeOf<ErrorOf<Accounts.Service["add"]>>()
      expectTypeOf<UnknownUserError>().not.toMatchTypeOf<ErrorOf<Accounts.Service["update"]>>()
      expectTypeOf<NotFoundError>().toMatchTypeOf<ErrorOf<Accounts.Service["get"]>>()
      expectTypeOf<NotFoundError>().not.toMatchTypeOf<ErrorOf<Accounts.Service["delete"]>>()
      expectTypeOf<TokenRejectedError>().toMatchTypeOf<ErrorOf<Accounts.Service["changeName"]>>()
      expectTypeOf<AccessDeniedError>().not.toMatchTypeOf<ErrorOf<Accounts.Service["changeName"]>>()
      expectTypeOf<CodeRejectedError>().toMatchTypeOf<ErrorOf<OAuth.Service["exchange"]>>()
      expectTypeOf<CodeRejectedError>().not.toMatchTypeOf<ErrorOf<OAuth.Service["validate"]>>()
      type AdminWay = ReturnType<Consent.Service["forUser"]>
      type OwnWay = Consent.Service["own"]
      expectTypeOf<AccessDeniedError>().toMatchTypeOf<ErrorOf<AdminWay["renew"]>>()
      expectTypeOf<TokenRejectedError>().not.toMatchTypeOf<ErrorOf<AdminWay["renew"]>>()
      expectTypeOf<TokenRejectedError>().toMatchTypeOf<ErrorOf<OwnWay["renew"]>>()
      expectTypeOf<AccessDeniedError>().not.toMatchTypeOf<ErrorOf<OwnWay["renew"]>>()
      expectTypeOf<NotFoundError>().not.toMatchTypeOf<ErrorOf<OwnWay["status"]>>()
      // A consent status call cannot fail with a refused code, either way.
      expectTypeOf<CodeRejectedError>().not.toMatchTypeOf<ErrorOf<OwnWay["status"]>>()
      expectTypeOf<CodeRejectedError>().not.toMatchTypeOf<ErrorOf<AdminWay["status"]>>()
    }))

  it.effect("each method's union is exactly what its operation maps to (derived from the one table)", () =>
    Effect.sync(() => {
      type ErrorOf<F> = F extends (...args: any) => Effect.Effect<any, infer E, any> ? E : never
      type AdminWay = ReturnType<Consent.Service["forUser"]>
      type OwnWay = Consent.Service["own"]
      // Consent: a 400 is a bad request, a 401 the way's refusal; no 404 is declared.
      expectTypeOf<ErrorOf<OwnWay["status"]>>().toEqualTypeOf<
        InvalidInputError | BadRequestError | TokenRejectedError | SessionError | CallError
      >()
      expectTypeOf<ErrorOf<AdminWay["revokeAll"]>>().toEqualTypeOf<
        InvalidInputError | BadRequestError | AccessDeniedError | CallError
      >()
      expectTypeOf<ErrorOf<AdminWay["renew"]>>().toEqualTypeOf<Consent.ErrorOf<"renewMeterPointConsent", "admin">>()
      expectTypeOf<ErrorOf<OwnWay["revocations"]>>().toEqualTypeOf<
        OperationError<"getMeterPointConsentRevocation"> | SessionError
      >()
      expectTypeOf<Consent.AdminConsentError>().toEqualTypeOf<Consent.ConsentError<AccessDeniedError>>()
      // Accounts: `add` can meet an unknown user, `get` a missing account, `delete` neither.
      expectTypeOf<ErrorOf<Accounts.Service["add"]>>().toEqualTypeOf<
        InvalidInputError | UnknownUserError | BadRequestError | AccessDeniedError | CallError
      >()
      expectTypeOf<ErrorOf<Accounts.Service["get"]>>().toEqualTypeOf<
        InvalidInputError | AccessDeniedError | NotFoundError | CallError
      >()
      expectTypeOf<ErrorOf<Accounts.Service["delete"]>>().toEqualTypeOf<
        InvalidInputError | BadRequestError | AccessDeniedError | CallError
      >()
      expectTypeOf<ErrorOf<Accounts.Service["ownStatus"]>>().toEqualTypeOf<OperationError<"getAccountStatusbyUserToken"> | SessionError>()
      // Tokens and OAuth.
      expectTypeOf<ErrorOf<Tokens.Service["revoke"]>>().toEqualTypeOf<
        InvalidInputError | BadRequestError | TokenRejectedError | SessionError | CallError
      >()
      expectTypeOf<ErrorOf<OAuth.Service["exchange"]>>().toEqualTypeOf<
        InvalidInputError | CodeRejectedError | BadRequestError | AccessDeniedError | CallError
      >()
      expectTypeOf<ErrorOf<OAuth.Service["authorize"]>>().toEqualTypeOf<
        InvalidInputError | BadRequestError | InvalidCredentialsError | CallError
      >()
      // Users and Auth, the same way.
      expectTypeOf<ErrorOf<Users.Service["verify"]>>().toEqualTypeOf<OperationError<"verifyUser">>()
      expectTypeOf<ErrorOf<Users.Service["getById"]>>().toEqualTypeOf<
        InvalidInputError | AccessDeniedError | NotFoundError | CallError
      >()
      expectTypeOf<ErrorOf<Auth.Service["renew"]>>().toEqualTypeOf<
        InvalidInputError | TokenRejectedError | BadRequestError | CallError
      >()
    }))
})
