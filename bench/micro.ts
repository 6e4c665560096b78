/**
 * The library's own CPU cost per call (process CPU time, steadier than wall time on a busy
 * machine), without a network: `Users.getById` and `Users.register`
 * over an `HttpClient` that answers at once from a precomputed body. What the overhead
 * benchmark's ratio comes from, measured alone (steadier on a busy machine, and quick to
 * profile: `node --import tsx --cpu-prof bench/micro.ts`).
 *
 *   node --import tsx --expose-gc bench/micro.ts [--calls N] [--rounds R]
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import { args, median, round, userJson } from "./lib/common.js"

const argv = args()
const calls = argv.number("calls", 20000)
const rounds = argv.number("rounds", 5)

const active = userJson("active")
const unverified = userJson("unverified")

const stub = HttpClient.make((request) =>
  Effect.succeed(HttpClientResponse.fromWeb(
    request,
    new Response(request.method === "GET" ? active : unverified, { status: 200, headers: { "content-type": "application/json" } })
  ))
)

/** The cost of building the stub's answer alone, to subtract. */
const baseline = Effect.sync(() => new Response(active, { status: 200, headers: { "content-type": "application/json" } })).pipe(
  Effect.flatMap((r) => Effect.promise(() => r.json()))
)

const main = async () => {
  const runtime = ManagedRuntime.make(
    Users.layer.pipe(
      Layer.provide(GlowmarktConfig.layer({
        baseUrl: "http://127.0.0.1:1/api/v0-1",
        applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
        directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
      })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, stub))
    )
  )
  const users = await runtime.runPromise(Users.Users)
  const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))
  const password = Redacted.make("correct horse battery staple")
  const ops: Record<string, (i: number) => Effect.Effect<unknown, unknown>> = {
    baseline: () => baseline,
    getById: () => Effect.provideService(users.getById("8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"), Credentials.AdminAuth, credential),
    register: (i) => users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password })
  }
  const result: Record<string, number> = {}
  for (const [name, op] of Object.entries(ops)) {
    const loop = Effect.forEach(Array.from({ length: calls }, (_, i) => i), op, { concurrency: 1, discard: true })
    await runtime.runPromise(loop) // warm-up
    const us: Array<number> = []
    for (let r = 0; r < rounds; r++) {
      globalThis.gc?.()
      const cpu0 = process.cpuUsage()
      await runtime.runPromise(loop)
      const cpu = process.cpuUsage(cpu0)
      us.push((cpu.user + cpu.system) / calls)
    }
    result[name] = round(median(us), 1)
    process.stderr.write(`micro ${name}: ${result[name]} µs CPU/call (rounds: ${us.map((u) => round(u, 1)).join(", ")})\n`)
  }
  await runtime.dispose()
  process.stdout.write(`${JSON.stringify({ cpuUsPerCall: result })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
