/**
 * The User System endpoints, declared once.
 *
 * From this one declaration come the typed client (`HttpApiClient.group`, one per group), the
 * simulator (`HttpApiBuilder`) and an OpenAPI document (`OpenApi.fromApi`) that the tests diff
 * against the upstream swagger's paths, methods and statuses.
 *
 * Endpoints are grouped by what they need to be called, because the derived client ignores
 * `HttpApiSecurity`: each group gets its own `HttpClient` that adds exactly that group's headers.
 *
 * | group     | needs                                                                    |
 * |-----------|--------------------------------------------------------------------------|
 * | `public`  | nothing (login sends the `applicationId` header it is given)             |
 * | `admin`   | app keys, OR `applicationId` + organisation keys, OR `applicationId` + developer token |
 * | `session` | `applicationId` + a user's `token`                                       |
 *
 * Header names are declared in lower case: that is how a server sees them.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Schema from "effect/Schema"
import { AccountAdminGroup, AccountSessionGroup } from "./AccountApi.js"
import { ConsentGroup } from "./ConsentApi.js"
import { ApplicationId, UserIdPathParam, Username } from "./Identifiers.js"
import {
  AddUserReq,
  AddUserRes,
  CreateUserReq,
  CreateUserRes,
  GeneratePasswordResetTokenUserReq,
  GenerateVerificationTokenUserReq,
  IsValidRes,
  LoginRes,
  NewTokenRes,
  PasswordResetUserReq,
  TokenCheckRes,
  UserChangeUsernameReq,
  UserNameLoginReq,
  VerifyUserReq,
  VerifyUserRes
} from "./Models.js"
import { OAuthAccessGroup, OAuthPublicGroup, UserTokensGroup } from "./TokenApi.js"
import { WireAccessDeniedBody, WireBadRequestBody, WireInternalServerErrorBody, WireNotFoundBody } from "./WireErrors.js"

/**
 * The path under which the API lives, on the real service and on the simulator.
 *
 * @since 0.1.0
 */
export const basePath = "/api/v0-1" as const

const UserIdPath = Schema.Struct({ userId: UserIdPathParam })
const ApplicationIdHeader = Schema.Struct({ applicationid: ApplicationId })

/**
 * Endpoints that need no credential.
 *
 * @since 0.1.0
 */
export class PublicGroup extends HttpApiGroup.make("public")
  .add(
    HttpApiEndpoint.post("addUser", "/register")
      .setPayload(AddUserReq)
      .addSuccess(AddUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("generateUserVerificationToken", "/user/verify")
      .setPayload(GenerateVerificationTokenUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("verifyUser", "/user/verify")
      .setPayload(VerifyUserReq)
      .addSuccess(VerifyUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("generateUserPasswordResetToken", "/user/resetpassword")
      .setPayload(GeneratePasswordResetTokenUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("resetPasswordUser", "/user/resetpassword")
      .setPayload(PasswordResetUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("usernamelogin", "/auth")
      .setHeaders(ApplicationIdHeader)
      .setPayload(UserNameLoginReq)
      .addSuccess(LoginRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * Endpoints that need an admin credential.
 *
 * @since 0.1.0
 */
export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createUser", "/user")
      .setPayload(CreateUserReq)
      .addSuccess(CreateUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getUserbyUsername", "/user")
      .setUrlParams(Schema.Struct({ username: Username }))
      .addSuccess(AddUserRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getUserbyId", "/user/:userId")
      .setPath(UserIdPath)
      .addSuccess(AddUserRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteUserbyId", "/user/:userId")
      .setPath(UserIdPath)
      .addSuccess(IsValidRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * Endpoints that act as one user: `applicationId` + that user's token.
 *
 * @since 0.1.0
 */
export class SessionGroup extends HttpApiGroup.make("session")
  .add(
    HttpApiEndpoint.get("tokencheck", "/auth")
      .addSuccess(TokenCheckRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("newToken", "/auth/newToken")
      .addSuccess(NewTokenRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteToken", "/auth/deleteToken")
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("updateUsernameUserId", "/user/:userId/username")
      .setPath(UserIdPath)
      .setPayload(UserChangeUsernameReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * The whole User System API (the `/register`, `/user*` and `/auth*` paths), under
 * {@link basePath}.
 *
 * @since 0.1.0
 */
export class GlowmarktApi extends HttpApi.make("glowmarkt")
  .add(PublicGroup)
  .add(AdminGroup)
  .add(SessionGroup)
  .add(AccountAdminGroup)
  .add(AccountSessionGroup)
  .add(UserTokensGroup)
  .add(OAuthPublicGroup)
  .add(OAuthAccessGroup)
  .add(ConsentGroup)
  .prefix(basePath)
{}

type GroupsOf<Api> = Api extends HttpApi.HttpApi<infer _Id, infer Groups, infer _E, infer _R> ? Groups : never

/**
 * The operations of the User System, by their swagger operationId: the names of the endpoints
 * declared above, so an endpoint added to the declaration is an operation everywhere (its
 * retry rule and error policy must then be written, or the package does not compile).
 *
 * @category operations
 * @since 0.1.0
 */
export type OperationId = HttpApiEndpoint.HttpApiEndpoint.Name<
  HttpApiGroup.HttpApiGroup.Endpoints<GroupsOf<typeof GlowmarktApi>>
>

/**
 * Every {@link OperationId}, read off the declaration, in declaration order.
 *
 * @category operations
 * @since 0.1.0
 */
export const operationIds: readonly [OperationId, ...Array<OperationId>] = (() => {
  const out: Array<OperationId> = []
  HttpApi.reflect(GlowmarktApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      out.push(endpoint.name as OperationId)
    }
  })
  return out as unknown as readonly [OperationId, ...Array<OperationId>]
})()
