/**
 * The durable flows' dependencies (@effect/workflow, @effect/cluster, @effect/sql and its SQLite
 * and PostgreSQL drivers, which compile a native module) are optional peers: only
 * `effect-glowmarkt/durable` needs them. Proved by running node with a module hook that makes
 * them unresolvable: the main entry, `./testing` and the CLI load; `./durable` does not.
 */
import { describe, expect, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as path from "node:path"
import { promisify } from "node:util"

const root = path.resolve(import.meta.dirname, "..")
const hook = path.join(root, "test/support/deny-durable-peers.mjs")

/** Runs node on a script or module text, with tsx and the hook. */
const node = (args: ReadonlyArray<string>) =>
  promisify(execFile)(process.execPath, ["--import", "tsx", "--import", hook, ...args], { cwd: root }).then(
    ({ stdout }) => ({ ok: true as const, output: stdout }),
    (error: { stderr?: string; stdout?: string }) => ({ ok: false as const, output: `${error.stdout ?? ""}${error.stderr ?? ""}` })
  )

const importAll = (files: ReadonlyArray<string>) =>
  node([
    "--input-type=module",
    "-e",
    `${files.map((f) => `await import(${JSON.stringify(path.join(root, f))})`).join(";")}; console.log("loaded")`
  ])

describe("optional peer dependencies", () => {
  it("without them, the main entry, ./testing and the workflows load", async () => {
    const run = await importAll(["src/index.ts", "src/testing/index.ts", "src/workflows/index.ts"])
    expect(run.output).toContain("loaded")
    expect(run.ok).toBe(true)
  }, 60_000)

  it("without them, the glowmarkt CLI runs", async () => {
    const run = await node([path.join(root, "src/cli/bin.ts"), "--help"])
    expect(run.ok).toBe(true)
    expect(run.output).toContain("glowmarkt")
  }, 60_000)

  it("./durable is what needs them (the hook works)", async () => {
    const run = await importAll(["src/durable/index.ts"])
    expect(run.ok).toBe(false)
    expect(run.output).toMatch(/optional peer not installed: @effect\/(cluster|workflow|sql)/)
  }, 60_000)
})
