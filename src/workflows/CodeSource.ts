/**
 * Where a flow gets the 4-digit code that Glowmarkt emails to a user.
 *
 * The code travels by email, outside the API, so a flow cannot fetch it: it waits for it from a
 * `CodeSource` it is given. Pick the source that matches where the person reading the email is:
 *
 * | constructor     | the code comes from                                                  |
 * |-----------------|----------------------------------------------------------------------|
 * | {@link makeRegistry} | the host application, which calls `submit(username, code)` when its user enters it |
 * | {@link prompt}  | an interactive question (an `@effect/cli` `Prompt`, a readline, ...) |
 * | {@link terminal} | the `@effect/platform` `Terminal`, a plain line read               |
 * | {@link fromEffect} | any effect the caller supplies                                   |
 * | `InboxCodeSource` (in `effect-glowmarkt/testing`) | the simulator's inbox            |
 *
 * Codes are handed over as `Redacted`: a code is a short-lived secret and never shows in a log,
 * an error or a span. Waiting is bounded by `CodeSource.await`'s timeout, which fails with the typed
 * {@link CodeNotReceivedError}.
 *
 * @since 0.1.0
 */
import * as Terminal from "@effect/platform/Terminal"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { InvalidInputError } from "../schema/GlowmarktError.js"
import { Username } from "../schema/Identifiers.js"
import { heldValue } from "../schema/internal/redacted.js"
import { decodeInput } from "../services/internal/input.js"
import { CodeNotReceivedError, type NotReceivedReason, type Purpose } from "./FlowError.js"

/**
 * What a flow asks a source for: the code sent to `username` (at `email`, when the flow knows
 * it) for `purpose`. `round` is the number of the code sent (it grows each time the flow had a
 * new code sent, so a prompt can say "a new code was sent"); `entry` counts every request of
 * the flow (it grows after a wrong code too, when the same code is asked for again).
 *
 * @category models
 * @since 0.1.0
 */
export interface CodeRequest {
  readonly username: string
  readonly email?: string | undefined
  readonly purpose: Purpose
  readonly round: number
  readonly entry?: number | undefined
}

/**
 * A source of emailed codes.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /**
   * Waits for the code of `request`, as long as it takes: the flow bounds the wait (see
   * `CodeSource.await`). Fails only when the source cannot deliver one (cancelled, broken).
   */
  readonly await: (request: CodeRequest) => Effect.Effect<Redacted.Redacted<string>, CodeNotReceivedError>
}

/**
 * The code source of the flows that need one.
 *
 * @category tags
 * @since 0.1.0
 */
export class CodeSource extends Context.Tag("effect-glowmarkt/workflows/CodeSource")<CodeSource, Service>() {}

/**
 * How long {@link await} waits by default: the flows' default (`CodePolicy.defaults`), the
 * code's lifetime on the server.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultTimeout: Duration.Duration = Duration.minutes(15)

/**
 * Waits for a code from the current source, at most `timeout`; on timeout it fails with
 * `CodeNotReceivedError` (reason `timeout`). Time is the `Clock`'s, so `TestClock` drives it.
 *
 * @since 0.1.0
 */
const await_: {
  (timeout: Duration.DurationInput): (request: CodeRequest) => Effect.Effect<Redacted.Redacted<string>, CodeNotReceivedError, CodeSource>
  (request: CodeRequest, timeout: Duration.DurationInput): Effect.Effect<Redacted.Redacted<string>, CodeNotReceivedError, CodeSource>
} = dual(2, (request: CodeRequest, timeout: Duration.DurationInput) => {
  const duration = Duration.decode(timeout)
  return Effect.flatMap(CodeSource, (source) => source.await(request)).pipe(
    Effect.timeoutFail({
      duration,
      onTimeout: () =>
        new CodeNotReceivedError({
          username: request.username,
          purpose: request.purpose,
          reason: "timeout",
          waitedMillis: Duration.toMillis(duration)
        })
    })
  )
})
export {
  /** @since 0.1.0 */
  await_ as await
}

