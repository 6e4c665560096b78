/**
 * One call: each attempt in a scope of its own under the layer's deadline, its failure mapped at
 * the service edge (`edge.ts`), retried under the operation's replay rule (`retry.ts`), in a
 * span named after the operation, with secret headers redacted.
 *
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as FiberId from "effect/FiberId"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import type { Predicate } from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as Tracer from "effect/Tracer"
import * as GlowmarktError from "../../schema/GlowmarktError.js"
import { TransportError } from "../../schema/GlowmarktError.js"
import type { OperationId } from "../../schema/GlowmarktApi.js"
import { sensitiveHeaders } from "../Credentials.js"
import type { RetryPolicy } from "../GlowmarktConfig.js"
import { RequestAbort } from "../../transport/UndiciHttpClient.js"
import { type Deadline, type Deadlines, release, settled } from "./deadlines.js"
import { type AttemptError, type Mapped, mapError, type RawError, type Subject } from "./edge.js"
import { policies } from "./operations.js"
import { isRetryable, retryAfterFailure, retrySchedule } from "./retry.js"

// ---------------------------------------------------------------------------------------------
// The attempt in flight: its scope (the request is aborted when it closes), its deadline, and the
// status and request of its response, for the errors that the derived client reports without
// them (a body that failed to decode; server text to redact).

/** The current attempt's deadline. Provided by {@link call} to the derived client's requests. */
export class CurrentAttempt extends Context.Tag("effect-glowmarkt/internal/CurrentAttempt")<CurrentAttempt, Deadline>() {}

/**
 * Records the status and request of a response into the current attempt, if any (the lean
 * client calls it with each response, `lean.ts`).
 */
export const recordResponse = (response: HttpClientResponse.HttpClientResponse, context: Context.Context<never>): void => {
  const attempt = Context.getOption(context, CurrentAttempt)
  if (attempt._tag === "Some") {
    attempt.value.status = response.status
    attempt.value.request = response.request
  }
}

/** The tracer a fiber has when none was installed: its spans are seen by nobody. */
const nativeTracer = Effect.runSync(Effect.tracer)

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

const always = () => true

/**
 * Drops the request from a finished attempt's deadline: the deadline stays in the watcher's
 * queue until the watcher next wakes (up to the request timeout later), and with it the request
 * (headers, body) would live that long, promoted to the old generation under load.
 */
const forget = (deadline: Deadline): void => {
  deadline.request = undefined
}

/**
 * What an attempt runs under, set in one update of the fiber's refs and put back in one:
 *
 * - the context the client layer was built in, under the caller's (as `HttpApiClient` merges
 *   it), and the attempt's scope and deadline added to it (`withScope` aborts the request when the
 *   scope closes; on `UndiciHttpClient` the request hands its abort to the deadline, as
 *   `RequestAbort`; the lean client records the response into the deadline);
 * - the library's sensitive header names added to `Headers.currentRedactedNames`, so that a
 *   caller's own `HttpClient` middleware that prints headers prints them redacted;
 * - the platform's client span disabled (`HttpClient.currentTracerDisabledWhen`): it would end
 *   with the request, body and headers, in its exit. Each operation has its own span instead.
 *
 * Why not `Effect.provide` + two `Effect.locallyWith`: each of those is an `acquireUseRelease`
 * and two copies of the fiber's refs (`FiberRefs` are immutable: every set copies their map),
 * six per attempt where this makes two; they were a third of what the library allocated per
 * call beyond the bare `HttpClient` (BENCHMARKS.md, "The lean client").
 */
const enterAttempt = (scope: Scope.CloseableScope, deadline: Deadline, built: Context.Context<never>) => {
  let saved: readonly [Context.Context<never>, ReadonlyArray<string | RegExp>, Predicate<any>] | undefined
  const set = (
    id: FiberId.Single,
    refs: FiberRefs.FiberRefs,
    context: Context.Context<never>,
    names: ReadonlyArray<string | RegExp>,
    disabled: Predicate<any>
  ) =>
    FiberRefs.updateManyAs(refs, {
      entries: [
        [FiberRef.currentContext, [[id, context]]],
        [Headers.currentRedactedNames, [[id, names]]],
        [HttpClient.currentTracerDisabledWhen, [[id, disabled]]]
      ]
    })
  return {
    enter: (id: FiberId.Single, refs: FiberRefs.FiberRefs): FiberRefs.FiberRefs => {
      const context = FiberRefs.getOrDefault(refs, FiberRef.currentContext)
      const names = FiberRefs.getOrDefault(refs, Headers.currentRedactedNames)
      saved = [context, names, FiberRefs.getOrDefault(refs, HttpClient.currentTracerDisabledWhen)]
      return set(
        id,
        refs,
        Context.add(Context.add(Context.add(Context.merge(built, context), Scope.Scope, scope), CurrentAttempt, deadline), RequestAbort, deadline),
        redactedNames(names),
        always
      )
    },
    leave: (id: FiberId.Single, refs: FiberRefs.FiberRefs): FiberRefs.FiberRefs =>
      saved === undefined ? refs : set(id, refs, ...saved)
  }
}

