/**
 * `glowmarkt users import` runs in a heap-capped child node unless the user chose a heap size;
 * every other command runs in the launching process.
 */
import { describe, expect, it } from "@effect/vitest"
import * as HeapCap from "../src/cli/heapCap.js"

describe("the CLI's heap cap", () => {
  it("an import is re-run with the default cap", () => {
    expect(HeapCap.capFor(["users", "import", "users.csv"], [], {})).toBe(HeapCap.defaultHeapMB)
  })

  it("other commands run here", () => {
    expect(HeapCap.capFor(["users", "get", "--id", "u-1"], [], {})).toBeUndefined()
    expect(HeapCap.capFor(["--help"], [], {})).toBeUndefined()
  })

  it("a heap size the user chose wins, in node's flags or NODE_OPTIONS", () => {
    expect(HeapCap.capFor(["users", "import", "f"], ["--max-old-space-size=512"], {})).toBeUndefined()
    expect(HeapCap.capFor(["users", "import", "f"], [], { NODE_OPTIONS: "--max-old-space-size=512" })).toBeUndefined()
  })

  it("GLOWMARKT_CLI_HEAP_MB sets the cap or turns it off; the child does not re-run itself", () => {
    expect(HeapCap.capFor(["users", "import", "f"], [], { GLOWMARKT_CLI_HEAP_MB: "128" })).toBe(128)
    expect(HeapCap.capFor(["users", "import", "f"], [], { GLOWMARKT_CLI_HEAP_MB: "0" })).toBeUndefined()
    expect(HeapCap.capFor(["users", "import", "f"], [], { GLOWMARKT_CLI_HEAP_CAPPED: "96" })).toBeUndefined()
  })
})
