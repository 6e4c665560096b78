/**
 * The `/auth` calls a session needs: log in, check a token, swap it for a new one, revoke it.
 *
 * These take the token explicitly; `UserSession` builds on them to hold one and keep it fresh.
 *
 * | operationId     | method   |
 * |-----------------|----------|
 * | `usernamelogin` | `login`  |
 * | `tokencheck`    | `check`  |
 * | `newToken`      | `renew`  |
 * | `deleteToken`   | `revoke` |
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  type Operation,
  UnexpectedResponseError
} from "../schema/GlowmarktError.js"
import { ApplicationId, AuthTokenFromSelf, DirectoryId, PasswordFromSelf, Username } from "../schema/Identifiers.js"
import type { AccountId, AuthToken } from "../schema/Identifiers.js"
import type { TokenCheckRes } from "../schema/Models.js"
import type { Settings } from "./GlowmarktConfig.js"
import { call } from "./internal/call.js"
import type { OperationError } from "./internal/edge.js"
import { decodeInput, orConfigured } from "./internal/input.js"
import { loginPayload } from "./internal/login.js"
import { type Clients, ClientsService, clientsLayer, makeClients, SessionToken } from "./internal/client.js"

/** @category schemas @since 0.1.0 */
export const LoginInput = Schema.Struct({
  username: Username,
  password: PasswordFromSelf,
  applicationId: Schema.optional(ApplicationId),
  directoryId: Schema.optional(DirectoryId)
})
/** The input of {@link Service.login}. @category models @since 0.1.0 */
export interface LoginInput {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
  /** Sent only when given. */
  readonly directoryId?: string | undefined
}

/**
 * A token and what is known about it. `expiresAt` comes from the server's `exp`: lifetimes
 * range from days to more than a year, so it is read, never assumed.
 *
 * @category models
 * @since 0.1.0
 */
export interface IssuedToken {
  readonly token: AuthToken
  readonly expiresAt: Date
  readonly applicationId: ApplicationId
  readonly accountId: Option.Option<AccountId>
  readonly name: Option.Option<string>
}

/**
 * What `login` can fail with: the username and password were refused (`InvalidCredentialsError`:
 * wrong, unknown, or not verified yet).
 *
 * @category errors
 * @since 0.1.0
 */
export type LoginError = OperationError<"usernamelogin">

/**
 * What the calls that take a token (`check`, `renew`, `revoke`) can fail with: the token was
 * refused (`TokenRejectedError`: expired, revoked, or another application's).
 *
 * @category errors
 * @since 0.1.0
 */
export type TokenError = OperationError<"tokencheck" | "newToken" | "deleteToken">

/**
 * The `/auth` calls.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** `POST /auth` (usernamelogin): a token for a username and password. */
  readonly login: (input: LoginInput) => Effect.Effect<IssuedToken, LoginError>
  /** `GET /auth` (tokencheck): whether a token is valid, and until when. */
  readonly check: (
    token: Redacted.Redacted<string>,
    options?: { readonly applicationId?: string | undefined }
  ) => Effect.Effect<TokenCheckRes, OperationError<"tokencheck">>
  /** `GET /auth/newToken` (newToken): a fresh token for a valid one. */
  readonly renew: (
    token: Redacted.Redacted<string>,
    options?: { readonly applicationId?: string | undefined }
  ) => Effect.Effect<IssuedToken, OperationError<"newToken">>
  /** `DELETE /auth/deleteToken` (deleteToken): revokes the token. */
  readonly revoke: (
    token: Redacted.Redacted<string>,
    options?: { readonly applicationId?: string | undefined }
  ) => Effect.Effect<void, OperationError<"deleteToken">>
}

/**
 * The `/auth` service.
 *
 * @category tags
 * @since 0.1.0
 */
export class Auth extends Context.Tag("effect-glowmarkt/Auth")<Auth, Service>() {}

const TokenInput = Schema.Struct({ token: AuthTokenFromSelf, applicationId: Schema.optional(ApplicationId) })

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => {
  const settings: Settings = clients.settings
  const appId = (operation: Operation, value: ApplicationId | undefined) =>
    orConfigured(operation, "applicationId", value, settings.applicationId)
  const withToken = (operation: Operation, token: Redacted.Redacted<string>, applicationId: string | undefined) =>
    Effect.gen(function*() {
      const i = yield* decodeInput(operation, TokenInput, { token, applicationId })
      return SessionToken.of({ token: i.token, applicationId: yield* appId(operation, i.applicationId) })
    })
  return {
    login: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("usernamelogin", LoginInput, input)
        const applicationId = yield* appId("usernamelogin", i.applicationId)
        const payload = loginPayload(i)
        const res = yield* call(
          "usernamelogin",
          clients,
          clients.public.usernamelogin({ headers: { applicationid: applicationId }, payload })
        )
        if (!res.valid) {
          return yield* new UnexpectedResponseError({ operation: "usernamelogin", status: 200, problem: "valid: false in a success answer" })
        }
        return {
          token: res.token,
          expiresAt: new Date(res.exp * 1000),
          applicationId: res.applicationId ?? applicationId,
          accountId: Option.fromNullable(res.accountId),
          name: Option.fromNullable(res.name)
        }
      }),
    check: (token, options) =>
      Effect.flatMap(
        withToken("tokencheck", token, options?.applicationId),
        (session) => call("tokencheck", clients, clients.session.tokencheck()).pipe(
          Effect.provideService(SessionToken, session)
        )
      ),
    renew: (token, options) =>
      Effect.gen(function*() {
        const session = yield* withToken("newToken", token, options?.applicationId)
        const res = yield* call("newToken", clients, clients.session.newToken()).pipe(
          Effect.provideService(SessionToken, session)
        )
        if (!res.valid) {
          return yield* new UnexpectedResponseError({ operation: "newToken", status: 200, problem: "valid: false in a success answer" })
        }
        return {
          token: res.token,
          expiresAt: new Date(res.exp * 1000),
          applicationId: session.applicationId,
          accountId: Option.none(),
          name: Option.none()
        }
      }),
    revoke: (token, options) =>
      Effect.gen(function*() {
        const session = yield* withToken("deleteToken", token, options?.applicationId)
        yield* call("deleteToken", clients, clients.session.deleteToken()).pipe(
          Effect.provideService(SessionToken, session)
        )
      })
  }
}

/**
 * Builds the service from the configured `HttpClient`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = Effect.map(makeClients, fromClients)

/**
 * The service, on `GlowmarktConfig` and an `HttpClient`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = Layer.effect(Auth, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
