/**
 * The bulk import step of the demo (placeholder until BulkImport lands).
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Credentials from "../services/Credentials.js"

/**
 * Imports generated users into the simulator.
 *
 * @since 0.1.0
 */
export const run = (options: { readonly users: number; readonly admin: Credentials.AdminCredential }) =>
  Effect.succeed<ReadonlyArray<string>>([`(bulk import of ${options.users} users: not yet available)`])
