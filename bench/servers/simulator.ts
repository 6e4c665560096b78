/**
 * The simulator in its own process (so that its users are not in the RSS of the process being
 * measured): `Simulator.runStandalone({ port: 0 })`; its first stdout line is the JSON banner.
 */
import * as Effect from "effect/Effect"
import * as Simulator from "../../src/testing/Simulator.js"

process.on("SIGTERM", () => process.exit(0))
Effect.runPromise(Simulator.runStandalone({ port: 0, requestLogSize: 0 })).catch((error) => {
  console.error(error)
  process.exit(1)
})
