/**
 * Bulk import against the simulator, over real loopback sockets: 1,000 users under 20% injected
 * faults, every record accounted for and none created twice; a rerun that skips what is done;
 * CSV and NDJSON files, a results file cut mid-line, the rate limit and the progress callback.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as FileSystem from "@effect/platform/FileSystem"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Faults from "../src/testing/Faults.js"
import * as Simulator from "../src/testing/Simulator.js"
import { BulkImport, Provisioning } from "../src/workflows/index.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, Simulator.layerAdmin("appKeys"), NodeFileSystem.layer).pipe(
  Layer.provideMerge(
    Simulator.layerTest({ seed: "bulk", retry: { times: 2, baseDelay: "2 millis", maxDelay: "20 millis" } })
  ),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const fast: BulkImport.Options = {
  concurrency: 16,
  ratePerSecond: 5000,
  retry: { attempts: 6, baseDelay: "2 millis", maxDelay: "20 millis" }
}

const readLines = (path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.readFileString(path)).pipe(
    Effect.map((text) => text.split("\n").filter((l) => l !== ""))
  )

const tempFile = (name: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => Effect.map(fs.makeTempDirectoryScoped(), (dir) => `${dir}/${name}`))

const usersWith = (suffix: string) =>
  Effect.map(Simulator.users, (all) => all.filter((u) => u.username.endsWith(suffix)))

layer(TestLive, { excludeTestServices: true })("BulkImport against the simulator", (it) => {
  it.scoped("1,000 users under 20% faults: every record accounted for, none created twice; a rerun skips what is done", () =>
    Effect.gen(function*() {
      const resultsFile = yield* tempFile("results.ndjson")
      const records = Array.from({ length: 1000 }, (_, i) =>
        i % 100 === 7
          ? { username: `not-an-email-${i}` } // invalid: failed, never sent
          : { username: i % 3 === 0 ? `  User${i}@Bulk.Example ` : `user${i}@bulk.example` })
      const invalid = records.filter((r) => !r.username.includes("@")).length

      yield* Simulator.resetCounters
      yield* Simulator.setFaults(Faults.on({
        createUser: {
          serverError: 0.05,
          serverErrorStatuses: [500, 502, 503],
          rateLimit: 0.05,
          retryAfter: 0,
          dropBefore: 0.05,
          dropAfter: 0.05
        },
        getUserbyUsername: { serverError: 0.05, dropAfter: 0.05 }
      }))
      const progress: Array<BulkImport.Progress> = []
      const summary = yield* BulkImport.run(Stream.fromIterable(records), {
        ...fast,
        resultsFile,
        total: records.length,
        progressInterval: "20 millis",
        onProgress: (p) => Effect.sync(() => void progress.push(p))
      }).pipe(Effect.ensuring(Simulator.setFaults(Faults.none)))

      // Every record accounted for.
      expect(summary.records).toBe(1000)
      expect(summary.created + summary.existing + summary.failed).toBe(1000)
      expect(summary.skipped).toBe(0)
      expect(summary.failed).toBeGreaterThanOrEqual(invalid)
      const counters = yield* Simulator.counters
      expect(counters.faults.serverError + counters.faults.rateLimit + counters.faults.dropBefore + counters.faults.dropAfter)
        .toBeGreaterThan(150)
      expect(summary.retries).toBeGreaterThan(0)
      expect(summary.requests).toBeGreaterThan(1000 - invalid)

      // None created twice: one user per username, as many as the records that say created.
      const made = yield* usersWith("@bulk.example")
      expect(new Set(made.map((u) => u.username)).size).toBe(made.length)
      expect(made.length).toBe(summary.created)
      expect(summary.existing).toBe(0) // all were new: a create whose answer was lost is still "created"
      expect(counters.byOperation.createUser?.succeeded).toBe(made.length)

      // Every failure reported, every record once in the results file.
      const lines = (yield* readLines(resultsFile)).map((l) => JSON.parse(l) as BulkImport.ResultLine)
      expect(lines).toHaveLength(1000)
      expect(new Set(lines.map((l) => l.record)).size).toBe(1000)
      const failed = lines.filter((l) => l.outcome === "failed")
      expect(failed).toHaveLength(summary.failed)
      for (const f of failed) expect(f.error?.message.length).toBeGreaterThan(0)
      expect(failed.filter((f) => f.error?._tag === "InvalidInputError")).toHaveLength(invalid)
      const createdNames = new Set(lines.filter((l) => l.outcome === "created").map((l) => l.username))
      expect(createdNames).toEqual(new Set(made.map((u) => u.username)))

      // Progress: throttled, and a last report at the end.
      expect(progress.length).toBeGreaterThan(0)
      expect(progress.length).toBeLessThan(1000)
      expect(progress.at(-1)).toMatchObject({ done: 1000, total: 1000, etaSeconds: 0 })

      // The rerun: what is done is skipped, no create is sent for it.
      yield* Simulator.resetCounters
      const rerun = yield* BulkImport.run(Stream.fromIterable(records), { ...fast, resultsFile })
      expect(rerun.skipped).toBe(summary.created + summary.existing)
      const retriedValid = summary.failed - invalid
      expect(rerun.created + rerun.existing).toBe(retriedValid)
      expect(rerun.failed).toBe(invalid)
      expect((yield* Simulator.counters).byOperation.createUser?.received ?? 0).toBe(retriedValid)
      expect(yield* usersWith("@bulk.example")).toHaveLength(1000 - invalid)
    }), { timeout: 240_000 })

  it.scoped("a CSV file: header, quotes, blank lines, a bad email, a duplicate, users that exist", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const input = yield* tempFile("users.csv")
      yield* fs.writeFileString(
        input,
        [
          "Name,Email",
          "\"Lovelace, Ada\",ada@csv.example",
          "",
          "Grace,  Grace@CSV.example  ",
          "Nobody,not an email",
          "\"The \"\"Count\"\"\",count@csv.example",
          "Ada again,ADA@csv.example",
          "Old,old@csv.example"
        ].join("\n") + "\n"
      )
      yield* Provisioning.provision({ username: "old@csv.example" })
      const progress: Array<BulkImport.Progress> = []
      const summary = yield* BulkImport.runFile(input, {
        ...fast,
        concurrency: 1,
        onProgress: (p) => Effect.sync(() => void progress.push(p))
      })
      expect(summary).toMatchObject({ records: 6, created: 3, existing: 2, failed: 1, skipped: 0 })
      expect(progress.at(-1)).toMatchObject({ done: 6, total: 6, created: 3, existing: 2, failed: 1 })
      expect((yield* usersWith("@csv.example")).map((u) => u.username).sort()).toEqual([
        "ada@csv.example",
        "count@csv.example",
        "grace@csv.example",
        "old@csv.example"
      ])
    }))

  it.scoped("NDJSON with a broken line, and a results file cut mid-line by a killed run", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const input = yield* tempFile("users.ndjson")
      const resultsFile = `${input}.results`
      yield* fs.writeFileString(
        input,
        [
          JSON.stringify({ username: "done@nd.example" }),
          "{not json",
          JSON.stringify({ username: "new@nd.example" }),
          JSON.stringify({ name: "no username" })
        ].join("\n")
      )
      yield* Provisioning.provision({ username: "done@nd.example" })
      yield* fs.writeFileString(
        resultsFile,
        JSON.stringify({ record: 1, username: "done@nd.example", outcome: "created", attempts: 1, at: new Date().toISOString() }) +
          "\n{\"record\":3,\"username\":\"new@nd.exa"
      )
      yield* Simulator.resetCounters
      const summary = yield* BulkImport.runFile(input, { ...fast, resultsFile })
      expect(summary).toMatchObject({ records: 4, skipped: 1, created: 1, failed: 2 })
      expect((yield* Simulator.counters).byOperation.createUser?.received).toBe(1)
      const lines = yield* readLines(resultsFile)
      // The cut line stays as it was; every line after it is whole.
      expect(lines).toHaveLength(5)
      for (const line of lines.slice(2)) expect(() => JSON.parse(line)).not.toThrow()
      const failures = lines.slice(2).map((l) => JSON.parse(l) as BulkImport.ResultLine).filter((l) => l.outcome === "failed")
      expect(failures.map((f) => f.error?._tag)).toEqual(["InvalidInputError", "InvalidInputError"])
    }))

  it.scoped("the rate limit holds: 15 creates at 10 per second take at least half a second", () =>
    Effect.gen(function*() {
      const records = Stream.range(1, 15).pipe(Stream.map((i) => ({ username: `rate${i}@rate.example` })))
      const summary = yield* BulkImport.run(records, { concurrency: 8, ratePerSecond: 10 })
      expect(summary.created).toBe(15)
      expect(summary.elapsedMillis).toBeGreaterThanOrEqual(450)
    }))
})
