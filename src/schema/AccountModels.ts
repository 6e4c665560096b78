/**
 * The bodies of the Account, Account Profile and Account Session operations, as the wire
 * carries them (names follow the swagger definitions).
 *
 * Responses are decoded leniently (most fields optional), as the spec marks almost nothing as
 * required; requests are exact.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { AccountId, ApplicationId, DirectoryId, Email, Password, PathSegment, UserId, Username } from "./Identifiers.js"

// Control characters never belong in a name, a profile name or a token.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

/**
 * An account id as a path parameter: percent-encoded on the way out.
 *
 * @since 0.1.0
 */
export const AccountIdPathParam = Schema.compose(PathSegment, AccountId)

/**
 * The name of an account profile (`DashBoard`, `Settings`): a trimmed, non-empty string of at
 * most 128 characters, without control characters.
 *
 * @since 0.1.0
 */
export const ProfileName = Schema.String.pipe(
  Schema.filter((s) => s.length > 0 || "must not be empty"),
  Schema.filter((s) => s.trim() === s || "must not start or end with whitespace"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 128 || "must be at most 128 characters"),
  Schema.filter((s) => (s !== "." && s !== "..") || "must not be \".\" or \"..\""),
  Schema.brand("ProfileName"),
  Schema.annotations({ identifier: "ProfileName" })
)
/** @since 0.1.0 */
export type ProfileName = typeof ProfileName.Type

/**
 * A profile name as a path parameter: percent-encoded on the way out.
 *
 * @since 0.1.0
 */
export const ProfileNamePathParam = Schema.compose(PathSegment, ProfileName)

/**
 * A mobile app's push token (`AddMobileTokenToAccountReq.newToken`): opaque, non-empty, at most
 * 4096 characters, without control characters.
 *
 * @since 0.1.0
 */
export const MobileAppToken = Schema.String.pipe(
  Schema.filter((s) => s.trim().length > 0 || "must not be empty"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 4096 || "must be at most 4096 characters"),
  Schema.brand("MobileAppToken"),
  Schema.annotations({ identifier: "MobileAppToken" })
)

/** A person's name: trimmed, non-empty, at most 256 characters. */
const Name = Schema.NonEmptyTrimmedString.pipe(
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters")
)

/**
 * The status of an account: `active` or `inactive` (other values are passed through).
 *
 * @since 0.1.0
 */
export const AccountStatusValue = Schema.String.annotations({ identifier: "AccountStatusValue", examples: ["active", "inactive"] })

/**
 * `AccountRes`: an account, the link between a user and one application.
 *
 * @since 0.1.0
 */
