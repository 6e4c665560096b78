/**
 * What each operation may do and what its failures mean, decided once per operation: whether
 * it may be replayed after it may have reached the server, which domain errors its 400 can be,
 * and what its 401 means. The keys are the declaration's operationIds: an endpoint added to
 * `GlowmarktApi` does not compile until it has a row here.
 *
 * @internal
 */
import type {
  AccessDeniedError,
  AlreadyVerifiedError,
  CodeRejectedError,
  InvalidCredentialsError,
  TokenRejectedError,
  UnknownUserError,
  UsernameTakenError
} from "../../schema/GlowmarktError.js"
import type { OperationId } from "../../schema/GlowmarktApi.js"

/**
 * Whether a request may be sent again after it may have reached the server.
 *
 * - `idempotent`: replaying it cannot repeat a visible effect (reads, deletes, renames to the
 *   same value, logins).
 * - `once`: replaying it could create a second user or send a second email; it is retried only
 *   when the server surely did not act (connection refused, 408, 429).
 */
export type Replay = "idempotent" | "once"

/** The domain errors a 400 can be classified into (see `classify.ts`). */
export interface DomainErrors {
  readonly UsernameTakenError: UsernameTakenError
  readonly AlreadyVerifiedError: AlreadyVerifiedError
  readonly CodeRejectedError: CodeRejectedError
  readonly UnknownUserError: UnknownUserError
  readonly TokenRejectedError: TokenRejectedError
}

/** What a 401 means for an operation, by who was refused. */
export interface Unauthorized {
  /** An admin credential, or the application as a whole. */
  readonly AccessDeniedError: AccessDeniedError
  /** The username and password in the body. */
  readonly InvalidCredentialsError: InvalidCredentialsError
  /** The user's token. */
  readonly TokenRejectedError: TokenRejectedError
}

/** One operation's row. */
export interface Policy {
  readonly replay: Replay
  /** The domain errors its 400 may be; any other 400 is a `BadRequestError`. */
  readonly badRequest: ReadonlyArray<keyof DomainErrors>
  readonly unauthorized: keyof Unauthorized
}

/** Every operation's row. The README's retry and error tables are written from this. */
export const policies = {
  addUser: { replay: "once", badRequest: ["UsernameTakenError"], unauthorized: "AccessDeniedError" },
  generateUserVerificationToken: {
    replay: "once",
    badRequest: ["AlreadyVerifiedError"],
    unauthorized: "InvalidCredentialsError"
  },
  verifyUser: {
    replay: "once",
    badRequest: ["CodeRejectedError", "AlreadyVerifiedError"],
    unauthorized: "InvalidCredentialsError"
  },
  generateUserPasswordResetToken: { replay: "once", badRequest: ["UnknownUserError"], unauthorized: "AccessDeniedError" },
  resetPasswordUser: {
    replay: "once",
    badRequest: ["CodeRejectedError", "UnknownUserError"],
    unauthorized: "AccessDeniedError"
  },
  usernamelogin: { replay: "idempotent", badRequest: [], unauthorized: "InvalidCredentialsError" },
  createUser: { replay: "once", badRequest: ["UsernameTakenError"], unauthorized: "AccessDeniedError" },
  getUserbyUsername: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  getUserbyId: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  deleteUserbyId: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  tokencheck: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  newToken: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  // The spec's 400 for deleteToken is `{"valid": false}`: the token was not accepted.
  deleteToken: { replay: "idempotent", badRequest: ["TokenRejectedError"], unauthorized: "TokenRejectedError" },
  updateUsernameUserId: { replay: "idempotent", badRequest: ["UsernameTakenError"], unauthorized: "TokenRejectedError" },
  // Accounts, as an administrator. Adding an account for a user who already has one in the
  // application answers that account: a replay finds what the lost attempt made.
  getAccounts: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  addAccount: { replay: "idempotent", badRequest: ["UnknownUserError"], unauthorized: "AccessDeniedError" },
  getAccountbyId: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  updateAccount: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  deleteAccount: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  getAccountStatusbyId: { replay: "idempotent", badRequest: [], unauthorized: "AccessDeniedError" },
  // The user's own account. A password change replayed after it succeeded would present the old
  // password again and be refused: it is sent once.
  userChangePassWord: { replay: "once", badRequest: [], unauthorized: "TokenRejectedError" },
  userChangeEmail: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  userChangeName: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  getAccountStatusbyUserToken: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  addMobileAppToken: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  removeMobileAppToken: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  getAccountProfile: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  // A profile is overwritten whole: sending it twice leaves the same profile.
  addAccountProfile: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  getAccountProfilebyProfileName: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  getAccountSession: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  updateAccountSession: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  // The user's tokens.
  getTokenOfUser: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  deleteTokenById: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  // OAuth. A code request is a login (another code, the first stays valid until it expires);
  // an exchange uses its code or refresh token up, so a replay after success is refused: once.
  generateOAuthorizationCode: { replay: "idempotent", badRequest: [], unauthorized: "InvalidCredentialsError" },
  exchangeAuthorizationCodeWithAccess: {
    replay: "once",
    badRequest: ["CodeRejectedError"],
    unauthorized: "AccessDeniedError"
  },
  validateOAuthAccessToken: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  // Meter point consent. Each renewal and revocation is a record in the meter point's history:
  // a replay would add a second one, so they are sent once. The 401 is the user's token when
  // the call is made as the user; the `Consent` service reports it as `AccessDeniedError` when
  // the call was made with an admin credential.
  getUserMeterPointVerificationConsentStatus: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  getMeterPointConsentRenewal: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  renewMeterPointConsent: { replay: "once", badRequest: [], unauthorized: "TokenRejectedError" },
  getMeterPointConsentRevocation: { replay: "idempotent", badRequest: [], unauthorized: "TokenRejectedError" },
  revokeMeterPointConsent: { replay: "once", badRequest: [], unauthorized: "TokenRejectedError" },
  renewMeterPointConsentBulk: { replay: "once", badRequest: [], unauthorized: "TokenRejectedError" },
  renewMeterPointConsentRevokeBulk: { replay: "once", badRequest: [], unauthorized: "TokenRejectedError" }
} as const satisfies Record<OperationId, Policy>

/** The policies' type, by operation. */
export type Policies = typeof policies

/** The domain errors a 400 of `Op` may be. */
export type BadRequestOf<Op extends OperationId> = DomainErrors[Policies[Op]["badRequest"][number]]

/** What a 401 of `Op` is. */
export type UnauthorizedOf<Op extends OperationId> = Unauthorized[Policies[Op]["unauthorized"]]
