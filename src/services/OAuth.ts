/**
 * OAuth 2.0 authorization-code grant: a code for a user's username and password, access and
 * refresh tokens for the code (form-encoded, as the spec has it), a new pair for a refresh
 * token, and validation of an access token.
 *
 * | operationId                           | method      | needs                      |
 * |---------------------------------------|-------------|----------------------------|
 * | `generateOAuthorizationCode`          | `authorize` | nothing (`applicationId`)  |
 * | `exchangeAuthorizationCodeWithAccess` | `exchange`, `refresh` | nothing (the client id) |
 * | `validateOAuthAccessToken`            | `validate`  | an OAuth access token      |
 *
 * Codes and refresh tokens are single-use: `exchange` and `refresh` are sent once, never
 * replayed (a replay after a lost answer would be refused, and the first answer's tokens lost).
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  UnexpectedResponseError
} from "../schema/GlowmarktError.js"
import { AccountId, ApplicationId, RedactedStringFromSelf } from "../schema/Identifiers.js"
import { type OAuthValidAccessTokenRes, OAuthTokenReq } from "../schema/OAuthModels.js"
import { LoginInput } from "./Auth.js"
import type { Settings } from "./GlowmarktConfig.js"
import { call } from "./internal/call.js"
import type { OperationError } from "./internal/edge.js"
import { type Clients, ClientsService, clientsLayer, makeClients, OAuthAccessToken } from "./internal/client.js"
import { decodeInput, orConfigured } from "./internal/input.js"
import { loginPayload } from "./internal/login.js"

/** A secret as a caller holds it: `Redacted`, non-empty, bounded, without control characters. */
const secretFromSelf = (identifier: string) =>
  RedactedStringFromSelf.pipe(
    Schema.filter((r) => {
      const v = Redacted.value(r)
      // eslint-disable-next-line no-control-regex
      return (v.length > 0 && v.length <= 4096 && !/[\u0000-\u001f\u007f]/.test(v)) ||
        "must be non-empty, at most 4096 characters, without control characters"
    }),
    Schema.annotations({ identifier })
  )

/** @since 0.1.0 */
export const ExchangeInput = Schema.Struct({
  code: secretFromSelf("OAuthCode"),
  clientId: Schema.optional(ApplicationId),
  clientSecret: Schema.optional(secretFromSelf("OAuthClientSecret"))
})
/** The input of {@link Service.exchange}. @since 0.1.0 */
export interface ExchangeInput {
  readonly code: Redacted.Redacted<string>
  /** The OAuth client: defaults to the configured `applicationId`. */
  readonly clientId?: string | undefined
  readonly clientSecret?: Redacted.Redacted<string> | undefined
}

/** @since 0.1.0 */
export const RefreshInput = Schema.Struct({
  refreshToken: secretFromSelf("OAuthRefreshToken"),
  clientId: Schema.optional(ApplicationId),
  clientSecret: Schema.optional(secretFromSelf("OAuthClientSecret"))
})
/** The input of {@link Service.refresh}. @since 0.1.0 */
export interface RefreshInput {
  readonly refreshToken: Redacted.Redacted<string>
  readonly clientId?: string | undefined
  readonly clientSecret?: Redacted.Redacted<string> | undefined
}

const AccessTokenInput = Schema.Struct({ token: secretFromSelf("OAuthAccessToken") })

/**
 * An authorization code and its expiry.
 *
 * @since 0.1.0
 */
export interface AuthorizationCode {
  readonly code: Redacted.Redacted<string>
  readonly expiresAt: Date
  readonly accountId: Option.Option<AccountId>
  readonly name: Option.Option<string>
}

/**
 * Access and refresh tokens. `expiresAt` is counted from when the answer arrived, on the
 * Effect `Clock`.
 *
 * @since 0.1.0
 */
export interface OAuthTokens {
  readonly accessToken: Redacted.Redacted<string>
  readonly refreshToken: Option.Option<Redacted.Redacted<string>>
  readonly expiresAt: Date
  readonly tokenType: Option.Option<string>
}

/**
 * What `authorize` can fail with: the username and password were refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type AuthorizeError = OperationError<"generateOAuthorizationCode">
/**
 * What `exchange` and `refresh` can fail with: the code or refresh token was refused
 * (`CodeRejectedError`: `expired`, or `noPendingCode` when used up or unknown), another 400,
 * the client was refused (`AccessDeniedError`).
 *
 * @category errors
 * @since 0.1.0
 */
