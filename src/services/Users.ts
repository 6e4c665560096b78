/**
 * The ten operations of the User API.
 *
 * | operationId                      | method                         | needs           |
 * |----------------------------------|--------------------------------|-----------------|
 * | `addUser`                        | `register`                     | nothing         |
 * | `generateUserVerificationToken`  | `requestVerificationCode`      | nothing         |
 * | `verifyUser`                     | `verify`                       | nothing         |
 * | `generateUserPasswordResetToken` | `requestPasswordReset`         | nothing         |
 * | `resetPasswordUser`              | `resetPassword`                | nothing         |
 * | `createUser`                     | `create`                       | `AdminAuth`     |
 * | `getUserbyUsername`              | `getByUsername`                | `AdminAuth`     |
 * | `getUserbyId`                    | `getById`                      | `AdminAuth`     |
 * | `deleteUserbyId`                 | `delete`                       | `AdminAuth`     |
 * | `updateUsernameUserId`           | `changeUsername`               | `UserSession`   |
 *
 * Inputs are plain values (strings, and `Redacted` for passwords); each is checked before
 * anything is sent, and a bad one fails with an `InvalidInputError` naming the field.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  type Operation,
  UnexpectedResponseError,
} from "../schema/GlowmarktError.js"
import {
  ApplicationId,
  DirectoryId,
  Email,
  Name,
  PasswordFromSelf,
  Text,
  UserId,
  Username,
  VerificationCode
} from "../schema/Identifiers.js"
import {
  AddUserReq,
  type AddUserRes,
  CreateUserReq,
  type CreateUserRes,
  GeneratePasswordResetTokenUserReq,
  GenerateVerificationTokenUserReq,
  PasswordResetUserReq,
  UserChangeUsernameReq,
  VerifyUserReq,
  type VerifyUserRes
} from "../schema/Models.js"
import type { AdminAuth } from "./Credentials.js"
import type { Settings } from "./GlowmarktConfig.js"
import { call } from "./internal/call.js"
import type { OperationError } from "./internal/edge.js"
import { decodeInput, orConfigured, withCheckedAdmin } from "./internal/input.js"
import { type Clients, ClientsService, clientsLayer, makeClients } from "./internal/client.js"
import { sessionCall } from "./internal/session.js"
import type { SessionError, UserSession } from "./Session.js"

// ---------------------------------------------------------------------------------------------
// Inputs

const Defaults = {
  applicationId: Schema.optional(ApplicationId)
}

/** @category schemas @since 0.1.0 */
export const RegisterInput = Schema.Struct({
  name: Name,
  username: Username,
  email: Email,
  password: PasswordFromSelf,
  ...Defaults,
  directoryId: Schema.optional(DirectoryId)
})
/** The input of {@link Users.register}. @category models @since 0.1.0 */
export interface RegisterInput {
  readonly name: string
  /** Trimmed and lowercased before sending. Usually the email. */
  readonly username: string
  readonly email: string
  readonly password: Redacted.Redacted<string>
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
  /** Defaults to the configured `directoryId`. */
  readonly directoryId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const UsernamePasswordInput = Schema.Struct({ username: Username, password: PasswordFromSelf, ...Defaults })
/** The input of {@link Users.requestVerificationCode}. @category models @since 0.1.0 */
export interface UsernamePasswordInput {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly applicationId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const VerifyInput = Schema.Struct({
  username: Username,
  password: PasswordFromSelf,
  code: VerificationCode,
  ...Defaults
})
/** The input of {@link Users.verify}. @category models @since 0.1.0 */
export interface VerifyInput extends UsernamePasswordInput {
  /** The 4-digit code from the email. */
  readonly code: string
}

/** @category schemas @since 0.1.0 */
export const UsernameInput = Schema.Struct({ username: Username, ...Defaults })
/** The input of {@link Users.requestPasswordReset}. @category models @since 0.1.0 */
export interface UsernameInput {
  readonly username: string
  readonly applicationId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const ResetPasswordInput = Schema.Struct({
  username: Username,
  code: VerificationCode,
  newPassword: PasswordFromSelf,
  ...Defaults
})
/** The input of {@link Users.resetPassword}. @category models @since 0.1.0 */
export interface ResetPasswordInput {
  readonly username: string
  readonly code: string
  readonly newPassword: Redacted.Redacted<string>
  readonly applicationId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const CreateInput = Schema.Struct({ username: Username, directoryId: Schema.optional(DirectoryId) })
/** The input of {@link Users.create}. @category models @since 0.1.0 */
export interface CreateInput {
  readonly username: string
  /** Defaults to the configured `directoryId`. */
  readonly directoryId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const ChangeUsernameInput = Schema.Struct({
  userId: UserId,
  username: Username,
  status: Schema.optionalWith(Text, { default: () => "active" })
})
/** The input of {@link Users.changeUsername}. @category models @since 0.1.0 */
export interface ChangeUsernameInput {
  readonly userId: string
  readonly username: string
  /** The `status` field the endpoint requires; `"active"` unless given. */
  readonly status?: string | undefined
}

/** The input of the calls that take a user id; built once (a schema built per call is compiled per call). */
const UserIdInput = Schema.Struct({ userId: UserId })

// ---------------------------------------------------------------------------------------------
// Error unions, per operation: each is its operation's (`OperationError`: the declared statuses
// and the operation's row in the replay and error table), so a change of either changes it.

/**
 * What `register` can fail with: the username is taken (`UsernameTakenError`), another 400,
 * the application refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type RegisterError = OperationError<"addUser">
/**
 * What `requestVerificationCode` can fail with: the user is active already, or the username and
 * password were refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type RequestVerificationCodeError = OperationError<"generateUserVerificationToken">
/**
 * What `verify` can fail with: the code was refused (`CodeRejectedError`, with why), the user is
 * active already, or the username and password were refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type VerifyError = OperationError<"verifyUser">
/**
 * What `requestPasswordReset` can fail with: nobody has the username.
 *
 * @category errors
 * @since 0.1.0
 */
export type RequestPasswordResetError = OperationError<"generateUserPasswordResetToken">
/**
 * What `resetPassword` can fail with: the code was refused, or nobody has the username.
 *
 * @category errors
 * @since 0.1.0
 */
export type ResetPasswordError = OperationError<"resetPasswordUser">
/**
 * What `create` can fail with: the username is taken, the admin credential was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type CreateError = OperationError<"createUser">
/**
 * What the admin look-ups and `delete` can fail with: no such user in the credential's
 * application, the credential was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type LookupError = OperationError<"getUserbyUsername" | "getUserbyId" | "deleteUserbyId">
/**
 * What `changeUsername` can fail with: the new username is taken, the user's token was refused
 * (after the session logged in again, when it could), or the session could not get a token.
 *
 * @category errors
 * @since 0.1.0
 */
export type ChangeUsernameError = OperationError<"updateUsernameUserId"> | SessionError

// ---------------------------------------------------------------------------------------------
// The service

/**
 * The User API.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** `POST /register` (addUser): self-registration; the user is `unverified` and gets a code by email. */
  readonly register: (input: RegisterInput) => Effect.Effect<AddUserRes, RegisterError>
  /** `POST /user/verify` (generateUserVerificationToken): emails a new verification code. */
  readonly requestVerificationCode: (input: UsernamePasswordInput) => Effect.Effect<void, RequestVerificationCodeError>
  /** `PUT /user/verify` (verifyUser): checks the emailed code; the user becomes `active`. */
  readonly verify: (input: VerifyInput) => Effect.Effect<VerifyUserRes, VerifyError>
  /** `POST /user/resetpassword` (generateUserPasswordResetToken): emails a reset code. */
  readonly requestPasswordReset: (input: UsernameInput) => Effect.Effect<void, RequestPasswordResetError>
  /** `PUT /user/resetpassword` (resetPasswordUser): sets a new password with the emailed code. */
  readonly resetPassword: (input: ResetPasswordInput) => Effect.Effect<void, ResetPasswordError>
  /** `POST /user` (createUser, admin): creates an active user, no verification. */
  readonly create: (input: CreateInput) => Effect.Effect<CreateUserRes, CreateError, AdminAuth>
  /** `GET /user?username=` (getUserbyUsername, admin). */
  readonly getByUsername: (username: string) => Effect.Effect<AddUserRes, OperationError<"getUserbyUsername">, AdminAuth>
  /** `GET /user/{userId}` (getUserbyId, admin). */
  readonly getById: (userId: string) => Effect.Effect<AddUserRes, OperationError<"getUserbyId">, AdminAuth>
  /** `DELETE /user/{userId}` (deleteUserbyId, admin): deletes the user and all their accounts. */
  readonly delete: (userId: string) => Effect.Effect<void, OperationError<"deleteUserbyId">, AdminAuth>
  /** `PUT /user/{userId}/username` (updateUsernameUserId): as the user, with their session. */
  readonly changeUsername: (input: ChangeUsernameInput) => Effect.Effect<void, ChangeUsernameError, UserSession>
}

/**
 * The User API service.
 *
 * @category tags
 * @since 0.1.0
 */
export class Users extends Context.Tag("effect-glowmarkt/Users")<Users, Service>() {}


const expectValid = (operation: Operation) => (res: { readonly valid: boolean }) =>
  res.valid
    ? Effect.void
    : Effect.fail(new UnexpectedResponseError({ operation, status: 200, problem: "valid: false in a success answer" }))

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => {
  const settings: Settings = clients.settings
  const appId = (operation: Operation, value: ApplicationId | undefined) =>
    orConfigured(operation, "applicationId", value, settings.applicationId)
  return {
    register: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("addUser", RegisterInput, input)
        const applicationId = yield* appId("addUser", i.applicationId)
        const directoryId = yield* orConfigured("addUser", "directoryId", i.directoryId, settings.directoryId)
        const payload = new AddUserReq({ ...i, applicationId, directoryId }, true)
        return yield* call("addUser", clients, clients.public.addUser({ payload }), { subject: i })
      }),
    requestVerificationCode: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("generateUserVerificationToken", UsernamePasswordInput, input)
        const applicationId = yield* appId("generateUserVerificationToken", i.applicationId)
        const payload = new GenerateVerificationTokenUserReq({ ...i, applicationId }, true)
        const res = yield* call(
          "generateUserVerificationToken",
          clients,
          clients.public.generateUserVerificationToken({ payload }),
          { subject: i }
        )
        return yield* expectValid("generateUserVerificationToken")(res)
      }),
    verify: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("verifyUser", VerifyInput, input)
        const applicationId = yield* appId("verifyUser", i.applicationId)
        const payload = new VerifyUserReq({
          username: i.username,
          password: i.password,
          token: i.code,
          applicationId
        }, true)
        return yield* call("verifyUser", clients, clients.public.verifyUser({ payload }), { subject: i })
      }),
    requestPasswordReset: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("generateUserPasswordResetToken", UsernameInput, input)
        const applicationId = yield* appId("generateUserPasswordResetToken", i.applicationId)
        const payload = new GeneratePasswordResetTokenUserReq({ username: i.username, applicationId }, true)
        const res = yield* call(
          "generateUserPasswordResetToken",
          clients,
          clients.public.generateUserPasswordResetToken({ payload }),
          { subject: i }
        )
        return yield* expectValid("generateUserPasswordResetToken")(res)
      }),
    resetPassword: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("resetPasswordUser", ResetPasswordInput, input)
        const applicationId = yield* appId("resetPasswordUser", i.applicationId)
        const payload = new PasswordResetUserReq({
          username: i.username,
          token: i.code,
          newPassword: i.newPassword,
          applicationId
        }, true)
        const res = yield* call("resetPasswordUser", clients, clients.public.resetPasswordUser({ payload }), {
          subject: i
        })
        return yield* expectValid("resetPasswordUser")(res)
      }),
    create: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("createUser", CreateInput, input)
        const directoryId = yield* orConfigured("createUser", "directoryId", i.directoryId, settings.directoryId)
        const payload = new CreateUserReq({ username: i.username, directoryId }, true)
        return yield* call("createUser", clients, clients.admin.createUser({ payload }), { subject: i })
      }).pipe(withCheckedAdmin("createUser")),
    getByUsername: (username) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("getUserbyUsername", UsernameInput, { username })
        return yield* call(
          "getUserbyUsername",
          clients,
          clients.admin.getUserbyUsername({ urlParams: { username: i.username } })
        )
      }).pipe(withCheckedAdmin("getUserbyUsername")),
    getById: (userId) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("getUserbyId", UserIdInput, { userId })
        return yield* call("getUserbyId", clients, clients.admin.getUserbyId({ path: i }))
      }).pipe(withCheckedAdmin("getUserbyId")),
    delete: (userId) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("deleteUserbyId", UserIdInput, { userId })
        // A replay that finds nothing: the attempt whose answer was lost deleted the user.
        const res = yield* call("deleteUserbyId", clients, clients.admin.deleteUserbyId({ path: i }), {
          onReplayNotFound: () => ({ valid: true })
        })
        return yield* expectValid("deleteUserbyId")(res)
      }).pipe(withCheckedAdmin("deleteUserbyId")),
    changeUsername: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("updateUsernameUserId", ChangeUsernameInput, input)
        const payload = new UserChangeUsernameReq({ username: i.username, status: i.status }, true)
        const res = yield* sessionCall(
          "updateUsernameUserId",
          clients,
          clients.session.updateUsernameUserId({ path: { userId: i.userId }, payload }),
          { subject: i }
        )
        return yield* expectValid("updateUsernameUserId")(res)
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
export const layer = Layer.effect(Users, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
