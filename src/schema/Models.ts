/**
 * The request and response bodies of the User System, as the wire carries them.
 *
 * Names follow the swagger definitions (`AddUserReq`, `AddUserRes`, ...). Secrets are
 * `Redacted` on the type side and plain strings only on the wire.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import {
  AccountId,
  ApplicationId,
  AuthToken,
  DirectoryId,
  Email,
  Name,
  Password,
  UserId,
  Username,
  VerificationCode
} from "./Identifiers.js"

/**
 * The status of a user: `unverified` after self-registration, `active` once the emailed code
 * was entered (or when an admin created the user). Other values are passed through.
 *
 * @category schemas
 * @since 0.1.0
 */
export const UserStatus = Schema.String.annotations({
  identifier: "UserStatus",
  examples: ["unverified", "active"]
})
/** @category models @since 0.1.0 */
export type UserStatus = typeof UserStatus.Type

/**
 * One application in which a user has an account.
 *
 * @category models
 * @since 0.1.0
 */
export class UserApplication extends Schema.Class<UserApplication>("UserApplication")({
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  applicationId: Schema.optionalWith(ApplicationId, { exact: true })
}) {}

/**
 * `AddUserRes`: a user as returned by registration and the admin look-ups.
 *
 * @category models
 * @since 0.1.0
 */
export class AddUserRes extends Schema.Class<AddUserRes>("AddUserRes")({
  userId: UserId,
  status: UserStatus,
  active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  applications: Schema.optionalWith(Schema.Array(UserApplication), { default: () => [] }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  updatedAt: Schema.optionalWith(Schema.Date, { exact: true })
}) {}

/**
 * `CreateUserRes`: the user an admin created (active at once, no verification).
 *
 * @category models
 * @since 0.1.0
 */
export class CreateUserRes extends AddUserRes.extend<CreateUserRes>("CreateUserRes")({}) {}

/**
 * `AddUserReq`: the body of `POST /register`.
 *
 * @category models
 * @since 0.1.0
 */
export class AddUserReq extends Schema.Class<AddUserReq>("AddUserReq")({
  applicationId: ApplicationId,
  directoryId: DirectoryId,
  email: Email,
  name: Name,
  password: Password,
  username: Username
}) {}

/**
 * `CreateUserReq`: the body of `POST /user` (admin).
 *
 * @category models
 * @since 0.1.0
 */
export class CreateUserReq extends Schema.Class<CreateUserReq>("CreateUserReq")({
  directoryId: DirectoryId,
  username: Username
}) {}

/**
 * `GenerateVerificationTokenUserReq`: the body of `POST /user/verify`, which emails a new code.
 *
 * @category models
 * @since 0.1.0
 */
export class GenerateVerificationTokenUserReq
  extends Schema.Class<GenerateVerificationTokenUserReq>("GenerateVerificationTokenUserReq")({
    applicationId: ApplicationId,
    password: Password,
    username: Username
  })
{}

/**
 * `VerifyUserReq`: the body of `PUT /user/verify`, which checks the emailed code.
 *
 * @category models
 * @since 0.1.0
 */
export class VerifyUserReq extends Schema.Class<VerifyUserReq>("VerifyUserReq")({
  applicationId: ApplicationId,
  password: Password,
  token: VerificationCode,
  username: Username
}) {}

/**
 * The answer of `PUT /user/verify`.
 *
 * @category models
 * @since 0.1.0
 */
export class VerifyUserRes extends Schema.Class<VerifyUserRes>("VerifyUserRes")({
  status: UserStatus,
  userId: UserId,
  valid: Schema.Boolean
}) {}

/**
 * `GeneratePasswordResetTokenUserReq`: the body of `POST /user/resetpassword`.
 *
 * @category models
 * @since 0.1.0
 */
export class GeneratePasswordResetTokenUserReq
  extends Schema.Class<GeneratePasswordResetTokenUserReq>("GeneratePasswordResetTokenUserReq")({
    applicationId: ApplicationId,
    username: Username
  })
{}

/**
 * `PasswordResetUserReq`: the body of `PUT /user/resetpassword`.
 *
 * @category models
 * @since 0.1.0
 */
export class PasswordResetUserReq extends Schema.Class<PasswordResetUserReq>("PasswordResetUserReq")({
  applicationId: ApplicationId,
  newPassword: Password,
  token: VerificationCode,
  username: Username
}) {}

/**
 * `UserChangeUsernameAdminBodyReq`: the body of `PUT /user/{userId}/username`.
 *
 * @category models
 * @since 0.1.0
 */
export class UserChangeUsernameReq extends Schema.Class<UserChangeUsernameReq>("UserChangeUsernameReq")({
  username: Username,
  status: UserStatus
}) {}

/**
 * `IsValidRes`: `{ valid }`, the answer of the calls that only succeed or fail.
 *
 * @category models
 * @since 0.1.0
 */
export class IsValidRes extends Schema.Class<IsValidRes>("IsValidRes")({
  valid: Schema.Boolean
}) {}

/**
 * `UserNameLoginReq`: the body of `POST /auth`.
 *
 * @category models
 * @since 0.1.0
 */
export class UserNameLoginReq extends Schema.Class<UserNameLoginReq>("UserNameLoginReq")({
  username: Username,
  password: Password,
  directoryId: Schema.optional(DirectoryId)
}) {}

/**
 * The answer of `POST /auth`: a JWT (`token`, held as `Redacted`) and its expiry `exp` in
 * seconds since the epoch.
 *
 * @category models
 * @since 0.1.0
 */
export class LoginRes extends Schema.Class<LoginRes>("LoginRes")({
  valid: Schema.Boolean,
  token: AuthToken,
  exp: Schema.Number,
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  applicationId: Schema.optionalWith(ApplicationId, { exact: true }),
  name: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * The answer of `GET /auth`: whether a token is valid, and until when.
 *
 * @category models
 * @since 0.1.0
 */
export class TokenCheckRes extends Schema.Class<TokenCheckRes>("TokenCheckRes")({
  valid: Schema.Boolean,
  exp: Schema.optionalWith(Schema.Number, { exact: true }),
  accountId: Schema.optionalWith(AccountId, { exact: true }),
  applicationId: Schema.optionalWith(ApplicationId, { exact: true })
}) {}

/**
 * The answer of `GET /auth/newToken`: a fresh token for a valid one.
 *
 * @category models
 * @since 0.1.0
 */
export class NewTokenRes extends Schema.Class<NewTokenRes>("NewTokenRes")({
  valid: Schema.Boolean,
  token: AuthToken,
  exp: Schema.Number
}) {}
