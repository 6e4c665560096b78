/**
 * The Account, Account Profile and Account Session operations.
 *
 * | operationId                      | method                | needs           |
 * |----------------------------------|-----------------------|-----------------|
 * | `getAccounts`                    | `list`                | `AdminAuth`     |
 * | `addAccount`                     | `add`                 | `AdminAuth`     |
 * | `getAccountbyId`                 | `get`                 | `AdminAuth`     |
 * | `updateAccount`                  | `update`              | `AdminAuth`     |
 * | `deleteAccount`                  | `delete`              | `AdminAuth`     |
 * | `getAccountStatusbyId`           | `status`              | `AdminAuth`     |
 * | `getAccountStatusbyUserToken`    | `ownStatus`           | `UserSession`   |
 * | `userChangePassWord`             | `changePassword`      | `UserSession`   |
 * | `userChangeEmail`                | `changeEmail`         | `UserSession`   |
 * | `userChangeName`                 | `changeName`          | `UserSession`   |
 * | (POST `/account/{id}/mobileapptoken`) `addMobileAppToken` | `addMobileAppToken` | `UserSession` |
 * | (PUT `/account/{id}/mobileapptoken`) `removeMobileAppToken` | `removeMobileAppToken` | `UserSession` |
 * | `getAccountProfile`              | `profileNames`        | `UserSession`   |
 * | `addAccountProfile`              | `putProfile`          | `UserSession`   |
 * | `getAccountProfilebyProfileName` | `getProfile`          | `UserSession`   |
 * | `getAccountSession`              | `getSession`          | `UserSession`   |
 * | `updateAccountSession`           | `updateSession`       | `UserSession`   |
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  AccountProfile,
  type AccountProfileNamesRes,
  type AccountRes,
  AccountSession,
  type AccountSessionRes,
  type AccountStatus,
  type AddAccountRes,
  AddAccountReq,
  AddMobileTokenReq,
  type DeleteAccountRes,
  MobileAppToken,
  ProfileName,
  RemoveMobileTokenReq,
  UpdateAccountReq,
  type UpdateAccountRes,
  type UpdateAccountSessionRes,
  UserChangeEmailReq,
  UserChangeNameReq,
  UserChangePasswordReq
} from "../schema/AccountModels.js"
import type { OperationId } from "../schema/GlowmarktApi.js"
import { type Operation, UnexpectedResponseError } from "../schema/GlowmarktError.js"
import { AccountId, DirectoryId, Email, PasswordFromSelf, Username } from "../schema/Identifiers.js"
import type { AdminAuth } from "./Credentials.js"
import type { Settings } from "./GlowmarktConfig.js"
import { call } from "./internal/call.js"
import type { OperationError } from "./internal/edge.js"
import { type Clients, ClientsService, clientsLayer, makeClients } from "./internal/client.js"
import { decodeInput, orConfigured } from "./internal/input.js"
import { sessionCall } from "./internal/session.js"
import type { SessionError, UserSession } from "./Session.js"

// ---------------------------------------------------------------------------------------------
// Inputs

/** @since 0.1.0 */
export const AddInput = Schema.Struct({ username: Username, directoryId: Schema.optional(DirectoryId) })
/** The input of {@link Service.add}. @since 0.1.0 */
export interface AddInput {
  /** An existing user of the directory, trimmed and lowercased before sending. */
  readonly username: string
  /** Defaults to the configured `directoryId`. */
  readonly directoryId?: string | undefined
}

/** @since 0.1.0 */
export const UpdateInput = Schema.Struct({ accountId: AccountId, name: UpdateAccountReq.fields.name })
/** The input of {@link Service.update}. @since 0.1.0 */
export interface UpdateInput {
  readonly accountId: string
  readonly name: string
}

/** @since 0.1.0 */
export const ChangePasswordInput = Schema.Struct({ oldPassword: PasswordFromSelf, newPassword: PasswordFromSelf })
/** The input of {@link Service.changePassword}. @since 0.1.0 */
export interface ChangePasswordInput {
  readonly oldPassword: Redacted.Redacted<string>
  readonly newPassword: Redacted.Redacted<string>
}

