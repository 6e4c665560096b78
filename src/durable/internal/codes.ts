/**
 * The durable wait for an emailed code, shared by both flows.
 *
 * Each wait `n` of a flow is one `DurableDeferred`, completed by whichever comes first: the
 * host submitting a code (`DurableDeferred.done`), or a `DurableClock` wake-up after the
 * timeout. The deferred is given the clock's own deferred name, so the engine's clock
 * completes it (with `undefined`: "expired") and no in-memory race is needed: the first
 * completion is the one persisted, the second is ignored by both engines. The outcome is read
 * back on every replay, so a flow decides the same way whatever process runs it.
 *
 * @internal
 */
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import type * as Workflow from "@effect/workflow/Workflow"
import { WorkflowEngine, WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"

/** A submitted code, or `undefined` when the wait expired. */
export const CodeOutcome = Schema.Union(Schema.Undefined, Schema.Struct({ code: Schema.String }))
export type CodeOutcome = typeof CodeOutcome.Type

const clockName = (wait: number) => `code-${wait}`

/** The deferred of wait `wait` (1-based). */
export const codeDeferred = (wait: number) =>
  DurableDeferred.make(DurableClock.make({ name: clockName(wait), duration: Duration.zero }).deferred.name, {
    success: CodeOutcome
  })

/** Waits durably for the code of wait `wait`, at most `timeout`. Suspends the workflow meanwhile. */
export const awaitCode = (wait: number, timeout: Duration.DurationInput) =>
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine
    const instance = yield* WorkflowInstance
    const deferred = codeDeferred(wait)
    const done = yield* engine.deferredResult(deferred)
    if (done === undefined) {
      // Scheduling twice (on a replay before the clock fired) is harmless: both engines key the
      // clock by its name.
      yield* engine.scheduleClock(instance.workflow, {
        executionId: instance.executionId,
        clock: DurableClock.make({ name: clockName(wait), duration: timeout })
      })
    }
    return yield* DurableDeferred.await(deferred)
  })

/** Upper bound on the waits a submitter probes: far above any sensible configuration. */
export const maxWaits = 256

/** Reads wait `wait` of an execution from outside the workflow. */
export const readWait = (workflow: Workflow.Any, executionId: string, wait: number) =>
  Effect.gen(function*() {
    const engine = yield* WorkflowEngine
    const exit = yield* engine.deferredResult(codeDeferred(wait)).pipe(
      Effect.provideService(WorkflowInstance, WorkflowInstance.initial(workflow, executionId))
    )
    if (exit === undefined) return { _tag: "Open" } as const
    if (exit._tag === "Failure") return { _tag: "Expired" } as const
    return exit.value === undefined ? { _tag: "Expired" } as const : { _tag: "Submitted" } as const
  })

/** The waits of an execution so far: how many got a code, how many expired, the first open one. */
export const scanWaits = (workflow: Workflow.Any, executionId: string) =>
  Effect.gen(function*() {
    let submitted = 0
    let expired = 0
    for (let wait = 1; wait <= maxWaits; wait++) {
      const state = yield* readWait(workflow, executionId, wait)
      if (state._tag === "Open") return { open: wait, submitted, expired }
      if (state._tag === "Submitted") submitted++
      else expired++
    }
    return { open: maxWaits + 1, submitted, expired }
  })

/** Completes wait `wait` of an execution with a code (ignored if the wait is already over). */
export const submitToWait = (workflow: Workflow.Any, executionId: string, wait: number, code: string) =>
  Effect.gen(function*() {
    const deferred = codeDeferred(wait)
    const token = DurableDeferred.tokenFromExecutionId(deferred, { workflow, executionId })
    yield* DurableDeferred.succeed(deferred, { token, value: { code } })
  })