// ---------------------------------------------------------------------------------------------
// Constructors

const asRedacted = (code: string | Redacted.Redacted<string>) =>
  Redacted.isRedacted(code) ? code : Redacted.make(code)

const isCodeNotReceivedError = (u: unknown): u is CodeNotReceivedError => u instanceof CodeNotReceivedError

const describe = (error: unknown): string =>
  typeof error === "object" && error !== null && "_tag" in error && typeof error._tag === "string"
    ? error._tag
    : "the source failed"

/**
 * A source from any effect: `f` is called for each request and its result is the code. A
 * failure becomes `CodeNotReceivedError` (reason `unavailable`, with only the error's tag kept, so
 * nothing secret leaks); a `CodeNotReceivedError` passes through.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromEffect = <E>(
  f: (request: CodeRequest) => Effect.Effect<string | Redacted.Redacted<string>, E>
): Service => ({
  await: (request) =>
    f(request).pipe(
      Effect.map(asRedacted),
      Effect.mapError((error) =>
        isCodeNotReceivedError(error)
          ? error
          : new CodeNotReceivedError({
            username: request.username,
            purpose: request.purpose,
            reason: "unavailable",
            detail: describe(error)
          })
      )
    )
})

/**
 * {@link fromEffect} as a layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerFromEffect = <E>(
  f: (request: CodeRequest) => Effect.Effect<string | Redacted.Redacted<string>, E>
): Layer.Layer<CodeSource> => Layer.succeed(CodeSource, fromEffect(f))

const wellFormed = (code: Redacted.Redacted<string>) => {
  const value: unknown = Redacted.value(code)
  return typeof value === "string" && /^[0-9]{4}$/.test(value.trim())
}

/**
 * Options of {@link prompt}.
 *
 * @category models
 * @since 0.1.0
 */
export interface PromptOptions {
  /** How often to ask again when the answer is not 4 digits, before giving up (default 3). */
  readonly attempts?: number | undefined
  /** Whether a failure of `ask` means the person cancelled (default: `true`, as a prompt fails on Ctrl-C). */
  readonly failureIsCancel?: boolean | undefined
}

/**
 * An interactive source: `ask` puts the question to a person and returns their answer (an
 * `@effect/cli` `Prompt.text`/`Prompt.password`, a readline, ...). An answer that is not 4
 * digits is asked again (it never reaches the API, so it costs no attempt on the server). The
 * requirements of `ask` (a `Terminal`, ...) are captured when the source is made.
 *
 * ```ts
 * const source = CodeSource.prompt((req) =>
 *   Prompt.password({ message: `Code emailed to ${req.email ?? req.username}` })
 * )
 * ```
 *
 * @category constructors
 * @since 0.1.0
 */
export const prompt = <E, R>(
  ask: (request: CodeRequest) => Effect.Effect<string | Redacted.Redacted<string>, E, R>,
  options?: PromptOptions
): Effect.Effect<Service, never, R> =>
  Effect.map(Effect.context<R>(), (context) => {
    const attempts = Math.max(1, options?.attempts ?? 3)
    const failureIsCancel = options?.failureIsCancel ?? true
    return {
      await: (request) => {
        const notReceived = (reason: NotReceivedReason, detail?: string) =>
          new CodeNotReceivedError({
            username: request.username,
            purpose: request.purpose,
            reason,
            ...(detail === undefined ? {} : { detail })
          })
        const loop = (left: number): Effect.Effect<Redacted.Redacted<string>, CodeNotReceivedError, R> =>
          ask(request).pipe(
            Effect.mapError((error) =>
              isCodeNotReceivedError(error)
                ? error
                : failureIsCancel
                ? notReceived("cancelled")
                : notReceived("unavailable", describe(error))
            ),
            Effect.map(asRedacted),
            Effect.flatMap((code) =>
              wellFormed(code)
                ? Effect.succeed(code)
                : left > 1
                ? loop(left - 1)
                : Effect.fail(notReceived("unavailable", `no 4-digit code after ${attempts} answers`))
            )
          )
        return Effect.provide(loop(attempts), context)
      }
    }
  })

