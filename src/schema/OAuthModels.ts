/**
 * The bodies of the OAuth 2.0 authorization-code operations and of the user's token list.
 *
 * Codes, access and refresh tokens and client secrets are `Redacted` on the type side.
 *
 * @since 0.1.0
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { AccountId, PathSegment, RedactedString, UserId } from "./Identifiers.js"

// eslint-disable-next-line no-control-regex
const headerUnsafe = /[\u0000-\u001f\u007f]/

/** A secret that travels in a header or a form: `Redacted`, non-empty, no control characters. */
const secret = (identifier: string) =>
  RedactedString.pipe(
    Schema.filter((r) => {
      const v = Redacted.value(r)
      return (v.length > 0 && v.length <= 4096 && !headerUnsafe.test(v)) ||
        "must be non-empty, at most 4096 characters, without control characters"
    }),
    Schema.annotations({ identifier })
  )

/**
 * An OAuth authorization code, held as `Redacted`.
 *
 * @since 0.1.0
 */
export const OAuthCode = secret("OAuthCode")

/**
 * An OAuth access token, held as `Redacted` (sent in the `token` header).
 *
 * @since 0.1.0
 */
export const OAuthAccessToken = secret("OAuthAccessToken")

/**
 * An OAuth refresh token, held as `Redacted`.
 *
 * @since 0.1.0
 */
export const OAuthRefreshToken = secret("OAuthRefreshToken")

/**
 * An OAuth client secret, held as `Redacted`.
 *
 * @since 0.1.0
 */
export const OAuthClientSecret = secret("OAuthClientSecret")

/**
 * `OAuthCodeRes`: the answer of `POST /auth/oauth`, an authorization code and its expiry.
 *
 * @since 0.1.0
 */
export class OAuthCodeRes extends Schema.Class<OAuthCodeRes>("OAuthCodeRes")({
  valid: Schema.Boolean,
  code: OAuthCode,
  exp: Schema.Number,
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  name: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * `OAuthAccessRefreshToken`: the form-encoded body of `POST /auth/oauth/access`. With
 * `grant_type=authorization_code` it carries `code`; with `grant_type=refresh_token`,
 * `refresh_token`.
 *
 * @since 0.1.0
 */
export class OAuthTokenReq extends Schema.Class<OAuthTokenReq>("OAuthAccessRefreshToken")({
  grant_type: Schema.Literal("authorization_code", "refresh_token"),
  client_id: Schema.String,
  client_secret: Schema.optional(OAuthClientSecret),
  code: Schema.optional(OAuthCode),
  refresh_token: Schema.optional(OAuthRefreshToken)
}) {}

/** The form-encoded payload schema of `POST /auth/oauth/access`. @since 0.1.0 */
export const OAuthTokenForm = OAuthTokenReq.pipe(HttpApiSchema.withEncoding({ kind: "UrlParams" }))

/**
 * `ExchangeAuthorizationCodeWithAccessRes`: an access token, its lifetime in seconds, and a
 * refresh token. The spec spells the refresh token's field `refresh_type`; `refresh_token` (the
 * OAuth 2.0 name) is read as well.
 *
 * @since 0.1.0
 */
export class OAuthTokenRes extends Schema.Class<OAuthTokenRes>("ExchangeAuthorizationCodeWithAccessRes")({
  access_token: OAuthAccessToken,
  expires_in: Schema.Number,
  refresh_token: Schema.optionalWith(OAuthRefreshToken, { exact: true }),
  refresh_type: Schema.optionalWith(OAuthRefreshToken, { exact: true }),
  token_type: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * `OAuthValidAccessToken`: the user an access token belongs to.
 *
 * @since 0.1.0
 */
export class OAuthValidAccessTokenRes extends Schema.Class<OAuthValidAccessTokenRes>("OAuthValidAccessToken")({
  userId: UserId,
  status: Schema.optionalWith(Schema.String, { exact: true }),
  active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  authenticationFramework: Schema.optionalWith(Schema.String, { exact: true }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  updatedAt: Schema.optionalWith(Schema.Date, { exact: true })
}) {}

/**
 * The id of an issued token (a JWT or an OAuth token), as listed by `GET /auth/token`.
 *
 * @since 0.1.0
 */
export const TokenId = Schema.NonEmptyTrimmedString.pipe(
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  Schema.filter((s) => !headerUnsafe.test(s) || "must not contain control characters"),
  Schema.filter((s) => (s !== "." && s !== "..") || "must not be \".\" or \"..\""),
  Schema.brand("TokenId"),
  Schema.annotations({ identifier: "TokenId" })
)
/** @since 0.1.0 */
export type TokenId = typeof TokenId.Type

/**
 * A token id as a path parameter: percent-encoded on the way out.
 *
 * @since 0.1.0
 */
export const TokenIdPathParam = Schema.compose(PathSegment, TokenId)

/**
 * `TokenDocument`: one token issued for the user (never the token itself).
 *
 * @since 0.1.0
 */
export class TokenDocument extends Schema.Class<TokenDocument>("TokenDocument")({
  tokenId: TokenId,
  userId: Schema.optionalWith(UserId, { exact: true }),
  authenticationFramework: Schema.optionalWith(Schema.String, { exact: true }),
  grant_type: Schema.optionalWith(Schema.String, { exact: true }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  expiresAt: Schema.optionalWith(Schema.Date, { exact: true })
}) {}
