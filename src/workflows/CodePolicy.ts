/**
 * How patient a flow is with the emailed code: one policy for both engines (the in-memory
 * `Onboarding` flows and the durable ones).
 *
 * | event | what the flow does |
 * |---|---|
 * | no code within `codeTimeout` | requests a new code, while fewer than `maxCodes` were sent; then `CodeNotReceivedError` (`timeout`) |
 * | a wrong code (`CodeRejectedError`, `wrong`), or an entry that is not 4 digits | waits for another entry of the same code (it is still valid, no new email); the `maxWrongCodes`-th ends the flow with `TooManyWrongCodesError` |
 * | a void code (`expired`, `tooManyAttempts`, `noPendingCode`) | requests a new code, while fewer than `maxCodes` were sent; then `CodeNotReceivedError` (`expired`) |
 *
 * A durable flow copies its policy into its payload when it starts, so a replay decides with
 * the policy it started with, whatever the configuration of the process replaying it.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidConfigError } from "../schema/GlowmarktError.js"

/**
 * The policy, as stored.
 *
 * @category models
 * @since 0.1.0
 */
export const CodePolicy = Schema.Struct({
  /** How long one wait for a code lasts. */
  codeTimeoutMillis: Schema.Int.pipe(Schema.positive()),
  /** How many codes may be sent in all, the first included. */
  maxCodes: Schema.Int.pipe(Schema.positive()),
  /** How many wrong entries end the flow. */
  maxWrongCodes: Schema.Int.pipe(Schema.positive())
})
/** @category models @since 0.1.0 */
export type CodePolicy = typeof CodePolicy.Type

/**
 * The policy as a caller gives it; every field has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** How long to wait for each code (default 15 minutes: the code's lifetime on the server). */
  readonly codeTimeout?: Duration.DurationInput | undefined
  /** How many codes may be sent in all, the first included (default 3). */
  readonly maxCodes?: number | undefined
  /** How many wrong entries end the flow (default 5: the server voids a code at its 5th). */
  readonly maxWrongCodes?: number | undefined
}

/**
 * The defaults.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaults = {
  codeTimeout: Duration.minutes(15),
  maxCodes: 3,
  maxWrongCodes: 5
} as const

/**
 * The policy of `options`, or an `InvalidConfigError` that names the setting.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options | undefined): Effect.Effect<CodePolicy, InvalidConfigError> => {
  // Only a missing value takes the default: a `null` from untyped JavaScript is refused.
  const or = <A>(value: A | undefined, fallback: A) => value === undefined ? fallback : value
  const timeout = Duration.decodeUnknown(or(options?.codeTimeout, defaults.codeTimeout))
  const raw = {
    codeTimeoutMillis: Option.isSome(timeout) && Duration.isFinite(timeout.value)
      ? Math.ceil(Duration.toMillis(timeout.value))
      : -1,
    maxCodes: or(options?.maxCodes, defaults.maxCodes),
    maxWrongCodes: or(options?.maxWrongCodes, defaults.maxWrongCodes)
  }
  return Schema.decodeUnknown(CodePolicy)(raw).pipe(
    Effect.mapError((e) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      const field = issue?.path.join(".") ?? "policy"
      return new InvalidConfigError({
        setting: field === "codeTimeoutMillis" ? "codeTimeout" : field,
        problem: field === "codeTimeoutMillis" ? "must be a positive, finite duration" : "must be a positive integer"
      })
    })
  )
}
