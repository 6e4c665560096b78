/**
 * The simulator of the Glowmarkt User System and its test layers:
 * `import { Simulator, Inbox, Faults } from "effect-glowmarkt/testing"`.
 *
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"
export * as Inbox from "./Inbox.js"
export * as Simulator from "./Simulator.js"
