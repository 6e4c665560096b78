/**
 * One bulk import, measured in its own process: `BulkImport.runFile` of an NDJSON file against
 * a simulator running in ANOTHER process (so the users it holds are not in this RSS), with a
 * results file and a progress callback, over `NodeHttpClient.layerUndici`. Samples
 * `process.memoryUsage()` every 25 ms; reports throughput, peak RSS and peak heap, and
 * `process.resourceUsage().maxRSS`.
 *
 * Child of bench/main.ts; prints its result as one JSON line. Arguments: `--file PATH`,
 * `--results PATH`, `--sim JSON` (the simulator's banner), `--concurrency N`.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import { performance } from "node:perf_hooks"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import type { SimulatorInfo } from "../src/testing/Simulator.js"
import * as BulkImport from "../src/workflows/BulkImport.js"
import { args, round, reportAsChild } from "./lib/common.js"

const argv = args()
const file = argv.get("file")!
const resultsFile = argv.get("results")!
const sim = JSON.parse(argv.get("sim")!) as SimulatorInfo
const concurrency = argv.number("concurrency", 32)
const mb = (bytes: number) => round(bytes / 2 ** 20, 1)

const main = async () => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(
      Users.layer.pipe(
        Layer.provide(GlowmarktConfig.layer({ baseUrl: sim.baseUrl, applicationId: sim.applicationId, directoryId: sim.directoryId })),
        Layer.provide(NodeHttpClient.layerUndici)
      ),
      NodeContext.layer,
      Layer.succeed(Credentials.AdminAuth, Either.getOrThrow(Credentials.AdminCredential.appKeys(sim.appKeys)))
    )
  )
  await runtime.runPromise(Effect.void)
  globalThis.gc?.()
  const before = process.memoryUsage()
  let peakRss = before.rss
  let peakHeap = before.heapUsed
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    if (m.rss > peakRss) peakRss = m.rss
    if (m.heapUsed > peakHeap) peakHeap = m.heapUsed
  }, 25)
  let progressCalls = 0
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  const summary = await runtime.runPromise(BulkImport.runFile(file, {
    concurrency,
    ratePerSecond: Infinity,
    resultsFile,
    onProgress: () => Effect.sync(() => void progressCalls++)
  }))
  const seconds = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  clearInterval(sampler)
  const after = process.memoryUsage()
  peakRss = Math.max(peakRss, after.rss)
  await runtime.dispose()
  if (summary.created !== summary.records || summary.failed !== 0) {
    throw new Error(`import incomplete: ${JSON.stringify(summary)}`)
  }
  return {
    records: summary.records,
    created: summary.created,
    requests: summary.requests,
    concurrency,
    seconds: round(seconds, 1),
    recordsPerSecond: round(summary.records / seconds, 0),
    cpuUsPerRecord: round((cpu.user + cpu.system) / summary.records, 0),
    rssBeforeMB: mb(before.rss),
    peakRssMB: mb(peakRss),
    peakHeapUsedMB: mb(peakHeap),
    maxRssMB: round(process.resourceUsage().maxRSS / 1024, 1),
    progressCalls
  }
}

reportAsChild(main)
