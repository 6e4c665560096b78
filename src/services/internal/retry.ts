/**
 * When a failed attempt is tried again: the operation's replay rule (`operations.ts`) decides
 * which failures may be replayed, and the schedule how long to wait.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { Operation } from "../../schema/GlowmarktError.js"
import type { RetryPolicy } from "../GlowmarktConfig.js"
import type { AttemptError } from "./edge.js"
import { policies } from "./operations.js"

/** Whether an error of `operation` may be retried under its replay rule. */
export const isRetryable = (operation: Operation) => (error: AttemptError): boolean => {
  const replay = policies[operation].replay
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

