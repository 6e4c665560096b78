/**
 * The errors a caller of the library can meet: a small, closed set.
 *
 * Each operation lists the precise subset it can fail with. Every error names the operation
 * (the swagger operationId), says what happened and what to do in `message`, and never holds a
 * secret: no password, token, app key or header value is ever copied into one.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { type OperationId, operationIds } from "./GlowmarktApi.js"

/**
 * The operations of the User System, by their swagger operationId (read off the `HttpApi`
 * declaration: see `GlowmarktApi.operationIds`).
 *
 * @category models
 * @since 0.1.0
 */
export const Operation = Schema.Literal(...operationIds)
/** @category models @since 0.1.0 */
export type Operation = OperationId

/**
 * 400 that the library does not recognise as one of the domain errors below (`missing
 * elements`, `incorrect elements`, ...): the values sent will not succeed unchanged.
 *
 * @category errors
 * @since 0.1.0
 */
export class BadRequestError extends Schema.TaggedError<BadRequestError>()("BadRequestError", {
  operation: Operation,
  /** What the server said: at most a few hundred characters, the call's secrets redacted. */
  serverMessage: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 400
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt refused ${this.operation} as a bad request (400: ${this.serverMessage}); ` +
      `check the values sent, they will not succeed unchanged`
  }
}

/**
 * The username is already registered in the directory (`400 user already exists`): by
 * someone else, or by an earlier run whose answer was lost (the flows tell these apart).
 *
 * @category errors
 * @since 0.1.0
 */
export class UsernameTakenError extends Schema.TaggedError<UsernameTakenError>()("UsernameTakenError", {
  operation: Operation,
  username: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 400
  /** @since 0.1.0 */
  override get message(): string {
    return `The username ${this.username} is already registered (${this.operation}): choose another username, ` +
      `or, if it is this user's, log in or reset its password`
  }
}

/**
 * The user is already verified (`400 user already verified`): there is no code to send or
 * check; the user can log in.
 *
 * @category errors
 * @since 0.1.0
 */
export class AlreadyVerifiedError extends Schema.TaggedError<AlreadyVerifiedError>()("AlreadyVerifiedError", {
  operation: Operation,
  username: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 400
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.username} is already verified (${this.operation}); nothing to do: the user can log in`
  }
}

/**
 * Why a code was refused.
 *
 * - `wrong`: not the pending code; the pending code stays valid (until too many wrong tries).
 * - `expired`: the code's lifetime passed; it is void.
 * - `tooManyAttempts`: this wrong code was one too many; the pending code is void.
 * - `noPendingCode`: no code is pending (never sent, used, voided).
 *
 * @category models
 * @since 0.1.0
 */
export const CodeRejection = Schema.Literal("wrong", "expired", "tooManyAttempts", "noPendingCode")
/** @category models @since 0.1.0 */
export type CodeRejection = typeof CodeRejection.Type

/**
 * The emailed 4-digit code was refused (wrong, expired, used up, or none pending). `reason`
 * says which; all but `wrong` void the code: request a new one.
 *
 * @category errors
 * @since 0.1.0
 */
export class CodeRejectedError extends Schema.TaggedError<CodeRejectedError>()("CodeRejectedError", {
  operation: Operation,
  reason: CodeRejection,
  /** What the server said: at most a few hundred characters, the call's secrets redacted. */
  serverMessage: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 400
  /** Whether the pending code is void, so only a new code can succeed. */
  get codeIsVoid(): boolean {
    return this.reason !== "wrong"
  }
  /** @since 0.1.0 */
  override get message(): string {
    const what = this.reason === "wrong"
      ? "the code is wrong; the code that was sent is still valid: enter it again"
      : this.reason === "expired"
      ? "the code expired: request a new one"
      : this.reason === "tooManyAttempts"
      ? "too many wrong codes were entered, the code is void: request a new one"
      : "no code is pending: request a new one"
    return `Glowmarkt refused the code for ${this.operation} (${this.serverMessage}): ${what}`
  }
}

/**
 * Nobody has this username in the application (`400 user not found`).
 *
 * @category errors
 * @since 0.1.0
 */
export class UnknownUserError extends Schema.TaggedError<UnknownUserError>()("UnknownUserError", {
  operation: Operation,
  username: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 400
  /** @since 0.1.0 */
  override get message(): string {
    return `No user ${this.username} in this application (${this.operation}): check the spelling, ` +
      `or register the user first`
  }
}

/**
 * 401 to a call that carries a username and password in its body (login, requesting a code,
 * verifying): the pair was refused. The password is wrong, the user does not exist in this
 * application, or (for a login) the user is not verified yet.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidCredentialsError extends Schema.TaggedError<InvalidCredentialsError>()("InvalidCredentialsError", {
  operation: Operation
}) {
  /** @since 0.1.0 */
  readonly status = 401
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt refused the username and password for ${this.operation} (401): check them, ` +
      `and that the user is registered in this application${
        this.operation === "usernamelogin" ? " and verified" : ""
      }`
  }
}

