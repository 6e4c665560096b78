/**
 * The simulator as a separate process (`glowmarkt simulator`, from source through tsx), for
 * tests whose oracle must not share a process with the client: its first stdout line is the
 * JSON banner; it is killed when the scope closes.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import type { SimulatorInfo } from "../../src/testing/Simulator.js"

const root = fileURLToPath(new URL("../../", import.meta.url))
const tsx = `${root}node_modules/.bin/tsx`

/** Starts `glowmarkt simulator --seed <seed>` on a free port; its info, once it listens. */
export const simulatorProcess = (seed: string) =>
  Effect.acquireRelease(
    Effect.async<{ readonly info: SimulatorInfo; readonly kill: () => void }, Error>((resume) => {
      const child = spawn(tsx, [`${root}src/cli/bin.ts`, "simulator", "--port", "0", "--seed", seed], {
        cwd: root,
        stdio: ["ignore", "pipe", "pipe"],
        env: { ...process.env, NODE_NO_WARNINGS: "1" }
      })
      let stderr = ""
      child.stderr.on("data", (chunk) => (stderr += chunk.toString()))
      const lines = createInterface({ input: child.stdout })
      lines.once("line", (line) => resume(Effect.succeed({ info: JSON.parse(line) as SimulatorInfo, kill: () => child.kill("SIGKILL") })))
      child.once("exit", (code) => resume(Effect.fail(new Error(`the simulator exited (${code}) before listening: ${stderr}`))))
    }),
    ({ kill }) => Effect.sync(kill)
  ).pipe(Effect.map(({ info }) => info))

/** A JSON request to the simulator's control routes. */
export const control = (info: SimulatorInfo, path: string, init?: { readonly method?: string; readonly body?: unknown }) =>
  Effect.promise(async () => {
    const response = await fetch(`${info.origin}/_simulator${path}`, {
      method: init?.method ?? "GET",
      ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { "content-type": "application/json" } })
    })
    const text = await response.text()
    if (!response.ok) throw new Error(`${init?.method ?? "GET"} /_simulator${path}: ${response.status} ${text}`)
    return text === "" ? undefined : JSON.parse(text)
  })
