/**
 * The body-read cost of `NodeHttpClient.layerUndici` alone, without a network: both undici
 * clients (the platform's `NodeHttpClient.makeUndici` and the package's `UndiciHttpClient.make`)
 * on a fake `Dispatcher` whose `request` resolves at once with a precomputed body, so what differs
 * is only what each does per response. N `client.get(url)` + `.json` per round, at concurrency
 * 1 and 64, rotating rounds; CPU µs per call and bytes allocated per call (V8 sampling heap
 * profiler, collected objects included).
 *
 *   npx tsc -p bench/tsconfig.build.json && node --expose-gc bench/results/tmp/build/bench/bodyread.js [--calls N] [--rounds R]
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import { Session } from "node:inspector/promises"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, fakeDispatcher, median, round } from "./lib/common.js"

const argv = args()
const calls = argv.number("calls", 20_000)
const rounds = argv.number("rounds", 5)

const fake = fakeDispatcher()

const clients = {
  layerUndici: NodeHttpClient.makeUndici(fake),
  UndiciHttpClient: UndiciHttpClient.make(fake)
}
type Name = keyof typeof clients

const run = (name: Name, n: number, concurrency: number) => {
  const client = clients[name]
  const one = Effect.flatMap(client.get("http://127.0.0.1:1/api/v0-1/user/u-1"), (r) => r.json)
  return Effect.runPromise(Effect.forEach(Array.from({ length: n }), () => one, { concurrency, discard: true }))
}

const allocated = async (name: Name, n: number, concurrency: number) => {
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 1024,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  await run(name, n, concurrency)
  const { profile } = await session.post("HeapProfiler.stopSampling")
  session.disconnect()
  let total = 0
  const walk = (node: { selfSize: number; children: ReadonlyArray<any> }) => {
    total += node.selfSize
    node.children.forEach(walk)
  }
  walk(profile.head as any)
  return total / n
}

const main = async () => {
  const names = Object.keys(clients) as Array<Name>
  const out: Record<string, unknown> = {}
  for (const concurrency of [1, 64]) {
    for (const name of names) await run(name, calls / 4, concurrency)
    const cpu: Record<string, Array<number>> = {}
    for (let r = 0; r < rounds; r++) {
      for (const name of names) {
        globalThis.gc?.()
        const c0 = process.cpuUsage()
        await run(name, calls, concurrency)
        const c1 = process.cpuUsage(c0)
        ;(cpu[name] ??= []).push((c1.user + c1.system) / calls)
      }
    }
    const ratios = cpu.UndiciHttpClient!.map((x, r) => x / cpu.layerUndici![r]!)
    const bytes: Record<string, number> = {}
    for (const name of names) bytes[name] = round(await allocated(name, calls / 4, concurrency), 0)
    out[`c=${concurrency}`] = {
      cpuUsPerCall: Object.fromEntries(names.map((n) => [n, round(median(cpu[n]!), 1)])),
      cpuRatioPerRound: { median: round(median(ratios), 3), min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) },
      bytesPerCall: bytes
    }
  }
  console.log(JSON.stringify(out, null, 2))
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
