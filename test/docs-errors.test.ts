/**
 * docs/ERRORS.md lists the recognised server messages: every entry of the one table in the code
 * is there, with where it was seen, so the docs cannot drift from what the library matches.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { recognised } from "../src/services/internal/classify.js"

const doc = readFileSync(new URL("../docs/ERRORS.md", import.meta.url), "utf8")

describe("docs/ERRORS.md", () => {
  for (const entry of recognised) {
    it(`lists ${entry.error}${entry.reason === undefined ? "" : ` (${entry.reason})`}`, () => {
      const row = doc.split("\n").find((line) =>
        line.startsWith(`| \`${entry.error}\`${entry.reason === undefined ? "" : ` (\`${entry.reason}\`)`} |`)
      )
      expect(row).toBeDefined()
      expect(row).toContain(entry.seen)
    })
  }
})
