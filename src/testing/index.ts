/**
 * The simulator of the Glowmarkt User System and its test layers:
 * `import { Simulator, Inbox, Faults } from "effect-glowmarkt/testing"`.
 *
 * @since 0.1.0
 */

/** Faults to inject: latency, 5xx, 429, dropped connections, broken JSON. @since 0.1.0 */
export * as Faults from "./Faults.js"

/** Where the simulator's emailed codes land. @since 0.1.0 */
export * as Inbox from "./Inbox.js"

/** The simulator itself: service, layers, `runStandalone`. @since 0.1.0 */
export * as Simulator from "./Simulator.js"

/** A `CodeSource` that reads the codes from the simulator's inbox. @since 0.1.0 */
export * as InboxCodeSource from "./InboxCodeSource.js"
