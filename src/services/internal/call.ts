/**
 * One place where every call is made: timeout, the mapping of everything the derived client can
 * fail with into the library's errors, retries that never replay a side effect, header redaction
 * and the span. The caller's input is checked before, in `input.ts`.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpApiError from "@effect/platform/HttpApiError"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import * as GlowmarktError from "../../schema/GlowmarktError.js"
import {
  AccessDeniedError,
  BadRequestError,
  type CallError,
  InvalidInputError,
  NotFoundError,
  type Operation,
  ServerError,
  TransportError,
  type TransportReason,
  UnexpectedResponseError,
  UnexpectedStatusError
} from "../../schema/GlowmarktError.js"
import { WireAccessDenied, WireBadRequest, WireInternalServerError, WireNotFound } from "../../schema/WireErrors.js"
import { sensitiveHeaders } from "../Credentials.js"
import type { RetryPolicy } from "../GlowmarktConfig.js"
import type { Deadline, Deadlines } from "./deadlines.js"

/**
 * Whether a request may be sent again after it may have reached the server.
 *
 * - `idempotent`: replaying it cannot repeat a visible effect (reads, deletes, renames to the
 *   same value, logins).
 * - `once`: replaying it could create a second user or send a second email; it is retried only
 *   when the server surely did not act (connection refused, 408, 429).
 */
export type Replay = "idempotent" | "once"

/** The retry rule of every operation: the README's retry table is written from this. */
export const replayOf: Record<Operation, Replay> = {
  addUser: "once",
  createUser: "once",
  getUserbyUsername: "idempotent",
  getUserbyId: "idempotent",
  deleteUserbyId: "idempotent",
  generateUserVerificationToken: "once",
  verifyUser: "once",
  generateUserPasswordResetToken: "once",
  resetPasswordUser: "once",
  updateUsernameUserId: "idempotent",
  usernamelogin: "idempotent",
  tokencheck: "idempotent",
  newToken: "idempotent",
  deleteToken: "idempotent"
}

// ---------------------------------------------------------------------------------------------
// The attempt in flight: its scope (the request is aborted when it closes), its deadline, and the
// status of its response, for the errors that the derived client reports without it (a body that
// failed to decode).

/** The current attempt's deadline. Provided by {@link call} to the derived client's requests. */
export class CurrentAttempt extends Context.Tag("effect-glowmarkt/internal/CurrentAttempt")<CurrentAttempt, Deadline>() {}

/** Records the status of each response into the current attempt. */
export const withProbe = <E, R>(client: HttpClient.HttpClient.With<E, R>): HttpClient.HttpClient.With<E, R> =>
  HttpClient.tap(client, (response: HttpClientResponse.HttpClientResponse) =>
    Effect.contextWith((context: Context.Context<never>) => {
      const attempt = Context.getOption(context, CurrentAttempt)
      if (attempt._tag === "Some") attempt.value.status = response.status
    }))

/** Adds the library's sensitive header names to those already redacted. */
const redactedNames = (() => {
  // The names are the same on almost every call: remember the last answer.
  let last: [ReadonlyArray<string | RegExp>, ReadonlyArray<string | RegExp>] | undefined
  return (names: ReadonlyArray<string | RegExp>): ReadonlyArray<string | RegExp> => {
    if (last === undefined || last[0] !== names) {
      last = [names, [...names, ...sensitiveHeaders.filter((h) => !names.includes(h))]]
    }
    return last[1]
  }
})()

// ---------------------------------------------------------------------------------------------
// Error mapping

const codeOf = (cause: unknown): string | undefined => {
  for (let c: any = cause, depth = 0; c !== undefined && c !== null && depth < 5; c = c.cause, depth++) {
    if (typeof c.code === "string") return c.code
  }
  return undefined
}

const transport = (operation: Operation, cause: unknown): TransportError => {
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

const excerpt = (text: string): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > 120 ? `${flat.slice(0, 120)}...` : flat
}

const problemOf = (error: ParseResult.ParseError): string => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issues.slice(0, 3).map((i) =>
    `${i.path.length === 0 ? "body" : i.path.join(".")}: ${i._tag === "Missing" ? "missing" : "unexpected value"}`
  ).join("; ") || "unexpected body"
}

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
 * The library errors that a call whose derived client fails with `E` can produce: a wire error
 * becomes its library error, and every call can meet bad input and the `CallError`s.
 */
export type Mapped<E> =
  | (E extends WireBadRequest ? BadRequestError : never)
  | (E extends WireAccessDenied ? AccessDeniedError : never)
  | (E extends WireNotFound ? NotFoundError : never)
  | InvalidInputError
  | CallError

