/**
 * The checks of a caller's input, before anything is sent: a value that does not decode is an
 * `InvalidInputError` that names the field and never quotes the value (it may be a secret).
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Schema from "effect/Schema"
import type { ParseOptions } from "effect/SchemaAST"
import { InvalidInputError } from "../../schema/GlowmarktError.js"
import { AdminAuth, check } from "../Credentials.js"

/** A schema message without the value it quotes. */
export const safeIssue = (message: string): string => {
  // Schema's messages quote the value they were given ("..., actual \"hunter2\""): cut it off,
  // the value may be a secret.
  const cut = message.indexOf(", actual ")
  const head = cut === -1 ? message : message.slice(0, cut)
  return head.split("\n")[0]!.replace(/^Expected /, "expected ")
}

/** A caller's input that did not decode, as an `InvalidInputError`: the field, never the value. */
const invalidInput = (operation: string, problem: ParseResult.ParseIssue): InvalidInputError => {
  const [issue] = ParseResult.ArrayFormatter.formatIssueSync(problem)
  return new InvalidInputError({
    operation,
    field: issue === undefined || issue.path.length === 0 ? "input" : issue.path.join("."),
    problem: issue === undefined ? "is invalid" : safeIssue(issue.message)
  })
}

/** The first issue is enough to name the field; keys the schema does not declare are dropped. */
const inputOptions: ParseOptions = { errors: "first", onExcessProperty: "ignore" }

/**
 * Decodes a caller's input, or fails with an `InvalidInputError` that names the field.
 *
 * An `Either` (an `Effect` too: `yield*` and the combinators take it), not an `Effect`: every
 * input schema is synchronous, and the `Effect` of `Schema.decodeUnknown` with its `mapError`
 * cost getById 13 of its 79 µs back to back (BENCHMARKS.md, "The input check and the secrets'
 * schemas").
 */
export const decodeInput = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I>,
  input: unknown
): Either.Either<A, InvalidInputError> =>
  Either.mapLeft(ParseResult.decodeUnknownEither(schema, inputOptions)(input), (issue) => invalidInput(operation, issue))

/**
 * A value the caller may leave out when the settings hold a default (`applicationId`,
 * `directoryId`); missing from both, it is an `InvalidInputError` that names the setting.
 */
export const orConfigured = <A>(
  operation: string,
  field: "applicationId" | "directoryId",
  value: A | undefined,
  fallback: Option.Option<A>
): Effect.Effect<A, InvalidInputError> =>
  value !== undefined ? Effect.succeed(value) : Option.match(fallback, {
    onNone: () =>
      Effect.fail(
        new InvalidInputError({
          operation,
          field,
          problem: `is required: pass it, or configure a default ${field} (GLOWMARKT_${
            field === "applicationId" ? "APPLICATION_ID" : "DIRECTORY_ID"
          })`
        })
      ),
    onSome: Effect.succeed
  })

/**
 * Runs an admin call with the credential in context once it is checked (see
 * `Credentials.check`): one built by hand or passed from untyped code (an `Either` instead of
 * the credential inside it, a plain-string secret, ...) is an `InvalidInputError` naming the
 * credential's field, and nothing is sent. A credential from the constructors is checked once.
 */
export const withCheckedAdmin = (operation: string) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | InvalidInputError, R | AdminAuth> =>
  Effect.flatMap(AdminAuth, (credential): Effect.Effect<A, E | InvalidInputError, Exclude<R, AdminAuth>> => {
    const result = check(credential)
    return Either.isLeft(result)
      ? Effect.fail(
        new InvalidInputError({ operation, field: `credential.${result.left.setting}`, problem: result.left.problem })
      )
      // The credential in context is the checked one (the constructors return checked values):
      // providing it again would cost a copy of the fiber's refs, twice, per call.
      : result.right === credential
      ? self as Effect.Effect<A, E, Exclude<R, AdminAuth>>
      : Effect.provideService(self, AdminAuth, result.right)
  })

/**
 * An option that is a duration (`"10 minutes"`, a number of milliseconds, a `Duration`): the
 * default when it is `undefined`, an `InvalidInputError` naming it when it is anything but a
 * finite, non-negative duration (`Duration.decode` would throw).
 */
export const durationOption = (
  operation: string,
  field: string,
  value: unknown,
  fallback: Duration.DurationInput
): Effect.Effect<Duration.Duration, InvalidInputError> => {
  const decoded = Duration.decodeUnknown(value === undefined ? fallback : value)
  return Option.isSome(decoded) && Duration.isFinite(decoded.value) &&
      Duration.greaterThanOrEqualTo(decoded.value, Duration.zero)
    ? Effect.succeed(decoded.value)
    : Effect.fail(new InvalidInputError({ operation, field, problem: "must be a finite, non-negative duration" }))
}

/**
 * An option that counts something (rounds, attempts): the default when it is `undefined`, at
 * least 1, and an `InvalidInputError` naming it when it is not a number.
 */
export const countOption = (
  operation: string,
  field: string,
  value: unknown,
  fallback: number
): Effect.Effect<number, InvalidInputError> =>
  value === undefined
    ? Effect.succeed(Math.max(1, fallback))
    : typeof value === "number" && !Number.isNaN(value)
    ? Effect.succeed(Math.max(1, value))
    : Effect.fail(new InvalidInputError({ operation, field, problem: "must be a number" }))
