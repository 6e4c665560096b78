/**
 * The errors of the command line, and how each one ends the process.
 *
 * - A usage error (a bad flag, a missing secret that cannot be prompted for) exits 2.
 * - An expected failure (the API refused, the network failed, a file could not be read) exits 1
 *   with one line, `error: <what failed and what to do>`.
 * - `--verbose` adds the error's tag and fields: never a secret, since the library's errors
 *   never hold one and the fields printed here are filtered by name as a second guard.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"

/**
 * A mistake in how the command was called: exits 2, after printing `help` when given.
 *
 * @since 0.1.0
 */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
  /** The command path whose help should be printed (e.g. `["users", "verify"]`). */
  readonly command?: ReadonlyArray<string> | undefined
}> {}

/**
 * A failure the command has already reported (e.g. a bulk import with failed records): exits
 * with `code` and prints nothing more.
 *
 * @since 0.1.0
 */
export class ExitCode extends Data.TaggedError("ExitCode")<{ readonly code: number }> {}

/**
 * A failure of the command itself (a step of the demo that did not go as expected): exits 1.
 *
 * @since 0.1.0
 */
export class CommandFailed extends Data.TaggedError("CommandFailed")<{ readonly message: string }> {}

const secretLike = /pass(word)?|secret|token|key|authorization|cookie|code/i

/**
 * The fields of an error worth showing under `--verbose`: scalars only, secrets never (a field
 * whose name looks like one is masked, whatever its value).
 *
 * @since 0.1.0
 */
export const describeFields = (error: unknown): string => {
  if (!Predicate.isObject(error)) return ""
  const parts: Array<string> = []
  for (const [key, value] of Object.entries(error)) {
    if (key === "_tag" || key === "message" || key === "stack" || key === "cause") continue
    if (key === "_id") continue
    if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") {
      parts.push(`${key}=${secretLike.test(key) && key !== "operation" ? "***" : JSON.stringify(value)}`)
    }
  }
  return parts.join(" ")
}

/**
 * What an expected error has to say: its `message` (the library's errors write one that says
 * what failed and what to do).
 *
 * @since 0.1.0
 */
export const messageOf = (error: unknown): string => {
  if (Predicate.isObject(error) && "message" in error && typeof error.message === "string" && error.message !== "") {
    return error.message
  }
  if (Predicate.isTagged(error, "QuitException")) return "cancelled"
  return String(error)
}

/** The tag of an error, if it has one. @since 0.1.0 */
export const tagOf = (error: unknown): Option.Option<string> =>
  Predicate.hasProperty(error, "_tag") && typeof error._tag === "string" ? Option.some(error._tag) : Option.none()

/**
 * The exit code and the lines to print for a failed run.
 *
 * @since 0.1.0
 */
export const report = (
  cause: Cause.Cause<unknown>,
  verbose: boolean
): { readonly code: number; readonly lines: ReadonlyArray<string> } => {
  if (Cause.isInterruptedOnly(cause)) return { code: 130, lines: ["error: interrupted"] }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) {
    const error = failure.value
    if (error instanceof ExitCode) return { code: error.code, lines: [] }
    const code = error instanceof UsageError || Predicate.isTagged(error, "QuitException") ? 2 : 1
    const lines = [`error: ${messageOf(error)}`]
    if (verbose) {
      const tag = tagOf(error)
      const fields = describeFields(error)
      lines.push(`  (${Option.getOrElse(tag, () => "Error")}${fields === "" ? "" : ` ${fields}`})`)
    }
    return { code, lines }
  }
  // A defect: a bug, not an expected failure. One line; the details only with --verbose.
  const defect = Cause.squash(cause)
  const lines = [`error: unexpected failure: ${messageOf(defect)} (rerun with --verbose for details)`]
  if (verbose) lines.push(Cause.pretty(cause))
  return { code: 1, lines }
}
