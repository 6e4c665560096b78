/**
 * What aborting a request costs, over a loopback socket: the same untraced `get` + `.json` against
 * the minimal server (`servers/minimal.ts`, its own process), in rotating rounds at concurrency 1
 * and 64, CPU µs per call:
 *
 * - **withScope**: `UndiciHttpClient` under `HttpClient.withScope`, each request in a scope of its
 *   own, the platform's path (an `AbortController` per request): how the services ran each
 *   attempt before `RequestAbort`, and how they still run on any other `HttpClient`;
 * - **RequestAbort**: `UndiciHttpClient` with a `RequestAbort` in context and a scope per request
 *   as well (the services keep one per attempt): how they run each attempt on this transport now;
 * - **layerUndici**: `NodeHttpClient.layerUndici` under `HttpClient.withScope`, for reference.
 *
 * The platform's client span is off for all three, as the services run their attempts.
 *
 *   npx tsc -p bench/tsconfig.build.json && node --expose-gc bench/results/tmp/build/bench/transport.js [--calls1 N] [--calls64 N] [--rounds R]
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Scope from "effect/Scope"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, median, round, startServer } from "./lib/common.js"

const argv = args()
const rounds = argv.number("rounds", 5)
const callsAt = (c: number) => argv.number(`calls${c}`, c === 1 ? 4000 : 20000)

const owner: UndiciHttpClient.AbortOwner = { onRequest: () => {} }

const main = async () => {
  const server = await startServer<{ port: number }>("servers/minimal.ts")
  const url = `http://127.0.0.1:${server.info.port}/api/v0-1/user/u-1`
  const runtimeOf = (layer: Layer.Layer<HttpClient.HttpClient>) => ManagedRuntime.make(layer)
  const ours = runtimeOf(UndiciHttpClient.layer)
  const platform = runtimeOf(NodeHttpClient.layerUndici)
  /**
   * One call as an attempt runs it: in a scope of its own (left open when the call succeeds, as
   * the services leave it), the platform's span off.
   */
  const attempt = (client: HttpClient.HttpClient.With<unknown, Scope.Scope>, withOwner: boolean) =>
    Effect.flatMap(Scope.make(), (scope) =>
      Effect.flatMap(client.get(url), (response) => response.json).pipe(
        withOwner ? Effect.provideService(UndiciHttpClient.RequestAbort, owner) : (effect) => effect,
        Effect.provideService(Scope.Scope, scope),
        Effect.locally(HttpClient.currentTracerDisabledWhen, () => true)
      ))
  const variant = async (runtime: ManagedRuntime.ManagedRuntime<HttpClient.HttpClient, never>, scoped: boolean, withOwner: boolean) => {
    const base = await runtime.runPromise(HttpClient.HttpClient)
    const client = scoped ? HttpClient.withScope(base) : base
    const one = attempt(client, withOwner)
    return (n: number, c: number) =>
      runtime.runPromise(Effect.forEach(Array.from({ length: n }), () => one, { concurrency: c, discard: true }))
  }
  const variants = {
    withScope: await variant(ours, true, false),
    RequestAbort: await variant(ours, false, true),
    layerUndici: await variant(platform, true, false)
  }
  const names = Object.keys(variants) as Array<keyof typeof variants>
  const out: Record<string, unknown> = {}
  for (const c of [1, 64]) {
    const n = callsAt(c)
    globalThis.gc?.()
    for (const name of names) await variants[name](1000, c)
    const cpu: Record<string, Array<number>> = {}
    for (let r = 0; r < rounds; r++) {
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)]
      for (const name of order) {
        const c0 = process.cpuUsage()
        await variants[name](n, c)
        const c1 = process.cpuUsage(c0)
        ;(cpu[name] ??= []).push((c1.user + c1.system) / n)
      }
    }
    const ratios = cpu.RequestAbort!.map((x, r) => x / cpu.withScope![r]!)
    out[`c=${c}`] = {
      cpuUsPerCall: Object.fromEntries(names.map((name) => [name, round(median(cpu[name]!), 1)])),
      savedUsPerCall: round(median(cpu.withScope!.map((x, r) => x - cpu.RequestAbort![r]!)), 1),
      requestAbortOverWithScope: { median: round(median(ratios), 3), min: round(Math.min(...ratios), 3), max: round(Math.max(...ratios), 3) }
    }
  }
  console.log(JSON.stringify(out, null, 2))
  await ours.dispose()
  await platform.dispose()
  await server.stop()
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