/** @since 0.1.0 */
export const MobileAppTokenInput = Schema.Struct({ accountId: AccountId, token: MobileAppToken })
/** The input of {@link Service.addMobileAppToken} and {@link Service.removeMobileAppToken}. @since 0.1.0 */
export interface MobileAppTokenInput {
  /** The user's own account (the token's). */
  readonly accountId: string
  /** The push token of the mobile app. */
  readonly token: string
}

/** The input of {@link Service.putProfile}. @since 0.1.0 */
export interface ProfileInput {
  readonly profileName: string
  /** Free-form JSON; replaces what the profile held. */
  readonly InformationAboutDashboard?: Readonly<Record<string, unknown>> | undefined
}

/** The input of {@link Service.updateSession}: the fields sent are overwritten. @since 0.1.0 */
export interface SessionInput {
  readonly sessionvalue1?: string | undefined
  readonly sessionvalue2?: string | undefined
}

const AccountIdInput = Schema.Struct({ accountId: AccountId })
const EmailInput = Schema.Struct({ email: Email })
const NameInput = Schema.Struct({ name: UserChangeNameReq.fields.name })
const ProfileNameInput = Schema.Struct({ profileName: ProfileName })

// ---------------------------------------------------------------------------------------------
// Error unions: each method's is its operation's (`OperationError`: the declared statuses and the
// operation's row), the names below group them as the methods' documentation does.

/**
 * What a call made as the user for operation `Op` can fail with: the operation's errors, and
 * what getting the session's token can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type OwnErrorOf<Op extends OperationId> = OperationError<Op> | SessionError

/**
 * What the admin reads (`list`) can fail with: the admin credential was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type ListError = OperationError<"getAccounts">
/**
 * What `add` can fail with: nobody has the username in the directory (`UnknownUserError`),
 * another 400, the admin credential was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type AddError = OperationError<"addAccount">
/**
 * What `get` and `status` can fail with: no such account in the credential's application.
 *
 * @category errors
 * @since 0.1.0
 */
export type AccountLookupError = OperationError<"getAccountbyId" | "getAccountStatusbyId">
/**
 * What `update` and `delete` can fail with: the account is not the application's (400, the spec
 * declares no 404), the admin credential was refused.
 *
 * @category errors
 * @since 0.1.0
 */
export type AccountChangeError = OperationError<"updateAccount" | "deleteAccount">
/**
 * What the user's own calls with a body can fail with: a refused value (a wrong old password, a
 * weak new one: `BadRequestError`), the user's token was refused, the session got no token.
 *
 * @category errors
 * @since 0.1.0
 */
export type OwnChangeError = OwnErrorOf<
  "userChangePassWord" | "userChangeEmail" | "userChangeName" | "addAccountProfile" | "updateAccountSession"
>
/**
 * What the user's own reads and the mobile-token calls can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type OwnError = OwnErrorOf<
  "addMobileAppToken" | "removeMobileAppToken" | "getAccountProfile" | "getAccountSession"
>
/**
 * What the user's own look-ups (`ownStatus`, `getProfile`) can fail with: nothing by that name.
 *
 * @category errors
 * @since 0.1.0
 */
export type OwnLookupError = OwnErrorOf<"getAccountStatusbyUserToken" | "getAccountProfilebyProfileName">

// ---------------------------------------------------------------------------------------------
// The service

/**
 * Accounts, account profiles and the account session.
 *
 * @since 0.1.0
 */