/** The errors of one attempt: what a caller can see. */
export type AttemptError =
  | BadRequestError
  | AccessDeniedError
  | NotFoundError
  | InvalidInputError
  | CallError

/** `Retry-After` in seconds: a number of seconds, or an HTTP date counted from `nowMillis`. */
const retryAfterOf = (headers: Headers.Headers, nowMillis: number): number | undefined => {
  const value = Option.getOrUndefined(Headers.get(headers, "retry-after"))
  if (value === undefined) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds) && seconds >= 0) return seconds
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - nowMillis) / 1000))
}

const mapError = (operation: Operation, attempt: Deadline) => (error: RawError): Effect.Effect<never, AttemptError> => {
  if (error instanceof InvalidInputError) return Effect.fail(error)
  if (error instanceof WireBadRequest) return Effect.fail(new BadRequestError({ operation, serverMessage: error.message }))
  if (error instanceof WireAccessDenied) {
    return Effect.fail(
      new AccessDeniedError(error.message === undefined ? { operation } : { operation, serverMessage: error.message })
    )
  }
  if (error instanceof WireNotFound) return Effect.fail(new NotFoundError({ operation, serverMessage: error.message }))
  if (error instanceof WireInternalServerError) {
    return Effect.fail(new ServerError({ operation, serverMessage: error.message }))
  }
  if (error instanceof HttpApiError.HttpApiDecodeError) {
    return Effect.fail(new UnexpectedStatusError({ operation, status: 400, bodyExcerpt: excerpt(error.message) }))
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
            bodyExcerpt: excerpt(body),
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
  // Every endpoint declares 401: a gateway's page instead of `{"error":...}` is still access denied.
  if (status === 401) return Effect.fail(new AccessDeniedError({ operation }))
  if (status >= 300) return Effect.fail(new UnexpectedStatusError({ operation, status, bodyExcerpt: "(unreadable body)" }))
  return Effect.fail(new UnexpectedResponseError({ operation, status, problem: problemOf(error) }))
}

// ---------------------------------------------------------------------------------------------
// Retries

/** Whether an error of `operation` may be retried under its replay rule. */
export const isRetryable = (operation: Operation) => (error: AttemptError): boolean => {
  const replay = replayOf[operation]
  switch (error._tag) {
    case "TransportError":
      return !error.mayHaveReachedServer || replay === "idempotent"
    case "ServerError":
      return replay === "idempotent"
    case "UnexpectedStatusError":
      if (error.status === 408 || error.status === 429) return true
      return replay === "idempotent" && (error.status === 500 || error.status === 502 || error.status === 503 || error.status === 504)
    case "UnexpectedResponseError":
      return replay === "idempotent" && error.status < 300
    default:
      return false
  }
}

const retryAfter = (error: AttemptError): Option.Option<Duration.Duration> =>
  error._tag === "UnexpectedStatusError" && error.retryAfterSeconds !== undefined
    ? Option.some(Duration.seconds(error.retryAfterSeconds))
    : Option.none()

/**
 * The retry schedule: exponential from `baseDelay`, jittered, capped at `maxDelay`, at most
 * `times` retries, only for retryable errors. A `Retry-After` replaces the computed delay; one
 * longer than `maxDelay` is honoured by not retrying at all.
 */
export const retrySchedule = (policy: RetryPolicy, operation: Operation) =>
  Schedule.exponential(policy.baseDelay, 2).pipe(
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, policy.maxDelay)),
    Schedule.intersect(Schedule.recurs(policy.times)),
    Schedule.intersect(Schedule.identity<AttemptError>()),
    Schedule.whileInput((error: AttemptError) =>
      isRetryable(operation)(error) &&
      Option.match(retryAfter(error), {
        onNone: () => true,
        onSome: (d) => Duration.lessThanOrEqualTo(d, policy.maxDelay)
      })
    ),
    Schedule.modifyDelay(([, error], delay) => Option.getOrElse(retryAfter(error), () => delay))
  )

/**
 * `Effect.retry(schedule)` that costs nothing until it is needed: the effect runs once, and
 * only a failure that `retryable` accepts builds the schedule, which then sees that failure as
 * its first input, as it would under `Effect.retry`.
 */