/**
 * 401 to a call made with a user's token: the token expired, was revoked, belongs to another
 * application, or does not allow this call (another user's id). A `UserSession` that holds the
 * password logs in again once before this reaches a caller.
 *
 * @category errors
 * @since 0.1.0
 */
export class TokenRejectedError extends Schema.TaggedError<TokenRejectedError>()("TokenRejectedError", {
  operation: Operation,
  /** Why, when the library knows more than the 401 says. */
  detail: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly status = 401
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt refused the user's token for ${this.operation} (401${
      this.detail === undefined ? "" : `: ${this.detail}`
    }); log in again (a session opened with a password does this by itself)`
  }
}

/**
 * 401 to a call made with an admin credential (app keys, organisation keys, a developer token)
 * or to a public call that is refused as a whole: the credential or the application id was not
 * accepted.
 *
 * @category errors
 * @since 0.1.0
 */
export class AccessDeniedError extends Schema.TaggedError<AccessDeniedError>()("AccessDeniedError", {
  operation: Operation,
  serverMessage: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  readonly status = 401
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt denied access to ${this.operation} (401${
      this.serverMessage === undefined ? "" : `: ${this.serverMessage}`
    }); check the admin credential and the application id used for this call`
  }
}

/**
 * 404: the user does not exist, or the credential's application has no account for it
 * (whatever the body: text, JSON or empty).
 *
 * @category errors
 * @since 0.1.0
 */
export class NotFoundError extends Schema.TaggedError<NotFoundError>()("NotFoundError", {
  operation: Operation,
  serverMessage: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 404
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt found no such user for ${this.operation} (404: ${this.serverMessage}); ` +
      `check the user id or username, and that the credential's application has an account for it`
  }
}

/**
 * 500: the server failed. Retried for operations that are safe to replay; when it reaches a
 * caller, the retries were spent or the operation could not be replayed safely.
 *
 * @category errors
 * @since 0.1.0
 */
export class ServerError extends Schema.TaggedError<ServerError>()("ServerError", {
  operation: Operation,
  serverMessage: Schema.String
}) {
  /** @since 0.1.0 */
  readonly status = 500
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt failed with a server error during ${this.operation} (500: ${this.serverMessage}); ` +
      `try again later`
  }
}

/**
 * A status the contract does not declare for this operation (403, 408, 429, 502, 503, ...).
 *
 * @category errors
 * @since 0.1.0
 */
export class UnexpectedStatusError extends Schema.TaggedError<UnexpectedStatusError>()("UnexpectedStatusError", {
  operation: Operation,
  status: Schema.Number,
  /** The first characters of the body, to tell a proxy's page from the API's answer. */
  bodyExcerpt: Schema.String,
  /** The server's `Retry-After`, in seconds, when it sent one (429, 503). */
  retryAfterSeconds: Schema.optional(Schema.Number)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const hint = this.status === 429 || this.status >= 500
      ? "the service is overloaded or unavailable; try again later"
      : "check the base URL and the credentials"
    const wait = this.retryAfterSeconds === undefined ? "" : ` (the server asks to wait ${this.retryAfterSeconds}s)`
    return `Glowmarkt answered ${this.operation} with unexpected status ${this.status}` +
      `${this.bodyExcerpt === "" ? "" : ` (${JSON.stringify(this.bodyExcerpt)})`}; ${hint}${wait}`
  }
}

/**
 * The response did not have the shape the contract promises. Only the paths of the problems
 * are kept, never the values (a login response holds a token).
 *
 * @category errors
 * @since 0.1.0
 */
export class UnexpectedResponseError
  extends Schema.TaggedError<UnexpectedResponseError>()("UnexpectedResponseError", {
    operation: Operation,
    status: Schema.Number,
    problem: Schema.String
  })
{
  /** @since 0.1.0 */
  override get message(): string {
    return `Glowmarkt's ${this.status} answer to ${this.operation} did not match the contract ` +
      `(${this.problem}); check the base URL points at the Glowmarkt API`
  }
}

/**
 * Why a request did not get an answer.
 *
 * @category schemas
 * @since 0.1.0
 */
export const TransportReason = Schema.Literal("Timeout", "ConnectionRefused", "ConnectionReset", "Other")
/** @category models @since 0.1.0 */
export type TransportReason = typeof TransportReason.Type

