/**
 * The README's retry table names every operation that is sent once (never replayed after it may
 * have reached the server), as the one policy table of the code has it.
 */
import { describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { policies } from "../src/services/internal/operations.js"

const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8")
const onceRows = readme.split("\n").filter((line) => line.startsWith("|") && line.includes("| once |"))

describe("the README's retry table", () => {
  for (const [operation, policy] of Object.entries(policies)) {
    if (policy.replay !== "once") continue
    it(`says ${operation} is sent once`, () => {
      expect(onceRows.some((row) => row.includes(operation))).toBe(true)
    })
  }
})
