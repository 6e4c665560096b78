/**
 * What the library's operation span costs when no tracer is installed (Effect's default tracer
 * still builds a real span object per call, with its attributes, and the call runs under it).
 * The library on `UndiciHttpClient` against the minimal server, `getById` and `register`, at
 * concurrency 1 and 64, rotating rounds of:
 *
 * - `default`: as a user runs it, no tracer installed;
 * - `tracer-off`: the same calls under `Effect.withTracerEnabled(false)`, so every span is a
 *   no-op span (a lower bound of what skipping the span saves: `useSpan`, the `onExit` and
 *   `withParentSpan` still run).
 *
 * CPU µs per call and the per-round ratio; then bytes allocated per call (sampling heap profiler).
 *
 *   npx tsc -p bench/tsconfig.build.json && node --expose-gc bench/results/tmp/build/bench/span.js [--calls1 N] [--calls64 N] [--rounds R]
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { Session } from "node:inspector/promises"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, median, round, startServer } from "./lib/common.js"

const argv = args()
const rounds = argv.number("rounds", 5)
const callsAt = (c: number) => argv.number(`calls${c}`, c === 1 ? 1000 : 3000)
const userId = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"

const main = async () => {
  const server = await startServer<{ port: number; baseUrl: string }>("servers/minimal.ts")
  // The server is a child process: stop it however this one ends.
  process.on("exit", () => {
    try {
      process.kill(server.pid, "SIGTERM")
    } catch {
      // already gone
    }
  })
  const config = GlowmarktConfig.layer({
    baseUrl: `http://127.0.0.1:${server.info.port}/api/v0-1`,
    applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
    directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
  })
  const runtime = ManagedRuntime.make(Users.layer.pipe(Layer.provide(config), Layer.provide(UndiciHttpClient.layer)))
  const users = await runtime.runPromise(Users.Users)
  const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "bench-key", secret: "bench-secret" }))
  const password = Redacted.make("correct horse battery staple")
  const one = (op: string, i: number): Effect.Effect<unknown, unknown> =>
    op === "getById"
      ? Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential)
      : users.register({ name: "Bench User", username: `u${i}@example.com`, email: `u${i}@example.com`, password })
  const variants = {
    default: (e: Effect.Effect<unknown, unknown, never>) => e,
    "tracer-off": (e: Effect.Effect<unknown, unknown, never>) => Effect.withTracerEnabled(e, false)
  }
  type Variant = keyof typeof variants
  const run = (variant: Variant, op: string, n: number, c: number) =>
    runtime.runPromise(
      variants[variant](Effect.forEach(Array.from({ length: n }, (_, i) => i), (i) => one(op, i), { concurrency: c, discard: true }))
    )
  const allocated = async (variant: Variant, op: string, n: number, c: number) => {
    const session = new Session()
    session.connect()
    await session.post("HeapProfiler.startSampling", { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true })
    await run(variant, op, n, c)
    const { profile } = await session.post("HeapProfiler.stopSampling")
    session.disconnect()
    let total = 0
    const walk = (node: { selfSize: number; children: ReadonlyArray<any> }) => {
      total += node.selfSize
      node.children.forEach(walk)
    }
    walk(profile.head as any)
    return round(total / n, 0)
  }
  const out: Record<string, unknown> = {}
  const names = Object.keys(variants) as Array<Variant>
  for (const op of ["getById", "register"]) {
    for (const c of [1, 64]) {
      const n = callsAt(c)
      for (const v of names) await run(v, op, n, c)
      const cpu: Record<string, Array<number>> = {}
      for (let r = 0; r < rounds; r++) {
        for (const v of names) {
          globalThis.gc?.()
          const c0 = process.cpuUsage()
          await run(v, op, n, c)
          const c1 = process.cpuUsage(c0)
          ;(cpu[v] ??= []).push((c1.user + c1.system) / n)
        }
      }
      const ratios = cpu["tracer-off"]!.map((x, r) => x / cpu.default![r]!)
      out[`${op} c=${c}`] = {
        cpuUs: Object.fromEntries(names.map((v) => [v, round(median(cpu[v]!), 0)])),
        savedUs: round(median(cpu.default!.map((x, r) => x - cpu["tracer-off"]![r]!)), 0),
        ratioPerRound: { median: round(median(ratios), 3), min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) },
        bytesPerCall: {} as Record<string, number>
      }
      // One sampling profiler at a time.
      for (const v of names) (out[`${op} c=${c}`] as { bytesPerCall: Record<string, number> }).bytesPerCall[v] = await allocated(v, op, n, c)
      process.stderr.write(`${op} c=${c}: ${JSON.stringify(out[`${op} c=${c}`])}\n`)
    }
  }
  console.log(JSON.stringify(out, null, 2))
  await runtime.dispose()
  await server.stop()
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
