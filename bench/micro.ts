/**
 * The library's own CPU cost per call (process CPU time, steadier than wall time on a busy
 * machine), without a network: `Users.getById` and `Users.register`
 * over an `HttpClient` that answers at once from a precomputed body. What the overhead
 * benchmark's ratio comes from, measured alone (steadier on a busy machine, and quick to
 * profile: `node --import tsx --cpu-prof bench/micro.ts`).
 *
 * With `--transport undici`, the package's `UndiciHttpClient` on a dispatcher that answers at
 * once, so that the transport's own per-call path is in the measure; every op runs once per
 * round (rotating), and the library's ratio to the platform `HttpClient` by hand on the same
 * transport is computed per round.
 *
 *   node --import tsx --expose-gc bench/micro.ts [--calls N] [--rounds R] [--transport stub|undici] [--concurrency C]
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AddUserRes } from "../src/schema/Models.js"
import * as Credentials from "../src/services/Credentials.js"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, fakeDispatcher, median, round, userJson } from "./lib/common.js"
import { libraryOn, userId } from "./lib/library.js"

const argv = args()
const calls = argv.number("calls", 20000)
const rounds = argv.number("rounds", 5)
const concurrency = argv.number("concurrency", 1)
const transport = (argv.get("transport") ?? "stub") as "stub" | "undici"

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

const base = "http://127.0.0.1:1/api/v0-1"
const decode = Schema.decodeUnknown(AddUserRes)


const main = async () => {
  // `stub`: `HttpClient.make` answering a web `Response` (the historical micro); `undici`: the
  // package's `UndiciHttpClient.make` on a dispatcher that answers at once, which keeps the
  // transport's own per-call path (scoped requests, body reads) in the measure.
  const client = transport === "undici" ? UndiciHttpClient.make(fakeDispatcher()) : stub
  const { runtime, users, credential, password } = await libraryOn(client, base)
  const ops: Record<string, (i: number) => Effect.Effect<unknown, unknown>> = {
    ...(transport === "stub" ? { baseline: () => baseline } : {}),
    // The platform's HttpClient by hand on the same transport (request, `.json`, the same
    // decode): the overhead table's "httpclient", what the library is compared with.
    "httpclient getById": () =>
      client.get(`${base}/user/${userId}`, { headers: { accept: "application/json", authorization: "Basic aDpz" } }).pipe(
        Effect.flatMap((r) => r.json),
        Effect.flatMap(decode)
      ),
    "httpclient register": (i) =>
      client.execute(
        HttpClientRequest.post(`${base}/register`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyUnsafeJson({
            name: "Bench User",
            username: `user${i}@example.com`,
            email: `user${i}@example.com`,
            password: "correct horse battery staple",
            applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
            directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
          })
        )
      ).pipe(Effect.flatMap((r) => r.json), Effect.flatMap(decode)),
    getById: () => Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential),
    register: (i) => users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password })
  }
  const loops = Object.fromEntries(
    Object.entries(ops).map((
      [name, op]
    ) => [name, Effect.forEach(Array.from({ length: calls }, (_, i) => i), op, { concurrency, discard: true })])
  )
  for (const loop of Object.values(loops)) await runtime.runPromise(loop) // warm-up
  // Rotating rounds: every op once per round, so that the per-round ratios share the load.
  const us: Record<string, Array<number>> = {}
  for (let r = 0; r < rounds; r++) {
    for (const [name, loop] of Object.entries(loops)) {
      globalThis.gc?.()
      const cpu0 = process.cpuUsage()
      await runtime.runPromise(loop)
      const cpu = process.cpuUsage(cpu0)
      ;(us[name] ??= []).push((cpu.user + cpu.system) / calls)
    }
  }
  const result: Record<string, number> = {}
  for (const [name, values] of Object.entries(us)) {
    result[name] = round(median(values), 1)
    process.stderr.write(`micro ${transport} c=${concurrency} ${name}: ${result[name]} µs CPU/call (rounds: ${values.map((u) => round(u, 1)).join(", ")})\n`)
  }
  const ratios: Record<string, number> = {}
  for (const op of ["getById", "register"]) {
    const per = us[op]!.map((x, r) => x / us[`httpclient ${op}`]![r]!)
    ratios[op] = round(median(per), 3)
    process.stderr.write(`micro ${transport} c=${concurrency} ${op} / httpclient: ${ratios[op]} [${round(Math.min(...per), 3)}-${round(Math.max(...per), 3)}]\n`)
  }
  await runtime.dispose()
  process.stdout.write(`${JSON.stringify({ transport, concurrency, cpuUsPerCall: result, libraryOverHttpclient: ratios })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