/**
 * No answer: a timeout, a refused or reset connection. `mayHaveReachedServer` tells whether the
 * server may have acted on the request (and so whether repeating it could repeat its effect).
 *
 * @category errors
 * @since 0.1.0
 */
export class TransportError extends Schema.TaggedError<TransportError>()("TransportError", {
  operation: Operation,
  reason: TransportReason,
  mayHaveReachedServer: Schema.Boolean,
  detail: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const what = this.reason === "Timeout"
      ? "timed out"
      : this.reason === "ConnectionRefused"
      ? "could not connect"
      : this.reason === "ConnectionReset"
      ? "lost its connection"
      : "failed in transport"
    return `Glowmarkt ${this.operation} ${what} (${this.detail}); ` +
      (this.mayHaveReachedServer
        ? "the server may have acted on it: check before repeating it"
        : "the request did not reach the server: it is safe to try again")
  }
}

/**
 * Bad input, caught before anything was sent.
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidInputError extends Schema.TaggedError<InvalidInputError>()("InvalidInputError", {
  operation: Schema.String,
  /** The field that was wrong, as a dotted path (`username`, `password`, `code`, ...). */
  field: Schema.String,
  problem: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Invalid ${this.field} for ${this.operation}: ${this.problem}; nothing was sent`
  }
}

/**
 * The library's configuration was refused (a base URL that is not https, a bad timeout, ...).
 *
 * @category errors
 * @since 0.1.0
 */
export class InvalidConfigError extends Schema.TaggedError<InvalidConfigError>()("InvalidConfigError", {
  setting: Schema.String,
  problem: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `Invalid Glowmarkt setting ${this.setting}: ${this.problem}`
  }
}

/**
 * What any call can fail with once it is on the wire, whatever the operation.
 *
 * @category errors
 * @since 0.1.0
 */
export type CallError = ServerError | UnexpectedStatusError | UnexpectedResponseError | TransportError

/**
 * Every error of the library.
 *
 * @category errors
 * @since 0.1.0
 */
export type GlowmarktError =
  | BadRequestError
  | UsernameTakenError
  | AlreadyVerifiedError
  | CodeRejectedError
  | UnknownUserError
  | InvalidCredentialsError
  | TokenRejectedError
  | AccessDeniedError
  | NotFoundError
  | InvalidInputError
  | InvalidConfigError
  | CallError

/**
 * Every error of the library as one schema: how the durable flows store a failure.
 *
 * @category schemas
 * @since 0.1.0
 */
export const GlowmarktErrorSchema: Schema.Schema<GlowmarktError, any> = Schema.Union(
  BadRequestError,
  UsernameTakenError,
  AlreadyVerifiedError,
  CodeRejectedError,
  UnknownUserError,
  InvalidCredentialsError,
  TokenRejectedError,
  AccessDeniedError,
  NotFoundError,
  InvalidInputError,
  InvalidConfigError,
  ServerError,
  UnexpectedStatusError,
  UnexpectedResponseError,
  TransportError
)

/**
 * Whether a value is one of the library's errors.
 *
 * @category predicates
 * @since 0.1.0
 */
export const isGlowmarktError = (u: unknown): u is GlowmarktError =>
  u instanceof BadRequestError || u instanceof UsernameTakenError || u instanceof AlreadyVerifiedError ||
  u instanceof CodeRejectedError || u instanceof UnknownUserError || u instanceof InvalidCredentialsError ||
  u instanceof TokenRejectedError || u instanceof AccessDeniedError || u instanceof NotFoundError ||
  u instanceof InvalidInputError || u instanceof InvalidConfigError || u instanceof ServerError ||
  u instanceof UnexpectedStatusError || u instanceof UnexpectedResponseError || u instanceof TransportError

/**
 * Whether the server may have acted on a request that failed this way, though no clean answer
 * came back: a transport failure after sending, a 5xx, or a 2xx whose body could not be read.
 * Repeating such a request may repeat its effect: check first (look the user up, log in).
 *
 * @category predicates
 * @since 0.1.0
 */
export const mayHaveActed = (error: unknown): boolean =>
  (error instanceof TransportError && error.mayHaveReachedServer) ||
  error instanceof ServerError ||
  (error instanceof UnexpectedStatusError && error.status >= 500) ||
  (error instanceof UnexpectedResponseError && error.status < 300)

/**
 * Whether the server surely did not act: the request never left (connection refused), or the
 * server refused to start on it (408, 429). Sending it again cannot repeat an effect.
 *
 * @category predicates
 * @since 0.1.0
 */
export const surelyNotActed = (error: unknown): boolean =>
  (error instanceof TransportError && !error.mayHaveReachedServer) ||
  (error instanceof UnexpectedStatusError && (error.status === 408 || error.status === 429))
