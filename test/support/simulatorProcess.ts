/**
 * The simulator as a separate process (`glowmarkt simulator`, from source through tsx), for
 * tests whose oracle must not share a process with the client: its first stdout line is the
 * JSON banner; it is killed when the scope closes.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import * as Glowmarkt from "../../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../../src/services/GlowmarktConfig.js"
import type { SimulatorInfo } from "../../src/testing/Simulator.js"
import { CodeSource } from "../../src/workflows/index.js"

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

/** The codes, read from the simulator's inbox over HTTP: the newest of the right kind. */
export const inboxOf = (info: SimulatorInfo) =>
  CodeSource.fromEffect((request) =>
    Effect.map(
      control(info, `/inbox/${encodeURIComponent(request.email ?? request.username)}`),
      (messages: ReadonlyArray<{ readonly kind: string; readonly code: string }>) => {
        const mine = messages.filter((m) => m.kind === request.purpose)
        return mine[mine.length - 1]?.code ?? "0000"
      }
    )
  )

/** The client against the simulator process, with quick retries (the soak tests' setting). */
export const clientOf = (info: SimulatorInfo) =>
  Glowmarkt.layer.pipe(
    Layer.provideMerge(GlowmarktConfig.layer({
      baseUrl: info.baseUrl,
      applicationId: info.applicationId,
      directoryId: info.directoryId,
      requestTimeout: "10 seconds",
      retry: { times: 3, baseDelay: "5 millis", maxDelay: "20 millis" }
    })),
    Layer.provide(NodeHttpClient.layerUndici),
    Layer.orDie
  )

/** Every fault kind at 20 % on every operation (and 1 ms of latency): the soak tests' faults. */
export const everyFault = {
  all: {
    latency: 1,
    serverError: 0.2,
    serverErrorStatuses: [500, 502, 503],
    rateLimit: 0.2,
    retryAfter: 0,
    dropBefore: 0.2,
    dropAfter: 0.2,
    malformedJson: 0.2
  }
}
