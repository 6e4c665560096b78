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

/**
 * The operations of the User System, by their swagger operationId.
 *
 * @since 0.1.0
 */
export const Operation = Schema.Literal(
  "addUser",
  "createUser",
  "getUserbyUsername",
  "getUserbyId",
  "deleteUserbyId",
  "generateUserVerificationToken",
  "verifyUser",
  "generateUserPasswordResetToken",
  "resetPasswordUser",
  "updateUsernameUserId",
  "usernamelogin",
  "tokencheck",
  "newToken",
  "deleteToken"
)
/** @since 0.1.0 */
export type Operation = typeof Operation.Type

/**
 * 400: the server refused the request's content (`missing elements`, `incorrect elements`, a
 * username that is taken, a wrong or expired code).
 *
 * @since 0.1.0
 */
export class BadRequestError extends Schema.TaggedError<BadRequestError>()("BadRequestError", {
  operation: Operation,
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
 * 401: the credentials (or the password, or the token) were not accepted.
 *
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
    }); check the credentials, application id, password or token used for this call`
  }
}

/**
 * 404: the user does not exist (whatever the body: text, JSON or empty).
 *
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
 * @since 0.1.0
 */
export const TransportReason = Schema.Literal("Timeout", "ConnectionRefused", "ConnectionReset", "Other")
/** @since 0.1.0 */
export type TransportReason = typeof TransportReason.Type

/**
 * No answer: a timeout, a refused or reset connection. `mayHaveReachedServer` tells whether the
 * server may have acted on the request (and so whether repeating it could repeat its effect).
 *
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
 * @since 0.1.0
 */
export type CallError = ServerError | UnexpectedStatusError | UnexpectedResponseError | TransportError

/**
 * Every error of the library.
 *
 * @since 0.1.0
 */
export type GlowmarktError =
  | BadRequestError
  | AccessDeniedError
  | NotFoundError
  | InvalidInputError
  | InvalidConfigError
  | CallError

/**
 * Whether a value is one of the library's errors.
 *
 * @since 0.1.0
 */
export const isGlowmarktError = (u: unknown): u is GlowmarktError =>
  u instanceof BadRequestError || u instanceof AccessDeniedError || u instanceof NotFoundError ||
  u instanceof InvalidInputError || u instanceof InvalidConfigError || u instanceof ServerError ||
  u instanceof UnexpectedStatusError || u instanceof UnexpectedResponseError || u instanceof TransportError

/**
 * Whether the server may have acted on a request that failed this way, though no clean answer
 * came back: a transport failure after sending, a 5xx, or a 2xx whose body could not be read.
 * Repeating such a request may repeat its effect: check first (look the user up, log in).
 *
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
 * @since 0.1.0
 */
export const surelyNotActed = (error: unknown): boolean =>
  (error instanceof TransportError && !error.mayHaveReachedServer) ||
  (error instanceof UnexpectedStatusError && (error.status === 408 || error.status === 429))
