/**
 * Where the command line gets secrets: from the environment, or from a hidden prompt when a
 * person is at a terminal. Never from a flag (flags show in `ps` and in shell history), and
 * never echoed. Without a terminal a missing secret fails at once, naming its variable, rather
 * than waiting for input that will not come.
 *
 * @since 0.1.0
 */
import * as Prompt from "@effect/cli/Prompt"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { UsageError } from "./errors.js"

/**
 * Whether a person can answer a prompt: stdin is a terminal.
 *
 * @since 0.1.0
 */
export const canPrompt: Effect.Effect<boolean> = Effect.sync(() => process.stdin.isTTY === true)

/**
 * A secret from the environment variable `env`, else from a hidden prompt, else a usage error
 * that names the variable.
 *
 * @since 0.1.0
 */
export const secret = (options: {
  /** The environment variable, e.g. `GLOWMARKT_PASSWORD`. */
  readonly env: string
  /** What the secret is, for the prompt and the error (e.g. "the user's password"). */
  readonly what: string
  /** The command path, for the help printed with the usage error. */
  readonly command?: ReadonlyArray<string> | undefined
}): Effect.Effect<Redacted.Redacted<string>, UsageError, Prompt.Prompt.Environment> =>
  Effect.gen(function*() {
    const fromEnv = yield* Config.option(Config.redacted(options.env)).pipe(Effect.orElseSucceed(() => Option.none()))
    if (Option.isSome(fromEnv) && Redacted.value(fromEnv.value) !== "") return fromEnv.value
    if (!(yield* canPrompt)) {
      return yield* new UsageError({
        message: `${options.what} is required: set ${options.env} (stdin is not a terminal, so it cannot be prompted for)`,
        command: options.command
      })
    }
    return yield* Prompt.password({
      message: `${options.what[0]?.toUpperCase()}${options.what.slice(1)} (${options.env})`,
      validate: (value) => value.trim() === "" ? Effect.fail("must not be empty") : Effect.succeed(value)
    }).pipe(
      Prompt.run,
      Effect.catchTag("QuitException", () => new UsageError({ message: `cancelled: ${options.what} was not given` }))
    )
  })

/**
 * A 4-digit code: the flag's value when given, else typed at a prompt, else a usage error.
 *
 * @since 0.1.0
 */
export const code = (options: {
  readonly given: Option.Option<string>
  readonly what: string
  readonly flag: string
  readonly command?: ReadonlyArray<string> | undefined
}): Effect.Effect<string, UsageError, Prompt.Prompt.Environment> =>
  Effect.gen(function*() {
    if (Option.isSome(options.given)) return options.given.value
    if (!(yield* canPrompt)) {
      return yield* new UsageError({
        message: `${options.what} is required: pass ${options.flag} (stdin is not a terminal, so it cannot be prompted for)`,
        command: options.command
      })
    }
    return yield* promptCode(options.what)
  })

/**
 * Asks for a 4-digit code at the terminal (shown as typed: it is short-lived and single-use).
 *
 * @since 0.1.0
 */
export const promptCode = (what: string): Effect.Effect<string, UsageError, Prompt.Prompt.Environment> =>
  Prompt.text({
    message: `${what[0]?.toUpperCase()}${what.slice(1)} (4 digits, from the email)`,
    validate: (value) => /^\s*[0-9]{4}\s*$/.test(value) ? Effect.succeed(value.trim()) : Effect.fail("must be 4 digits")
  }).pipe(
    Prompt.run,
    Effect.catchTag("QuitException", () => new UsageError({ message: `cancelled: ${what} was not given` }))
  )

/**
 * Asks a yes/no question at the terminal (default no).
 *
 * @since 0.1.0
 */
export const confirm = (message: string): Effect.Effect<boolean, UsageError, Prompt.Prompt.Environment> =>
  Prompt.confirm({ message, initial: false }).pipe(
    Prompt.run,
    Effect.catchTag("QuitException", () => new UsageError({ message: "cancelled" }))
  )
