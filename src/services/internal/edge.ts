/**
 * The service edge: everything the derived client can fail with, turned into the library's
 * errors, once. A wire error becomes what it means for its operation (`operations.ts`: a 400
 * may be a domain error, a 401 is refused credentials, token or access); an undeclared status,
 * a body that does not match, a broken connection each become one of the `CallError`s. Server
 * text in an error is bounded and free of the call's secrets (`serverText.ts`).
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpApi from "@effect/platform/HttpApi"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiError from "@effect/platform/HttpApiError"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import {
  AccessDeniedError,
  type BadRequestError,
  type CallError,
  InvalidCredentialsError,
  InvalidInputError,
  NotFoundError,
  type Operation,
  ServerError,
  TokenRejectedError,
  TransportError,
  type TransportReason,
  UnexpectedResponseError,
  UnexpectedStatusError
} from "../../schema/GlowmarktError.js"
import type { GlowmarktApi, OperationId } from "../../schema/GlowmarktApi.js"
import { WireAccessDenied, WireBadRequest, WireInternalServerError, WireNotFound } from "../../schema/WireErrors.js"
import { classifyBadRequest } from "./classify.js"
import type { Deadline } from "./deadlines.js"
import { type BadRequestOf, policies, type UnauthorizedOf } from "./operations.js"
import { secretsOf, serverText } from "./serverText.js"

/** Everything a derived-client call can fail with. */
export type RawError =
  | WireBadRequest
  | WireAccessDenied
  | WireNotFound
  | WireInternalServerError
  | HttpApiError.HttpApiDecodeError
  | HttpClientError.HttpClientError
  | ParseResult.ParseError
  | InvalidInputError

/**
 * The library errors of operation `Op` whose derived client fails with `E`: each declared
 * status becomes what it means for that operation, and every call can meet bad input and the
 * `CallError`s. This is each method's exact error channel.
 */
export type Mapped<Op extends OperationId, E> =
  | (E extends WireBadRequest ? BadRequestError | BadRequestOf<Op> : never)
  | UnauthorizedOf<Op>
  | (E extends WireNotFound ? NotFoundError : never)
  | InvalidInputError
  | CallError

/** Every endpoint of the declaration. */
type Endpoints = typeof GlowmarktApi extends HttpApi.HttpApi<infer _Id, infer Groups, infer _E, infer _R>
  ? HttpApiGroup.HttpApiGroup.Endpoints<Groups>
  : never

/** The wire errors the declaration lists for operation `Op` (its declared statuses). */
export type WireErrorOf<Op extends OperationId> = HttpApiEndpoint.HttpApiEndpoint.ErrorWithName<Endpoints, Op>

/**
 * What operation `Op` can fail with, read off the declaration (its statuses) and the operation's
 * row in `operations.ts` (what its 400 and 401 mean): the error channel of a method that makes
 * that call. A change of either changes the type. For a union of operations, the union of theirs.
 */
export type OperationError<Op extends OperationId> = Op extends OperationId ? Mapped<Op, WireErrorOf<Op>> : never

/** What one attempt of any operation can fail with. */
export type AttemptError = Mapped<OperationId, RawError>

/** Who a call is about, for the errors that name them. */
export interface Subject {
  readonly username?: string | undefined
}

const codeOf = (cause: unknown): string | undefined => {
  for (let c: any = cause, depth = 0; c !== undefined && c !== null && depth < 5; c = c.cause, depth++) {
    if (typeof c.code === "string") return c.code
  }
  return undefined
}

/** A failure with no answer, by what the transport reported. */
export const transport = (operation: Operation, cause: unknown): TransportError => {
  const code = codeOf(cause)
  const make = (reason: TransportReason, mayHaveReachedServer: boolean, detail: string) =>
    new TransportError({ operation, reason, mayHaveReachedServer, detail })
  switch (code) {
    case "ECONNREFUSED":
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EHOSTUNREACH":
    case "ENETUNREACH":
      return make("ConnectionRefused", false, code)
    case "ECONNRESET":
    case "EPIPE":
    case "UND_ERR_SOCKET":
    case "UND_ERR_CLOSED":
      return make("ConnectionReset", true, code)
    case "UND_ERR_CONNECT_TIMEOUT":
      return make("Timeout", false, code)
    case "UND_ERR_HEADERS_TIMEOUT":
    case "UND_ERR_BODY_TIMEOUT":
    case "ETIMEDOUT":
      return make("Timeout", true, code)
    default:
      return make("Other", true, code ?? (cause instanceof Error ? cause.name : "unknown cause"))
  }
}

