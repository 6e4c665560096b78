/**
 * register -> verify flows per second: `Onboarding.registerAndVerify` against the simulator
 * (`Simulator.layerServer`, in this process, so the codes come from its `Inbox` through
 * `InboxCodeSource`), over `NodeHttpClient.layerUndici`, at each concurrency.
 *
 * Child of bench/main.ts; prints its result as one JSON line. Arguments: `--flows N` (flows
 * per run), `--rounds R`, `--concurrency 1,32`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { performance } from "node:perf_hooks"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as InboxCodeSource from "../src/testing/InboxCodeSource.js"
import * as Simulator from "../src/testing/Simulator.js"
import * as Onboarding from "../src/workflows/Onboarding.js"
import { args, median, percentile, round, reportAsChild } from "./lib/common.js"

const argv = args()
const flows = argv.number("flows", 1000)
const rounds = argv.number("rounds", 3)
const concurrencies = (argv.get("concurrency") ?? "1,32").split(",").map(Number)

const main = async () => {
  const runtime = ManagedRuntime.make(
    Layer.mergeAll(Glowmarkt.layer, InboxCodeSource.layer).pipe(
      Layer.provideMerge(Simulator.layerTest({ seed: "bench-flows", requestLogSize: 0 })),
      Layer.provide(NodeHttpClient.layerUndici)
    )
  )
  const password = Redacted.make("correct horse battery staple")
  let next = 0
  const flow = (latencies: Array<number>) =>
    Effect.suspend(() => {
      const email = `flow${next++}@bench.example`
      const t0 = performance.now()
      return Onboarding.registerAndVerify({ name: "Bench User", username: email, email, password }).pipe(
        Effect.tap((done) => done.outcome === "verified" ? Effect.void : Effect.dieMessage(`unexpected ${done.outcome}`)),
        Effect.map(() => void latencies.push(performance.now() - t0))
      )
    })
  const run = (n: number, c: number) =>
    runtime.runPromise(Effect.suspend(() => {
      const latencies: Array<number> = []
      const t0 = performance.now()
      return Effect.forEach(Array.from({ length: n }), () => flow(latencies), { concurrency: c, discard: true }).pipe(
        Effect.map(() => ({ wall: performance.now() - t0, latencies }))
      )
    }))

  const rows = []
  for (const c of concurrencies) {
    await run(Math.ceil(flows / 5), c) // warm-up
    const perRound: Array<{ perSecond: number; p50: number; p99: number }> = []
    for (let r = 0; r < rounds; r++) {
      globalThis.gc?.()
      const { latencies, wall } = await run(flows, c)
      perRound.push({ perSecond: flows / (wall / 1000), p50: percentile(latencies, 50), p99: percentile(latencies, 99) })
    }
    const row = {
      concurrency: c,
      flows,
      rounds,
      flowsPerSecond: round(median(perRound.map((x) => x.perSecond)), 0),
      p50ms: round(median(perRound.map((x) => x.p50)), 2),
      p99ms: round(median(perRound.map((x) => x.p99)), 2)
    }
    process.stderr.write(`flows c=${c}: ${JSON.stringify(row)}\n`)
    rows.push(row)
  }
  await runtime.dispose()
  return {
    server: "Simulator.layerTest (simulator in this process, node:http on loopback); codes via InboxCodeSource",
    libraryHttpClient: "NodeHttpClient.layerUndici",
    requestsPerFlow: 2,
    rows
  }
}

reportAsChild(main)