/**
 * {@link prompt} as a layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerPrompt = <E, R>(
  ask: (request: CodeRequest) => Effect.Effect<string | Redacted.Redacted<string>, E, R>,
  options?: PromptOptions
): Layer.Layer<CodeSource, never, R> => Layer.effect(CodeSource, prompt(ask, options))

/**
 * Fails when the process's standard input ends (Ctrl-D, a closed pipe, `< /dev/null`): the node
 * `Terminal`'s `readLine` never answers then, and a flow would wait for its whole code timeout.
 * Never fails off node (no `process.stdin`).
 */
const endOfInput: Effect.Effect<never, Terminal.QuitException> = Effect.async((resume) => {
  const stdin = (globalThis as { process?: { stdin?: NodeJS.ReadStream } }).process?.stdin
  if (stdin === undefined) return
  const onEnd = () => resume(Effect.fail(new Terminal.QuitException()))
  if (stdin.readableEnded || stdin.destroyed) return onEnd()
  stdin.once("end", onEnd)
  stdin.once("close", onEnd)
  return Effect.sync(() => {
    stdin.off("end", onEnd)
    stdin.off("close", onEnd)
  })
})

/**
 * A plain prompt on the `@effect/platform` `Terminal`: writes a question, reads a line. Ctrl-C
 * or Ctrl-D, or the end of standard input, cancel at once (`CodeNotReceivedError`, reason
 * `cancelled`). The answer is echoed, as a
 * one-time code usually is; use {@link prompt} with `Prompt.password` to hide it.
 *
 * @category constructors
 * @since 0.1.0
 */
export const terminal: Effect.Effect<Service, never, Terminal.Terminal> = Effect.flatMap(
  Terminal.Terminal,
  (term) =>
    prompt((request) =>
      term.display(
        `${request.round > 1 ? "A new code was sent. " : ""}Enter the 4-digit ${
          request.purpose === "verification" ? "verification" : "password-reset"
        } code emailed to ${request.email ?? request.username}: `
      ).pipe(Effect.zipRight(Effect.raceFirst(term.readLine, endOfInput)))
    )
)

/**
 * {@link terminal} as a layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTerminal: Layer.Layer<CodeSource, never, Terminal.Terminal> = Layer.effect(CodeSource, terminal)

// ---------------------------------------------------------------------------------------------
// The registry: a backend's source

/**
 * A source that the host application feeds: its flows wait in `source`, and when the person
 * enters the code (in a web form, an app, ...) the host calls `submit`.
 *
 * @category models
 * @since 0.1.0
 */
export interface Registry {
  /** The source to give the flows. */
  readonly source: Service
  /**
   * Hands a code to the flow waiting for `username` (trimmed, lowercase). A code submitted
   * while no flow waits is kept (only the latest per username) for the next wait. Fails with
   * `InvalidInputError` if the code is not 4 digits or the username is not one (empty, with
   * control characters, longer than 256 characters, not a string), so the host can tell its
   * user at once.
   */
  readonly submit: (
    username: string,
    code: string | Redacted.Redacted<string>
  ) => Effect.Effect<void, InvalidInputError>
  /** The usernames a flow is waiting for right now: a host can show "enter your code". */
  readonly waiting: Effect.Effect<ReadonlyArray<string>>
}

interface Slot {
  readonly deferred: Deferred.Deferred<Redacted.Redacted<string>>
  waiters: number
}

const normalise = (username: string) => username.trim().toLowerCase()

const SubmitInput = Schema.Struct({ username: Username })