export interface Service {
  /** `GET /account` (getAccounts, admin): every account of the credential's application. */
  readonly list: () => Effect.Effect<ReadonlyArray<AccountRes>, OperationError<"getAccounts">, AdminAuth>
  /** `POST /account` (addAccount, admin): links an existing user to the application (the existing account if linked). */
  readonly add: (input: AddInput) => Effect.Effect<AddAccountRes, OperationError<"addAccount">, AdminAuth>
  /** `GET /account/{accountId}` (getAccountbyId, admin). */
  readonly get: (accountId: string) => Effect.Effect<AccountRes, OperationError<"getAccountbyId">, AdminAuth>
  /** `PUT /account/{accountId}` (updateAccount, admin): renames the account. */
  readonly update: (input: UpdateInput) => Effect.Effect<UpdateAccountRes, OperationError<"updateAccount">, AdminAuth>
  /** `DELETE /account/{accountId}` (deleteAccount, admin). */
  readonly delete: (accountId: string) => Effect.Effect<DeleteAccountRes, OperationError<"deleteAccount">, AdminAuth>
  /** `GET /account/{accountId}/status` (getAccountStatusbyId, admin). */
  readonly status: (accountId: string) => Effect.Effect<AccountStatus, OperationError<"getAccountStatusbyId">, AdminAuth>
  /** `GET /account/status` (getAccountStatusbyUserToken): the session's own account. */
  readonly ownStatus: () => Effect.Effect<AccountStatus, OwnErrorOf<"getAccountStatusbyUserToken">, UserSession>
  /** `POST /account/changepassword` (userChangePassWord): sent once, never replayed. */
  readonly changePassword: (input: ChangePasswordInput) => Effect.Effect<void, OwnErrorOf<"userChangePassWord">, UserSession>
  /** `POST /account/email` (userChangeEmail). */
  readonly changeEmail: (email: string) => Effect.Effect<void, OwnErrorOf<"userChangeEmail">, UserSession>
  /** `POST /account/name` (userChangeName). */
  readonly changeName: (name: string) => Effect.Effect<void, OwnErrorOf<"userChangeName">, UserSession>
  /** `POST /account/{accountId}/mobileapptoken`: registers a push token. */
  readonly addMobileAppToken: (input: MobileAppTokenInput) => Effect.Effect<void, OwnErrorOf<"addMobileAppToken">, UserSession>
  /** `PUT /account/{accountId}/mobileapptoken`: removes a push token. */
  readonly removeMobileAppToken: (
    input: MobileAppTokenInput
  ) => Effect.Effect<void, OwnErrorOf<"removeMobileAppToken">, UserSession>
  /** `GET /accountprofile` (getAccountProfile): the names of the account's profiles. */
  readonly profileNames: () => Effect.Effect<AccountProfileNamesRes, OwnErrorOf<"getAccountProfile">, UserSession>
  /** `POST /accountprofile` (addAccountProfile): creates or overwrites a profile. */
  readonly putProfile: (input: ProfileInput) => Effect.Effect<void, OwnErrorOf<"addAccountProfile">, UserSession>
  /** `GET /accountprofile/{profileName}` (getAccountProfilebyProfileName). */
  readonly getProfile: (
    profileName: string
  ) => Effect.Effect<AccountProfile, OwnErrorOf<"getAccountProfilebyProfileName">, UserSession>
  /** `GET /accountsession` (getAccountSession). */
  readonly getSession: () => Effect.Effect<AccountSessionRes, OwnErrorOf<"getAccountSession">, UserSession>
  /** `PUT /accountsession` (updateAccountSession). */
  readonly updateSession: (
    input: SessionInput
  ) => Effect.Effect<UpdateAccountSessionRes, OwnErrorOf<"updateAccountSession">, UserSession>
}

/**
 * The Accounts service.
 *
 * @since 0.1.0
 */
export class Accounts extends Context.Tag("effect-glowmarkt/Accounts")<Accounts, Service>() {}

