/**
 * `glowmarkt simulator`: the simulator on its own, for trying the CLI or a backend against it.
 * The first line on stdout is one JSON object with the base URL and the seeded (throwaway)
 * credentials; it runs until interrupted.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Simulator from "../testing/Simulator.js"
import { UsageError } from "./errors.js"

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
    seed: Options.text("seed").pipe(
      Options.withDescription("Seeds ids, keys and codes (default \"glowmarkt\")."),
      Options.optional
    )
  },
  ({ host, port, seed }) =>
    Effect.gen(function*() {
      if (!Number.isInteger(port) || port < 0 || port > 65535) {
        return yield* new UsageError({ message: `--port must be from 0 to 65535, got ${port}`, command: path })
      }
      return yield* Simulator.runStandalone({ port, host, ...(Option.isSome(seed) ? { seed: seed.value } : {}) })
    })
).pipe(
  Command.withDescription(
    "Run the Glowmarkt simulator on loopback until interrupted. The first stdout line is a JSON object with " +
      "baseUrl and the seeded test credentials; codes it emails are at <origin>/_simulator/inbox/<email>."
  )
)