/**
 * Makes a {@link Registry}. It holds one slot per username with a flow waiting or a code not
 * yet taken; a slot goes away when its code is taken, so it does not grow with the number of
 * users served.
 *
 * @category constructors
 * @since 0.1.0
 */
export const makeRegistry: Effect.Effect<Registry> = Effect.gen(function*() {
  const slots = yield* SynchronizedRef.make(new Map<string, Slot>())

  const slotFor = (key: string) =>
    SynchronizedRef.modifyEffect(slots, (map) => {
      const existing = map.get(key)
      if (existing !== undefined) return Effect.succeed([existing, map] as const)
      return Effect.map(Deferred.make<Redacted.Redacted<string>>(), (deferred) => {
        const slot: Slot = { deferred, waiters: 0 }
        map.set(key, slot)
        return [slot, map] as const
      })
    })

  const release = (key: string, slot: Slot, taken: boolean) =>
    SynchronizedRef.updateEffect(slots, (map) =>
      Effect.map(Deferred.isDone(slot.deferred), (done) => {
        slot.waiters--
        // Taken: the code is used up. Abandoned before any code came: nothing worth keeping.
        // A code that came as its waiter gave up stays, for the next wait.
        if (map.get(key) === slot && (taken || (slot.waiters === 0 && !done))) map.delete(key)
        return map
      }))

  const source: Service = {
    await: (request) => {
      const key = normalise(request.username)
      return Effect.acquireUseRelease(
        Effect.tap(slotFor(key), (slot) => Effect.sync(() => slot.waiters++)),
        (slot) => Deferred.await(slot.deferred),
        (slot, exit) => release(key, slot, exit._tag === "Success")
      )
    }
  }

  const submit = (username: string, code: string | Redacted.Redacted<string>) =>
    Effect.gen(function*() {
      // Checked at run time too: the host passes what its user typed, from untyped code.
      const key: string = (yield* decodeInput("submitCode", SubmitInput, { username })).username
      const given: unknown = Redacted.isRedacted(code) ? heldValue(code as Redacted.Redacted<unknown>) : code
      if (typeof given !== "string" || !/^[0-9]{4}$/.test(given.trim())) {
        return yield* new InvalidInputError({ operation: "submitCode", field: "code", problem: "must be exactly 4 digits" })
      }
      const trimmed = Redacted.make(given.trim())
      yield* SynchronizedRef.updateEffect(slots, (map) =>
        Effect.gen(function*() {
          const current = map.get(key)
          if (current !== undefined && !(yield* Deferred.isDone(current.deferred))) {
            yield* Deferred.succeed(current.deferred, trimmed)
            return map
          }
          // No open slot, or one holding a code nobody took yet: the latest code wins.
          const deferred = yield* Deferred.make<Redacted.Redacted<string>>()
          yield* Deferred.succeed(deferred, trimmed)
          map.set(key, { deferred, waiters: 0 })
          return map
        }))
    })

  const waiting = Effect.map(
    SynchronizedRef.get(slots),
    (map) => [...map.entries()].filter(([, slot]) => slot.waiters > 0).map(([key]) => key)
  )

  return { source, submit, waiting }
})

/**
 * The registry of a host application, for the code that calls `submit`.
 *
 * @category tags
 * @since 0.1.0
 */
export class CodeRegistry extends Context.Tag("effect-glowmarkt/workflows/CodeRegistry")<CodeRegistry, Registry>() {}

/**
 * A fresh registry: its source as the `CodeSource` of the flows, and the registry itself as
 * `CodeRegistry` for the request handler that receives the codes.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerRegistry: Layer.Layer<CodeSource | CodeRegistry> = Layer.effectContext(
  Effect.map(makeRegistry, (registry) =>
    Context.make(CodeRegistry, registry).pipe(Context.add(CodeSource, registry.source)))
)

/**
 * Any source as the `CodeSource`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (service: Service): Layer.Layer<CodeSource> => Layer.succeed(CodeSource, service)
