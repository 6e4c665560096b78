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
  updateUsernameUserId: { replay: "idempotent", badRequest: ["UsernameTakenError"], unauthorized: "TokenRejectedError" }
} as const satisfies Record<OperationId, Policy>

/** The policies' type, by operation. */
export type Policies = typeof policies

/** The domain errors a 400 of `Op` may be. */
export type BadRequestOf<Op extends OperationId> = DomainErrors[Policies[Op]["badRequest"][number]]

/** What a 401 of `Op` is. */
export type UnauthorizedOf<Op extends OperationId> = Unauthorized[Policies[Op]["unauthorized"]]
