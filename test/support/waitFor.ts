/**
 * Waiting on a condition instead of on time: the event loop turns (so loopback I/O progresses)
 * and no clock moves, so a test waits exactly as long as the condition takes, loaded machine or
 * not.
 */
import * as Context from "effect/Context"
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

/**
 * Waits until `condition` yields `Some`, turning the event loop in between, for at most 60
 * seconds: for the durable engines, which work on their own (real) poll intervals, so a wait on
 * them is bounded by time, not by turns.
 */
export const until = <A, E, R>(what: string, condition: Effect.Effect<Option.Option<A>, E, R>) =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* condition
      if (Option.isSome(value)) return value.value
      yield* tick
    }
  }).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`never happened: ${what}`) }))

/**
 * Runs `self` where the service of `tag` is not: what a durable engine's fibers run with comes
 * from the context the layers are built in, and the engine lets that context win over the layer's.
 */
export const without = (tag: Context.Tag<any, any>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(self, (context: Context.Context<R>) => Context.omit(tag)(context) as Context.Context<R>)