export type ExchangeError = OperationError<"exchangeAuthorizationCodeWithAccess">
/**
 * What `validate` can fail with: the access token was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type ValidateError = OperationError<"validateOAuthAccessToken">

/**
 * The OAuth calls.
 *
 * @since 0.1.0
 */
export interface Service {
  /** `POST /auth/oauth` (generateOAuthorizationCode): a single-use code for a username and password. */
  readonly authorize: (input: LoginInput) => Effect.Effect<AuthorizationCode, AuthorizeError>
  /** `POST /auth/oauth/access` with `grant_type=authorization_code`: tokens for a code. Sent once. */
  readonly exchange: (input: ExchangeInput) => Effect.Effect<OAuthTokens, ExchangeError>
  /** `POST /auth/oauth/access` with `grant_type=refresh_token`: new tokens for a refresh token. Sent once. */
  readonly refresh: (input: RefreshInput) => Effect.Effect<OAuthTokens, ExchangeError>
  /** `GET /auth/oauth` (validateOAuthAccessToken): the user an access token belongs to. */
  readonly validate: (accessToken: Redacted.Redacted<string>) => Effect.Effect<OAuthValidAccessTokenRes, ValidateError>
}

/**
 * The OAuth service.
 *
 * @since 0.1.0
 */
export class OAuth extends Context.Tag("effect-glowmarkt/OAuth")<OAuth, Service>() {}

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => {
  const settings: Settings = clients.settings
  const token = (payload: OAuthTokenReq) =>
    Effect.gen(function*() {
      const res = yield* call(
        "exchangeAuthorizationCodeWithAccess",
        clients,
        clients.oauthPublic.exchangeAuthorizationCodeWithAccess({ payload })
      )
      const now = yield* Clock.currentTimeMillis
      return {
        accessToken: res.access_token,
        refreshToken: Option.fromNullable(res.refresh_token ?? res.refresh_type),
        expiresAt: new Date(now + res.expires_in * 1000),
        tokenType: Option.fromNullable(res.token_type)
      } satisfies OAuthTokens
    })
  const clientOf = (clientId: ApplicationId | undefined) =>
    orConfigured("exchangeAuthorizationCodeWithAccess", "applicationId", clientId, settings.applicationId)
  return {
    authorize: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("generateOAuthorizationCode", LoginInput, input)
        const applicationId = yield* orConfigured("generateOAuthorizationCode", "applicationId", i.applicationId, settings.applicationId)
        const payload = loginPayload(i)
        const res = yield* call(
          "generateOAuthorizationCode",
          clients,
          clients.oauthPublic.generateOAuthorizationCode({ headers: { applicationid: applicationId }, payload })
        )
        if (!res.valid) {
          return yield* new UnexpectedResponseError({
            operation: "generateOAuthorizationCode",
            status: 200,
            problem: "valid: false in a success answer"
          })
        }
        return {
          code: res.code,
          expiresAt: new Date(res.exp * 1000),
          accountId: Option.fromNullable(res.accountId),
          name: Option.fromNullable(res.name)
        }
      }),
    exchange: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("exchangeAuthorizationCodeWithAccess", ExchangeInput, input)
        const clientId = yield* clientOf(i.clientId)
        return yield* token(
          new OAuthTokenReq({
            grant_type: "authorization_code",
            client_id: clientId,
            code: i.code,
            ...(i.clientSecret === undefined ? {} : { client_secret: i.clientSecret })
          }, true)
        )
      }),
    refresh: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("exchangeAuthorizationCodeWithAccess", RefreshInput, input)
        const clientId = yield* clientOf(i.clientId)
        return yield* token(
          new OAuthTokenReq({
            grant_type: "refresh_token",
            client_id: clientId,
            refresh_token: i.refreshToken,
            ...(i.clientSecret === undefined ? {} : { client_secret: i.clientSecret })
          }, true)
        )
      }),
    validate: (accessToken) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("validateOAuthAccessToken", AccessTokenInput, { token: accessToken })
        return yield* call("validateOAuthAccessToken", clients, clients.oauthAccess.validateOAuthAccessToken()).pipe(
          Effect.provideService(OAuthAccessToken, { token: i.token })
        )
      })
  }
}

/**
 * Builds the service from the configured `HttpClient`.
 *
 * @since 0.1.0
 */
export const make = Effect.map(makeClients, fromClients)

/**
 * The service, on `GlowmarktConfig` and an `HttpClient`.
 *
 * @since 0.1.0
 */
export const layer = Layer.effect(OAuth, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