const expectValid = (operation: Operation) => (res: { readonly valid?: boolean | undefined }) =>
  res.valid === false
    ? Effect.fail(new UnexpectedResponseError({ operation, status: 200, problem: "valid: false in a success answer" }))
    : Effect.void

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => {
  const settings: Settings = clients.settings
  const { accountAdmin: admin, accountSession: own } = clients
  return {
    list: () => call("getAccounts", clients, admin.getAccounts()),
    add: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("addAccount", AddInput, input)
        const directoryId = yield* orConfigured("addAccount", "directoryId", i.directoryId, settings.directoryId)
        const payload = new AddAccountReq({ username: i.username, directoryId }, true)
        return yield* call("addAccount", clients, admin.addAccount({ payload }), { subject: i })
      }),
    get: (accountId) =>
      Effect.flatMap(
        decodeInput("getAccountbyId", AccountIdInput, { accountId }),
        (path) => call("getAccountbyId", clients, admin.getAccountbyId({ path }))
      ),
    update: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("updateAccount", UpdateInput, input)
        const payload = new UpdateAccountReq({ name: i.name }, true)
        return yield* call("updateAccount", clients, admin.updateAccount({ path: { accountId: i.accountId }, payload }))
      }),
    delete: (accountId) =>
      Effect.gen(function*() {
        const path = yield* decodeInput("deleteAccount", AccountIdInput, { accountId })
        const res = yield* call("deleteAccount", clients, admin.deleteAccount({ path }))
        yield* expectValid("deleteAccount")(res)
        return res
      }),
    status: (accountId) =>
      Effect.flatMap(
        decodeInput("getAccountStatusbyId", AccountIdInput, { accountId }),
        (path) => call("getAccountStatusbyId", clients, admin.getAccountStatusbyId({ path }))
      ),
    ownStatus: () => sessionCall("getAccountStatusbyUserToken", clients, own.getAccountStatusbyUserToken()),
    changePassword: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("userChangePassWord", ChangePasswordInput, input)
        const payload = new UserChangePasswordReq(i, true)
        const res = yield* sessionCall("userChangePassWord", clients, own.userChangePassWord({ payload }))
        return yield* expectValid("userChangePassWord")(res)
      }),
    changeEmail: (email) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("userChangeEmail", EmailInput, { email })
        const res = yield* sessionCall("userChangeEmail", clients, own.userChangeEmail({ payload: new UserChangeEmailReq(i, true) }))
        return yield* expectValid("userChangeEmail")(res)
      }),
    changeName: (name) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("userChangeName", NameInput, { name })
        const res = yield* sessionCall("userChangeName", clients, own.userChangeName({ payload: new UserChangeNameReq(i, true) }))
        return yield* expectValid("userChangeName")(res)
      }),
    addMobileAppToken: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("addMobileAppToken", MobileAppTokenInput, input)
        const res = yield* sessionCall(
          "addMobileAppToken",
          clients,
          own.addMobileAppToken({ path: { accountId: i.accountId }, payload: new AddMobileTokenReq({ newToken: i.token }, true) })
        )
        return yield* expectValid("addMobileAppToken")(res)
      }),
    removeMobileAppToken: (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("removeMobileAppToken", MobileAppTokenInput, input)
        const res = yield* sessionCall(
          "removeMobileAppToken",
          clients,
          own.removeMobileAppToken({
            path: { accountId: i.accountId },
            payload: new RemoveMobileTokenReq({ removeToken: i.token }, true)
          })
        )
        return yield* expectValid("removeMobileAppToken")(res)
      }),
    profileNames: () => sessionCall("getAccountProfile", clients, own.getAccountProfile()),
    putProfile: (input) =>
      Effect.gen(function*() {
        const payload = yield* decodeInput("addAccountProfile", AccountProfile, input)
        yield* sessionCall("addAccountProfile", clients, own.addAccountProfile({ payload }))
      }),
    getProfile: (profileName) =>
      Effect.flatMap(
        decodeInput("getAccountProfilebyProfileName", ProfileNameInput, { profileName }),
        (path) => sessionCall("getAccountProfilebyProfileName", clients, own.getAccountProfilebyProfileName({ path }))
      ),
    getSession: () => sessionCall("getAccountSession", clients, own.getAccountSession()),
    updateSession: (input) =>
      Effect.gen(function*() {
        const payload = yield* decodeInput("updateAccountSession", AccountSession, input)
        const res = yield* sessionCall("updateAccountSession", clients, own.updateAccountSession({ payload }))
        yield* expectValid("updateAccountSession")(res)
        return res
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
export const layer = Layer.effect(Accounts, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
