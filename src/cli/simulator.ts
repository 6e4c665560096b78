/**
 * `glowmarkt simulator`: the simulator on its own, for trying the CLI or a backend against it.
 * The first line on stdout is one JSON object with the base URL and the seeded (throwaway)
 * credentials; it runs until interrupted.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Simulator from "../testing/Simulator.js"
import { CommandFailed, UsageError } from "./errors.js"

/** Why a bind failed, in words, from node's error code. */
const bindProblem = (cause: unknown): string => {
  const code = typeof cause === "object" && cause !== null && "code" in cause ? String(cause.code) : undefined
  const detail = cause instanceof Error ? cause.message : String(cause)
  switch (code) {
    case "EADDRINUSE":
      return "the port is already in use (EADDRINUSE): pick another --port, or 0 for a free one"
    case "EACCES":
      return "permission denied (EACCES): ports below 1024 need privileges; use a higher --port"
    case "EADDRNOTAVAIL":
      return "this machine has no such address (EADDRNOTAVAIL): check --host"
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return `the host name does not resolve (${code}): check --host`
    default:
      return code === undefined ? detail : `${detail} (${code})`
  }
}

const path = ["simulator"] as const

/**
 * The `simulator` command.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "simulator",
  {
    port: Options.integer("port").pipe(
      Options.withDescription("The port to listen on (0: a free port, printed in the first line)."),
      Options.withDefault(0)
    ),
    host: Options.text("host").pipe(
      Options.withDescription("The interface to listen on (default 127.0.0.1: loopback only)."),
      Options.withDefault("127.0.0.1")
    ),
    allowRemote: Options.boolean("allow-remote").pipe(
      Options.withDescription(
        "Allow a --host that is not loopback (e.g. 0.0.0.0): anyone who reaches it can call the simulator. Prints a warning."
      )
    ),
    seed: Options.text("seed").pipe(
      Options.withDescription("Seeds ids, keys and codes (default \"glowmarkt\")."),
      Options.optional
    )
  },
  ({ allowRemote, host, port, seed }) =>
    Effect.gen(function*() {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        return yield* new UsageError({ message: `--port must be from 0 to 65535, got ${port}`, command: path })
      }
      if (!Simulator.isLoopback(host)) {
        if (!allowRemote) {
          return yield* new UsageError({
            message: `--host ${host} is not a loopback address: the simulator hands out its credentials and takes ` +
              "fault settings from whoever reaches it. Add --allow-remote to listen there anyway",
            command: path
          })
        }
        yield* Console.error(
          `warning: listening on ${host}, beyond loopback: anyone who can reach this machine on port ${port} can call ` +
            "the simulator's API with its seeded credentials (its /_simulator/* routes answer only requests addressed to the address it prints)"
        )
      }
      return yield* Simulator.runStandalone({ port, host, allowRemote, ...(Option.isSome(seed) ? { seed: seed.value } : {}) }).pipe(
        Effect.catchTag("ServeError", (e) => new CommandFailed({ message: `cannot listen on ${host}:${port}: ${bindProblem(e.cause)}` }))
      )
    })
).pipe(
  Command.withDescription(
    "Run the Glowmarkt simulator on loopback (beyond it only with --allow-remote) until interrupted. The first stdout line is a JSON object with " +
      "baseUrl and the seeded test credentials; codes it emails are at <origin>/_simulator/inbox/<email>."
  )
)
