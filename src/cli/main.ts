/**
 * The `glowmarkt` command tree, and how a run ends: exit 0 on success, 2 on a usage error (with
 * the command's help), 1 on a failure (one `error:` line; `--verbose` for details).
 *
 * @since 0.1.0
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Usage from "@effect/cli/Usage"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Cause from "effect/Cause"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as ConsentCommands from "./consent.js"
import * as Demo from "./demo.js"
import { ExitCode, report, tagOf, UsageError } from "./errors.js"
import * as SimulatorCommand from "./simulator.js"
import * as UsersCommand from "./users.js"

/**
 * The version printed by `glowmarkt --version`.
 *
 * @since 0.1.0
 */
export const version = "0.1.0"

/**
 * The root command.
 *
 * @since 0.1.0
 */
export const glowmarkt = Command.make(
  "glowmarkt",
  {},
  () =>
    new UsageError({ message: "a command is required: demo, users, accounts, consent, offboard or simulator", command: [] })
).pipe(
  Command.withDescription(
    "Glowmarkt User System from the command line. `glowmarkt demo` walks through the library against an " +
      "embedded simulator; `glowmarkt users ...`, `accounts ...`, `consent ...` and `offboard` act on real accounts " +
      "(configure with flags or GLOWMARKT_* variables)."
  ),
  Command.withSubcommands([
    Demo.command,
    UsersCommand.command,
    ConsentCommands.accounts,
    ConsentCommands.consent,
    ConsentCommands.offboard,
    SimulatorCommand.command
  ])
)

/** Every command by its path, for printing the help of the one a usage error is about. */
const byPath: ReadonlyArray<readonly [ReadonlyArray<string>, Command.Command<any, any, any, any>]> = [
  [[], glowmarkt],
  [["demo"], Demo.command],
  [["simulator"], SimulatorCommand.command],
  [["users"], UsersCommand.command],
  ...UsersCommand.subcommands.map(([name, cmd]) => [["users", name], cmd] as const),
  [["accounts"], ConsentCommands.accounts],
  ...ConsentCommands.accountsSubcommands.map(([name, cmd]) => [["accounts", name], cmd] as const),
  [["consent"], ConsentCommands.consent],
  ...ConsentCommands.consentSubcommands.map(([name, cmd]) => [["consent", name], cmd] as const),
  [["offboard"], ConsentCommands.offboard]
]

/** The deepest command named by the leading arguments (`users verify --x` -> `users verify`). */
const commandPathOf = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  let best: ReadonlyArray<string> = []
  for (const [path] of byPath) {
    if (path.length > best.length && path.every((name, i) => args[i] === name)) best = path
  }
  return best
}

