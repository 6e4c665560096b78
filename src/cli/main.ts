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
import * as Demo from "./demo.js"
import { report, UsageError } from "./errors.js"
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
  () => new UsageError({ message: "a command is required: demo, users or simulator", command: [] })
).pipe(
  Command.withDescription(
    "Glowmarkt User System from the command line. `glowmarkt demo` walks through the library against an " +
      "embedded simulator; `glowmarkt users ...` acts on real accounts (configure with flags or GLOWMARKT_* variables)."
  ),
  Command.withSubcommands([Demo.command, UsersCommand.command, SimulatorCommand.command])
)

/** Every command by its path, for printing the help of the one a usage error is about. */
const byPath: ReadonlyArray<readonly [ReadonlyArray<string>, Command.Command<any, any, any, any>]> = [
  [[], glowmarkt],
  [["demo"], Demo.command],
  [["simulator"], SimulatorCommand.command],
  [["users"], UsersCommand.command],
  ...UsersCommand.subcommands.map(([name, cmd]) => [["users", name], cmd] as const)
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

/** The help of a command: its usage line(s), then @effect/cli's description of it. */
const helpOf = (path: ReadonlyArray<string>): string => {
  const found = byPath.find(([p]) => p.length === path.length && p.every((name, i) => path[i] === name))
  const cmd = found?.[1] ?? glowmarkt
  const parents = ["glowmarkt", ...path.slice(0, -1)].join(" ")
  const usage = Usage.enumerate(Command.getUsage(cmd), CliConfig.defaultConfig).map((span) =>
    `$ ${path.length === 0 ? "" : `${parents} `}${HelpDoc.toAnsiText(HelpDoc.p(span)).replace(ansi, "").trim()}`
  )
  const help = HelpDoc.toAnsiText(Command.getHelp(cmd, CliConfig.defaultConfig)).replace(ansi, "")
  // Leave out @effect/cli's built-in options (--completions, --log-level, --help, --wizard,
  // --version): they are the same for every command, and `--help` lists them.
  const builtIn = help.indexOf("\n--completions")
  const commands = help.indexOf("\nCOMMANDS")
  const own = builtIn < 0 ? help : help.slice(0, builtIn) + (commands < 0 ? "" : help.slice(commands))
  return `USAGE\n\n${usage.join("\n")}\n\n${own.trim()}\n\n(run with --help for the built-in options)`
}

const cli = Command.run(glowmarkt, { name: "glowmarkt", version })

/**
 * Runs the command line (`argv` as in `process.argv`) and returns the exit code. Never fails:
 * every error is reported here, on stderr.
 *
 * @since 0.1.0
 */
export const run = (argv: ReadonlyArray<string>) => {
  const args = argv.slice(2)
  const verbose = args.includes("--verbose")
  return cli(argv as Array<string>).pipe(
    Effect.exit,
    Effect.flatMap((exit) => {
      if (Exit.isSuccess(exit)) return Effect.succeed(0)
      const failure = Cause.failureOption(exit.cause)
      if (failure._tag === "Some" && ValidationError.isValidationError(failure.value)) {
        // @effect/cli has printed what was wrong; add the help of the command it was about.
        return Effect.as(Console.error(`\n${helpOf(commandPathOf(args))}`), 2)
      }
      const { code, lines } = report(exit.cause, verbose)
      const help = failure._tag === "Some" && failure.value instanceof UsageError && failure.value.command !== undefined
        ? [`\n${helpOf(failure.value.command)}`]
        : []
      return Effect.as(Effect.forEach([...lines, ...help], (line) => Console.error(line), { discard: true }), code)
    })
  )
}