export const retryAfterFailure = <E, Out, R2>(
  retryable: (error: E) => boolean,
  schedule: () => Schedule.Schedule<Out, E, R2>
) =>
<A, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | R2> =>
  Effect.catchAll(effect, (error) => {
    if (!retryable(error)) return Effect.fail(error)
    let replayed = false
    return Effect.retry(Effect.suspend(() => replayed ? effect : (replayed = true, Effect.fail(error))), schedule())
  })

// ---------------------------------------------------------------------------------------------
// The call

/** What {@link call} needs from the client layer. */
export interface CallContext {
  readonly settings: {
    readonly requestTimeout: Duration.Duration
    readonly retry: RetryPolicy
  }
  readonly deadlines: Deadlines
}

/**
 * Runs one operation: each attempt under a timeout, its errors mapped, retried under the
 * operation's replay rule, in a span named after the operation, with secret headers redacted.
 *
 * The first attempt runs without any retry machinery: a schedule is built only after a
 * retryable failure.
 */
export const call = <A, E extends RawError, R>(
  operation: Operation,
  context: CallContext,
  attempt: Effect.Effect<A, E, R>,
  options?: {
    /**
     * The answer when a replay finds nothing: the attempt before it may have done the work
     * (a delete whose response was lost). Without it, a replay's 404 is reported.
     */
    readonly onReplayNotFound?: () => A
  }
): Effect.Effect<A, Mapped<E>, Exclude<R, Scope.Scope | CurrentAttempt>> =>
  Effect.useSpan(`Glowmarkt.${operation}`, {
    kind: "client",
    attributes: { "glowmarkt.operation": operation, "glowmarkt.replay": replayOf[operation] },
    // A span's call-site stack trace costs an Error per call, and from here it would only
    // ever point at this line.
    captureStackTrace: false
  }, (span) => {
    const { deadlines, settings } = context
    let attempts = 0
    let mayHaveActed = false
    let lastStatus: number | undefined
    const timedOut = () =>
      new TransportError({
        operation,
        reason: "Timeout",
        mayHaveReachedServer: true,
        detail: `no answer within ${Duration.format(settings.requestTimeout)}`
      })
    const failed = (error: AttemptError): Effect.Effect<never, AttemptError> => {
      if (GlowmarktError.mayHaveActed(error)) mayHaveActed = true
      return Effect.fail(error)
    }
    const once = Effect.flatMap(Scope.make(), (scope) => {
      attempts++
      const deadline = deadlines.start(scope)
      return attempt.pipe(
        Effect.provide(Context.make(Scope.Scope, scope).pipe(Context.add(CurrentAttempt, deadline))),
        // Interrupted from outside: abort the request now.
        Effect.onInterrupt(() => Effect.suspend(() => (deadlines.finish(deadline), Scope.close(scope, Exit.void)))),
        Effect.matchCauseEffect({
          onSuccess: (value) => {
            deadlines.finish(deadline)
            lastStatus = deadline.status
            return Effect.succeed(value)
          },
          onFailure: (cause) => {
            const timeout = deadlines.finish(deadline)
            lastStatus = deadline.status
            const error = Cause.failureOption(cause)
            if (error._tag === "None") return Effect.failCause(cause as Cause.Cause<never>)
            return timeout ? failed(timedOut()) : Effect.flatMap(Effect.flip(mapError(operation, deadline)(error.value)), failed)
          }
        })
      )
    })
    return once.pipe(
      retryAfterFailure(
        (error) => settings.retry.times > 0 && isRetryable(operation)(error),
        () =>
          retrySchedule(settings.retry, operation).pipe(
            // Logged by the schedule, after it has read the clock and before it sleeps: a test
            // that waits for this line knows the time the delay is counted from.
            Schedule.tapInput((error: AttemptError) =>
              Effect.logDebug(`glowmarkt ${operation}: attempt ${attempts} failed (${error._tag})`)
            )
          )
      ),
      Effect.catchIf(
        (error) => error._tag === "NotFoundError" && mayHaveActed && options?.onReplayNotFound !== undefined,
        () => Effect.sync(options!.onReplayNotFound!)
      ),
      (effect) => effect as Effect.Effect<A, Mapped<E>, Exclude<R, Scope.Scope | CurrentAttempt>>,
      Effect.onExit((exit) =>
        Effect.sync(() => {
          span.attribute("glowmarkt.attempts", attempts)
          if (lastStatus !== undefined) span.attribute("http.response.status_code", lastStatus)
          span.attribute("glowmarkt.outcome", exit._tag === "Success" ? "success" : "failure")
        })
      ),
      Effect.locallyWith(Headers.currentRedactedNames, redactedNames),
      Effect.withParentSpan(span)
    )
  })