// eslint-disable-next-line no-control-regex
const ansi = /\u001b\[[0-9;]*m/g

/**
 * The help of a command: its usage line(s) with the full command path (`$ glowmarkt users get
 * ...`, where @effect/cli's own help of a subcommand says `$ get`), then @effect/cli's
 * description of it. After a usage error the built-in options are left out (they are the same
 * for every command); `--help` shows them.
 */
const helpOf = (path: ReadonlyArray<string>, options: { readonly builtIns: boolean } = { builtIns: false }): string => {
  const found = byPath.find(([p]) => p.length === path.length && p.every((name, i) => path[i] === name))
  const cmd = found?.[1] ?? glowmarkt
  const parents = ["glowmarkt", ...path.slice(0, -1)].join(" ")
  const usage = Usage.enumerate(Command.getUsage(cmd), CliConfig.defaultConfig).map((span) =>
    `$ ${path.length === 0 ? "" : `${parents} `}${HelpDoc.toAnsiText(HelpDoc.p(span)).replace(ansi, "").trim()}`
  )
  const help = HelpDoc.toAnsiText(Command.getHelp(cmd, CliConfig.defaultConfig)).replace(ansi, "")
  if (options.builtIns) return `glowmarkt ${version}\n\nUSAGE\n\n${usage.join("\n")}\n\n${help.trim()}`
  const builtIn = help.indexOf("\n--completions")
  const commands = help.indexOf("\nCOMMANDS")
  const own = builtIn < 0 ? help : help.slice(0, builtIn) + (commands < 0 ? "" : help.slice(commands))
  return `USAGE\n\n${usage.join("\n")}\n\n${own.trim()}\n\n(run with --help for the built-in options)`
}

const cli = Command.run(glowmarkt, { name: "glowmarkt", version })

const strip = (value: unknown): unknown => (typeof value === "string" ? value.replace(ansi, "") : value)

/** The console, with ANSI escapes removed from what is printed (stdout is not a terminal, or NO_COLOR). */
const plainConsole = (base: Console.Console): Console.Console => ({
  ...base,
  log: (...args) => base.log(...args.map(strip)),
  error: (...args) => base.error(...args.map(strip)),
  info: (...args) => base.info(...args.map(strip)),
  warn: (...args) => base.warn(...args.map(strip))
})

/** Errors that mean the command was called wrongly: exit 2, with the command's help. */
const isUsage = (error: unknown): boolean =>
  error instanceof UsageError || Predicate.isTagged(error, "InvalidInputError") || Predicate.isTagged(error, "InvalidConfigError")

/**
 * Options of {@link run}.
 *
 * @since 0.1.0
 */
export interface RunOptions {
  /** Keep ANSI colours and styles (default: stdout is a terminal and `NO_COLOR` is not set). */
  readonly colour?: boolean | undefined
}

/**
 * Runs the command line (`argv` as in `process.argv`) and returns the exit code. Never fails:
 * every error is reported here, on stderr, and with `--json` also as one JSON object on stdout
 * (`{"error":{"tag","message","exitCode"}}`).
 *
 * @since 0.1.0
 */
export const run = (argv: ReadonlyArray<string>, options: RunOptions = {}) => {
  const args = argv.slice(2)
  const verbose = args.includes("--verbose")
  const asJson = args.includes("--json")
  const colour = options.colour ?? (process.stdout.isTTY === true && (process.env["NO_COLOR"] ?? "") === "")
  const path = commandPathOf(args)
  const failed = (code: number, error: { readonly tag: string; readonly message: string }) =>
    asJson ? Effect.as(Console.log(JSON.stringify({ error: { ...error, exitCode: code } })), code) : Effect.succeed(code)

  const program = args.includes("--help") || args.includes("-h")
      ? Effect.as(Console.log(helpOf(path, { builtIns: true })), 0)
      : cli(argv as Array<string>).pipe(
        Effect.exit,
        Effect.flatMap((exit) => {
          if (Exit.isSuccess(exit)) return Effect.succeed(0)
          const failure = Cause.failureOption(exit.cause)
          if (failure._tag === "Some" && ValidationError.isValidationError(failure.value)) {
            // @effect/cli has printed what was wrong; add the help of the command it was about.
            const invalid: { readonly _tag: string; readonly error?: HelpDoc.HelpDoc } = failure.value
            const message = invalid.error !== undefined
              ? HelpDoc.toAnsiText(invalid.error).replace(ansi, "").trim()
              : invalid._tag
            return Effect.zipRight(Console.error(`\n${helpOf(path)}`), failed(2, { tag: "UsageError", message }))
          }
          const error = failure._tag === "Some" ? failure.value : undefined
          const reported = report(exit.cause, verbose)
          const code = error !== undefined && isUsage(error) ? 2 : reported.code
          const help = code === 2 && error !== undefined && isUsage(error)
            ? [`\n${helpOf(error instanceof UsageError && error.command !== undefined ? error.command : path)}`]
            : []
          const printed = Effect.forEach([...reported.lines, ...help], (line) => Console.error(line), { discard: true })
          // An ExitCode has already printed its own result (a bulk import's summary).
          return Effect.zipRight(
            printed,
            error instanceof ExitCode ? Effect.succeed(code) : failed(code, {
              tag: Option.getOrElse(tagOf(error ?? Cause.squash(exit.cause)), () => "Error"),
              message: reported.lines[0]?.replace(/^error: /, "") ?? "failed"
            })
          )
        })
      )
  return colour ? program : Effect.flatMap(Effect.console, (base) => Effect.withConsole(program, plainConsole(base)))
}
