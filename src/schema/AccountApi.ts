/**
 * The Account, Account Profile and Account Session endpoints, in two groups by what they need
 * (see `GlowmarktApi.ts` for why groups follow security):
 *
 * | group            | needs                                                                    |
 * |------------------|--------------------------------------------------------------------------|
 * | `accountAdmin`   | an admin credential (app keys, OR `applicationId` + organisation keys, OR `applicationId` + developer token) |
 * | `accountSession` | `applicationId` + a user's `token`                                       |
 *
 * The spec lists `userToken` OR `applicationId` (alone) for `userChangePassWord` and
 * `getAccountStatusbyUserToken`: both act on "the user", whom only a token names, so the client
 * sends both (satisfying either alternative) and the simulator refuses a request without a
 * token (401). `deleteAccount` lists organisation keys and the developer token without
 * `applicationId`: the admin client's headers satisfy those alternatives too.
 *
 * The two mobile-app-token operations have no operationId in the spec: they are named
 * `addMobileAppToken` and `removeMobileAppToken` here.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Schema from "effect/Schema"
import {
  AccountProfile,
  AccountProfileNamesRes,
  AccountIdPathParam,
  AccountRes,
  AccountSession,
  AccountSessionRes,
  AccountStatus,
  AddAccountProfileRes,
  AddAccountReq,
  AddAccountRes,
  AddMobileTokenReq,
  DeleteAccountRes,
  ProfileNamePathParam,
  RemoveMobileTokenReq,
  UpdateAccountReq,
  UpdateAccountRes,
  UpdateAccountSessionRes,
  UserChangeEmailReq,
  UserChangeNameReq,
  UserChangePasswordReq
} from "./AccountModels.js"
import { IsValidRes } from "./Models.js"
import { WireAccessDeniedBody, WireBadRequestBody, WireInternalServerErrorBody, WireNotFoundBody } from "./WireErrors.js"

const AccountIdPath = Schema.Struct({ accountId: AccountIdPathParam })

/**
 * Accounts, as an administrator of the application.
 *
 * @since 0.1.0
 */
export class AccountAdminGroup extends HttpApiGroup.make("accountAdmin")
  .add(
    HttpApiEndpoint.get("getAccounts", "/account")
      .addSuccess(Schema.Array(AccountRes))
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("addAccount", "/account")
      .setPayload(AddAccountReq)
      .addSuccess(AddAccountRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountbyId", "/account/:accountId")
      .setPath(AccountIdPath)
      .addSuccess(AccountRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("updateAccount", "/account/:accountId")
      .setPath(AccountIdPath)
      .setPayload(UpdateAccountReq)
      .addSuccess(UpdateAccountRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteAccount", "/account/:accountId")
      .setPath(AccountIdPath)
      .addSuccess(DeleteAccountRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountStatusbyId", "/account/:accountId/status")
      .setPath(AccountIdPath)
      .addSuccess(AccountStatus)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * The user's own account, profiles and session: `applicationId` + the user's token.
 *
 * @since 0.1.0
 */
export class AccountSessionGroup extends HttpApiGroup.make("accountSession")
  .add(
    HttpApiEndpoint.post("userChangePassWord", "/account/changepassword")
      .setPayload(UserChangePasswordReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("userChangeEmail", "/account/email")
      .setPayload(UserChangeEmailReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("userChangeName", "/account/name")
      .setPayload(UserChangeNameReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountStatusbyUserToken", "/account/status")
      .addSuccess(AccountStatus)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("addMobileAppToken", "/account/:accountId/mobileapptoken")
      .setPath(AccountIdPath)
      .setPayload(AddMobileTokenReq)
      .addSuccess(IsValidRes)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("removeMobileAppToken", "/account/:accountId/mobileapptoken")
      .setPath(AccountIdPath)
      .setPayload(RemoveMobileTokenReq)
      .addSuccess(IsValidRes)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountProfile", "/accountprofile")
      .addSuccess(AccountProfileNamesRes)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("addAccountProfile", "/accountprofile")
      .setPayload(AccountProfile)
      .addSuccess(AddAccountProfileRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountProfilebyProfileName", "/accountprofile/:profileName")
      .setPath(Schema.Struct({ profileName: ProfileNamePathParam }))
      .addSuccess(AccountProfile)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getAccountSession", "/accountsession")
      .addSuccess(AccountSessionRes)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("updateAccountSession", "/accountsession")
      .setPayload(AccountSession)
      .addSuccess(UpdateAccountSessionRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}
