/**
 * `glowmarkt users import FILE`: bulk import (placeholder until src/workflows lands).
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Config from "./config.js"

/**
 * The `users import` command.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "import",
  { ...Config.common, file: Args.file({ name: "FILE", exists: "yes" }) },
  () => Effect.void
)
