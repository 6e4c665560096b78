/**
 * The user's token list and OAuth 2.0, in three groups by what they need:
 *
 * | group         | needs                                                       |
 * |---------------|-------------------------------------------------------------|
 * | `userTokens`  | `applicationId` + a user's `token`                           |
 * | `oauthPublic` | nothing (the code request sends the `applicationId` header it is given; the exchange authenticates with its form) |
 * | `oauthAccess` | an OAuth access token in the `token` header                  |
 *
 * The spec declares no 401 for the token list and delete-by-id; a refused token is answered
 * 401 all the same by the simulator (as for every token call) and is declared here, like the
 * 401 of `tokencheck` (see `scripts/contract-diff.ts`).
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Schema from "effect/Schema"
import { ApplicationId } from "./Identifiers.js"
import { IsValidRes, UserNameLoginReq } from "./Models.js"
import {
  OAuthCodeRes,
  OAuthTokenForm,
  OAuthTokenRes,
  OAuthValidAccessTokenRes,
  TokenDocument,
  TokenIdPathParam
} from "./OAuthModels.js"
import { WireAccessDeniedBody, WireBadRequestBody, WireInternalServerErrorBody } from "./WireErrors.js"

/**
 * The tokens issued for the user (JWTs and OAuth tokens): list them, revoke one.
 *
 * @since 0.1.0
 */
export class UserTokensGroup extends HttpApiGroup.make("userTokens")
  .add(
    HttpApiEndpoint.get("getTokenOfUser", "/auth/token")
      .addSuccess(Schema.Array(TokenDocument))
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteTokenById", "/auth/token/:tokenId")
      .setPath(Schema.Struct({ tokenId: TokenIdPathParam }))
      // The spec says an array of `IsValidRes`; a single one is read as well.
      .addSuccess(Schema.Union(Schema.Array(IsValidRes), IsValidRes))
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * The OAuth 2.0 authorization-code grant: a code for a username and password, then access and
 * refresh tokens for the code (or for a refresh token), form-encoded.
 *
 * @since 0.1.0
 */
export class OAuthPublicGroup extends HttpApiGroup.make("oauthPublic")
  .add(
    HttpApiEndpoint.post("generateOAuthorizationCode", "/auth/oauth")
      .setHeaders(Schema.Struct({ applicationid: ApplicationId }))
      .setPayload(UserNameLoginReq)
      .addSuccess(OAuthCodeRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("exchangeAuthorizationCodeWithAccess", "/auth/oauth/access")
      .setPayload(OAuthTokenForm)
      .addSuccess(OAuthTokenRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * Calls made with an OAuth access token.
 *
 * @since 0.1.0
 */
export class OAuthAccessGroup extends HttpApiGroup.make("oauthAccess")
  .add(
    HttpApiEndpoint.get("validateOAuthAccessToken", "/auth/oauth")
      .addSuccess(OAuthValidAccessTokenRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}
