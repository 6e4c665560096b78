/**
 * Waiting on a condition instead of on time: the event loop turns (so loopback I/O progresses)
 * and no clock moves, so a test waits exactly as long as the condition takes, loaded machine or
 * not.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** One turn of the event loop. */
export const tick = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/** Waits until `condition` yields `Some`, turning the event loop in between (bounded, then a defect naming `what`). */
export const waitFor = <A, E, R>(what: string, condition: Effect.Effect<Option.Option<A>, E, R>) =>
  Effect.gen(function*() {
    for (let i = 0; i < 50_000; i++) {
      const value = yield* condition
      if (Option.isSome(value)) return value.value
      yield* tick
    }
    return yield* Effect.dieMessage(`never happened: ${what}`)
  })
