/**
 * Proof (1): a flow survives the death of its process. A runner process on a SQLite file
 * registers a user and is killed with SIGKILL while the flow waits for the emailed code; a new
 * process on the same file takes the code and the flow completes. The simulator runs in this
 * (surviving) test process, and its counters show one registration and one verification.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
// The password the runner registers with (test/support/durable-runner.ts).
const runnerPassword = "correct horse battery"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { type RunnerProcess, spawnRunner } from "./support/durable-process.js"

const withDir = <A, E, R>(f: (dir: string) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => mkdtempSync(join(tmpdir(), "glowmarkt-durable-"))),
    f,
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

const withRunner = <A, E, R>(options: Record<string, unknown> & { name: string }, f: (r: RunnerProcess) => Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Effect.sync(() => spawnRunner(options)), f, (r) => Effect.promise(() => r.kill()))

layer(Simulator.layerServer({ seed: "durable-sqlite" }), { excludeTestServices: true })("SQLite engine, real processes", (it) => {
  it.effect("SIGKILL after registering, before the code: a new process completes the flow, nothing done twice", () =>
    withDir((dir) =>
      Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        const base = {
          engine: "sqlite",
          file: join(dir, "durable.sqlite"),
          baseUrl: sim.info.baseUrl,
          applicationId: sim.info.applicationId,
          directoryId: sim.info.directoryId
        }
        const username = "survivor@example.com"
        yield* sim.resetCounters

        // Process B is spawned now but stays dormant (modules loaded, database untouched) until A
        // is dead: process start-up is slow on a loaded machine.
        yield* withRunner({ ...base, name: "b", dormant: true }, (b) =>
          Effect.gen(function*() {
            // Process A: start the flow, wait until it is registered and waiting for the code, kill it.
            yield* withRunner({ ...base, name: "a" }, (a) =>
              Effect.promise(async () => {
                await a.waitFor((e) => e.event === "ready")
                a.send({ cmd: "start", username })
                a.send({ cmd: "awaiting", username, wait: 1 })
                await a.waitFor((e) => e.event === "awaiting")
                await a.kill("SIGKILL")
                expect(a.child.signalCode).toBe("SIGKILL")
                expect(a.events.filter((e) => e.event === "call").map((e) => e.op)).toEqual(["register"])
              }))
            const afterKill = yield* sim.counters
            expect(afterKill.byOperation["addUser"]?.handled).toBe(1)
            expect(afterKill.byOperation["verifyUser"]?.handled ?? 0).toBe(0)

            // The code arrives after the process died.
            const code = (yield* Effect.flatMap(Inbox.Inbox, (i) => i.next(username, { kind: "verification" }))).code

            // Process B opens the same file, submits the code; the flow resumes from its persisted state.
            const result = yield* Effect.promise(async () => {
              await b.waitFor((e) => e.event === "loaded")
              b.send({ cmd: "open" })
              await b.waitFor((e) => e.event === "ready")
              b.send({ cmd: "submit", username, code })
              await b.waitFor((e) => e.event === "submitted")
              b.send({ cmd: "result", username })
              const result = await b.waitFor((e) => e.event === "result")
              expect(b.events.filter((e) => e.event === "call").map((e) => e.op)).toEqual(["verify"])
              return result
            })
            expect(result).toMatchObject({
              ok: true,
              value: { username, outcome: "verified", resumed: false, codesSent: 1, wrongCodes: 0 }
            })

            const counters = yield* sim.counters
            expect(counters.byOperation["addUser"]?.handled).toBe(1)
            expect(counters.byOperation["verifyUser"]?.handled).toBe(1)
            expect(counters.byOperation["generateUserVerificationToken"]?.handled ?? 0).toBe(0)
            const user = yield* sim.user(username)
            expect(user._tag === "Some" && user.value.status).toBe("active")

            // The engine's file holds the password only sealed: not in clear, not in base64.
            const stored = Buffer.concat(
              readdirSync(dir).filter((f) => f.startsWith("durable.sqlite")).map((f) => readFileSync(join(dir, f)))
            ).toString("latin1")
            expect(stored).toContain(username)
            for (const form of [runnerPassword, Buffer.from(runnerPassword).toString("base64")]) {
              expect(stored).not.toContain(form)
            }
          }))
      })
    ), { timeout: 90_000 })
})