export class AccountRes extends Schema.Class<AccountRes>("AccountRes")({
  accountId: AccountId,
  active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  applicationId: Schema.optionalWith(ApplicationId, { exact: true }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  directoryId: Schema.optionalWith(DirectoryId, { exact: true }),
  email: Schema.optionalWith(Schema.String, { exact: true }),
  name: Schema.optionalWith(Schema.String, { exact: true }),
  status: Schema.optionalWith(AccountStatusValue, { exact: true }),
  updatedAt: Schema.optionalWith(Schema.Date, { exact: true }),
  userId: Schema.optionalWith(UserId, { exact: true }),
  username: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * `UpdateAccountRes`: the account after `PUT /account/{accountId}`.
 *
 * @since 0.1.0
 */
export class UpdateAccountRes extends AccountRes.extend<UpdateAccountRes>("UpdateAccountRes")({}) {}

/**
 * `AddAccountReq`: the body of `POST /account`, which links an existing user (by username) to
 * the credential's application.
 *
 * @since 0.1.0
 */
export class AddAccountReq extends Schema.Class<AddAccountReq>("AddAccountReq")({
  directoryId: DirectoryId,
  username: Username
}) {}

/**
 * The answer of `POST /account`.
 *
 * @since 0.1.0
 */
export class AddAccountRes extends Schema.Class<AddAccountRes>("AddAccountRes")({
  accountId: AccountId,
  applicationId: Schema.optionalWith(ApplicationId, { exact: true }),
  status: Schema.optionalWith(Schema.String, { exact: true }),
  userId: Schema.optionalWith(UserId, { exact: true })
}) {}

/**
 * The body of `PUT /account/{accountId}`: the account's name.
 *
 * @since 0.1.0
 */
export class UpdateAccountReq extends Schema.Class<UpdateAccountReq>("UpdateAccountReq")({
  name: Name
}) {}

/**
 * The answer of `DELETE /account/{accountId}`.
 *
 * @since 0.1.0
 */
export class DeleteAccountRes extends Schema.Class<DeleteAccountRes>("DeleteAccountRes")({
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  status: Schema.optionalWith(AccountStatusValue, { exact: true }),
  userId: Schema.optionalWith(UserId, { exact: true }),
  valid: Schema.Boolean
}) {}

/**
 * `AccountStatus`: whether an account is active, in which application.
 *
 * @since 0.1.0
 */
export class AccountStatus extends Schema.Class<AccountStatus>("AccountStatus")({
  // The spec requires only `applicationId`.
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  applicationId: ApplicationId
}) {}

/**
 * The body of `POST /account/changepassword`.
 *
 * @since 0.1.0
 */
export class UserChangePasswordReq extends Schema.Class<UserChangePasswordReq>("UserChangePasswordReq")({
  oldPassword: Password,
  newPassword: Password
}) {}

/**
 * The body of `POST /account/email`.
 *
 * @since 0.1.0
 */
export class UserChangeEmailReq extends Schema.Class<UserChangeEmailReq>("UserChangeEmailReq")({
  email: Email
}) {}

/**
 * The body of `POST /account/name`.
 *
 * @since 0.1.0
 */
export class UserChangeNameReq extends Schema.Class<UserChangeNameReq>("UserChangeNameReq")({
  name: Name
}) {}

/**
 * `AddMobileTokenToAccountReq`: the body of `POST /account/{accountId}/mobileapptoken`.
 *
 * @since 0.1.0
 */
export class AddMobileTokenReq extends Schema.Class<AddMobileTokenReq>("AddMobileTokenToAccountReq")({
  newToken: MobileAppToken
}) {}

/**
 * `RemoveMobileTokenToAccountReq`: the body of `PUT /account/{accountId}/mobileapptoken`.
 *
 * @since 0.1.0
 */
export class RemoveMobileTokenReq extends Schema.Class<RemoveMobileTokenReq>("RemoveMobileTokenToAccountReq")({
  removeToken: MobileAppToken
}) {}

/**
 * `AccountProfile`: a named blob of settings that an account keeps (`InformationAboutDashboard`
 * is free-form JSON).
 *
 * @since 0.1.0
 */
export class AccountProfile extends Schema.Class<AccountProfile>("AccountProfile")({
  profileName: ProfileName,
  InformationAboutDashboard: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown }))
}) {}

/**
 * The answer of `GET /accountprofile`: the names of the account's profiles.
 *
 * @since 0.1.0
 */
export class AccountProfileNamesRes extends Schema.Class<AccountProfileNamesRes>("AccountProfileNamesRes")({
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  profileNames: Schema.optionalWith(Schema.Array(Schema.String), { default: () => [] })
}) {}

/**
 * The answer of `POST /accountprofile`.
 *
 * @since 0.1.0
 */
export class AddAccountProfileRes extends Schema.Class<AddAccountProfileRes>("AddAccountProfileRes")({
  devUserId: Schema.optionalWith(Schema.String, { exact: true }),
  profileName: Schema.String,
  status: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/** A session value: at most 4096 characters. */
const SessionValue = Schema.String.pipe(Schema.filter((s) => s.length <= 4096 || "must be at most 4096 characters"))

/**
 * `AccountSession`: two free values an application keeps per account.
 *
 * @since 0.1.0
 */
export class AccountSession extends Schema.Class<AccountSession>("AccountSession")({
  sessionvalue1: Schema.optional(SessionValue),
  sessionvalue2: Schema.optional(SessionValue)
}) {}

/**
 * The answer of `GET /accountsession`.
 *
 * @since 0.1.0
 */
export class AccountSessionRes extends AccountSession.extend<AccountSessionRes>("AccountSessionRes")({
  valid: Schema.Boolean
}) {}

/**
 * The answer of `PUT /accountsession`.
 *
 * @since 0.1.0
 */
export class UpdateAccountSessionRes extends AccountSession.extend<UpdateAccountSessionRes>("UpdateAccountSessionRes")({
  status: Schema.optionalWith(Schema.String, { exact: true }),
  valid: Schema.Boolean
}) {}