// ---------------------------------------------------------------------------------------------
// The call

/** What {@link call} needs from the client layer. */
export interface CallContext {
  readonly settings: {
    readonly requestTimeout: Duration.Duration
    readonly retry: RetryPolicy
  }
  readonly deadlines: Deadlines
  /** The context the client layer was built in: under every attempt's (the caller's wins). */
  readonly built: Context.Context<never>
}

/**
 * Runs one operation: each attempt under a timeout, its errors mapped, retried under the
 * operation's replay rule, in a span named after the operation, with secret headers redacted.
 *
 * The first attempt runs without any retry machinery: a schedule is built only after a
 * retryable failure.
 */
export const call = <Op extends OperationId, A, E extends RawError, R>(
  operation: Op,
  context: CallContext,
  attempt: Effect.Effect<A, E, R>,
  options?: {
    /**
     * The answer when a replay finds nothing: the attempt before it may have done the work
     * (a delete whose response was lost). Without it, a replay's 404 is reported.
     */
    readonly onReplayNotFound?: () => A
    /** Who the call is about, for the errors that name them (`UsernameTakenError`, ...). */
    readonly subject?: Subject
  }
): Effect.Effect<A, Mapped<Op, E>, Exclude<R, Scope.Scope | CurrentAttempt>> => {
  return Effect.tracerWith((tracer) =>
    tracer === nativeTracer
      // Nobody can observe a span of the default tracer: it would cost a span object and its
      // attributes per call for nothing (BENCHMARKS.md). With a tracer installed, every span
      // and attribute is there (test/client-redaction.test.ts).
      ? run(undefined)
      : Effect.useSpan(`Glowmarkt.${operation}`, {
        kind: "client",
        attributes: { "glowmarkt.operation": operation, "glowmarkt.replay": policies[operation].replay },
        // A span's call-site stack trace costs an Error per call, and from here it would only
        // ever point at this line.
        captureStackTrace: false
      }, run)
  )
  function run(span: Tracer.Span | undefined): Effect.Effect<A, Mapped<Op, E>, Exclude<R, Scope.Scope | CurrentAttempt>> {
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
    const once = Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Scope.make(), (scope) => {
        attempts++
        const deadline = deadlines.start(scope)
        const refs = enterAttempt(scope, deadline, context.built)
        return Effect.zipRight(
          Effect.updateFiberRefs(refs.enter),
          Effect.matchCauseEffect(restore(attempt), {
            onSuccess: (value) => {
              deadlines.finish(deadline)
              lastStatus = deadline.status
              forget(deadline)
              settled(deadline)
              return Effect.as(Effect.updateFiberRefs(refs.leave), value)
            },
            onFailure: (cause) => {
              const timeout = deadlines.finish(deadline)
              lastStatus = deadline.status
              const error = Cause.failureOption(cause)
              // The mapping reads the attempt's request now (to redact its secrets), not later.
              // It may read the rest of an error's body (`edge.ts`, up to 2 s): once it is done or
              // interrupted, the scope is closed, so that a body that never ends does not keep
              // its connection open after the call.
              const next = error._tag === "Some"
                ? Effect.ensuring(
                  restore(
                    timeout ? failed(timedOut()) : Effect.flatMap(Effect.flip(mapError(operation, deadline, options?.subject)(error.value)), failed)
                  ),
                  release(deadline, scope)
                )
                // Interrupted from outside, or a defect (e.g. in a caller's `HttpClient`): abort
                // the request now.
                : Effect.zipRight(release(deadline, scope), Effect.failCause(cause as Cause.Cause<never>))
              forget(deadline)
              return Effect.zipRight(Effect.updateFiberRefs(refs.leave), next)
            }
          })
        )
      })
    )
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
      (effect) =>
        options?.onReplayNotFound === undefined ? effect : Effect.catchIf(
          effect,
          (error) => error._tag === "NotFoundError" && mayHaveActed,
          () => Effect.sync(options.onReplayNotFound!)
        ),
      (effect) => effect as Effect.Effect<A, Mapped<Op, E>, Exclude<R, Scope.Scope | CurrentAttempt>>,
      (effect) =>
        span === undefined ? effect : effect.pipe(
          Effect.onExit((exit) =>
            Effect.sync(() => {
              span.attribute("glowmarkt.attempts", attempts)
              if (lastStatus !== undefined) span.attribute("http.response.status_code", lastStatus)
              span.attribute("glowmarkt.outcome", exit._tag === "Success" ? "success" : "failure")
            })
          ),
          Effect.withParentSpan(span)
        )
    )
  }
}