const problemOf = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issues.slice(0, 3).map((i) =>
    `${i.path.length === 0 ? "body" : i.path.join(".")}: ${i._tag === "Missing" ? "missing" : "unexpected value"}`
  ).join("; ") || "unexpected body"
}

/** `Retry-After` in seconds: a number of seconds, or an HTTP date counted from `nowMillis`. */
const retryAfterOf = (headers: Headers.Headers, nowMillis: number): number | undefined => {
  const value = Option.getOrUndefined(Headers.get(headers, "retry-after"))
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMillis) / 1000))
}

/** A 401 of `operation`, as what it means there. */
const unauthorized = (operation: Operation, serverMessage: string | undefined): AttemptError => {
  switch (policies[operation].unauthorized) {
    case "InvalidCredentialsError":
      return new InvalidCredentialsError({ operation })
    case "TokenRejectedError":
      return new TokenRejectedError(serverMessage === undefined ? { operation } : { operation, detail: serverMessage })
    case "AccessDeniedError":
      return new AccessDeniedError(serverMessage === undefined ? { operation } : { operation, serverMessage })
  }
}

/**
 * Maps one failed attempt of `operation` into the library's errors. `attempt` holds the status
 * and the request of the response, when one came.
 */
export const mapError = (operation: Operation, attempt: Deadline, subject: Subject | undefined) =>
(error: RawError): Effect.Effect<never, AttemptError> => {
  if (error instanceof InvalidInputError) return Effect.fail(error)
  const text = (raw: string) => serverText(raw, secretsOf(attempt.request))
  if (error instanceof WireBadRequest) {
    return Effect.fail(
      classifyBadRequest(operation, error.message, text, subject?.username)
    )
  }
  if (error instanceof WireAccessDenied) {
    return Effect.fail(unauthorized(operation, error.message === undefined ? undefined : text(error.message)))
  }
  if (error instanceof WireNotFound) return Effect.fail(new NotFoundError({ operation, serverMessage: text(error.message) }))
  if (error instanceof WireInternalServerError) {
    return Effect.fail(new ServerError({ operation, serverMessage: text(error.message) }))
  }
  if (error instanceof HttpApiError.HttpApiDecodeError) {
    return Effect.fail(new UnexpectedStatusError({ operation, status: 400, bodyExcerpt: text(error.message) }))
  }
  if (HttpClientError.isHttpClientError(error)) {
    if (error._tag === "RequestError") {
      return Effect.fail(
        error.reason === "Transport"
          ? transport(operation, error.cause)
          : new InvalidInputError({ operation, field: "request", problem: `could not be encoded (${error.reason})` })
      )
    }
    const response = error.response
    if (error.reason === "Decode" && error.cause !== undefined && response.status < 300) {
      // The body could not be read: the connection broke after the status line.
      return Effect.fail(transport(operation, error.cause))
    }
    return response.text.pipe(
      Effect.timeout(Duration.seconds(2)),
      Effect.orElseSucceed(() => ""),
      Effect.zip(Clock.currentTimeMillis),
      Effect.flatMap(([body, now]) => {
        const retryAfterSeconds = retryAfterOf(response.headers, now)
        return Effect.fail(
          new UnexpectedStatusError({
            operation,
            status: response.status,
            bodyExcerpt: serverText(body, secretsOf(response.request)),
            ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
          })
        )
      })
    )
  }
  // A ParseError: the request could not be encoded (no response yet), or a declared status came
  // with a body of the wrong shape.
  const status = attempt.status
  if (status === undefined) {
    return Effect.fail(new InvalidInputError({ operation, field: "request", problem: problemOf(error) }))
  }
  if (status === 500) return Effect.fail(new ServerError({ operation, serverMessage: "(unreadable body)" }))
  // Every endpoint declares 401: a gateway's page instead of `{"error":...}` is still a refusal.
  if (status === 401) return Effect.fail(unauthorized(operation, undefined))
  if (status >= 300) return Effect.fail(new UnexpectedStatusError({ operation, status, bodyExcerpt: "(unreadable body)" }))
  return Effect.fail(new UnexpectedResponseError({ operation, status, problem: problemOf(error) }))
}
