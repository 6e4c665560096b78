/**
 * Per-call overhead: the same N calls made by the library's service, by raw undici and by
 * fetch, against a minimal node:http server in another process (see servers/minimal.ts), at
 * each concurrency, in alternating rounds (library, undici, fetch, library, ...).
 *
 * Three more clients locate the library's cost between raw undici and the library:
 * - `effect`: raw undici inside `Effect.tryPromise`, plus `Schema.decodeUnknown(AddUserRes)`, run
 *   like the library (`Effect.forEach` with the same concurrency): the floor of any Effect client
 *   that decodes what it gets;
 * - `httpclient`: the platform's `HttpClient` on `NodeHttpClient.layerUndici`, request + `.json` +
 *   the same decode, without `HttpApiClient` or any of the library's code;
 * - `library-buffered`: the library on a buffered undici `HttpClient` (bench/lib/bufferedClient.ts)
 *   instead of `layerUndici`: how much of the library's cost is the transport.
 *
 * Child of bench/main.ts; prints its result as one JSON line. Arguments: `--calls1 N` (calls
 * per run at concurrency 1), `--calls64 N`, `--rounds R`, `--only a,b` (clients, e.g. for a CPU
 * profile of one).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { performance } from "node:perf_hooks"
import { Agent } from "undici"
import { AddUserRes } from "../src/schema/Models.js"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import * as BufferedClient from "./lib/bufferedClient.js"
import { args, median, percentile, round, startServer, reportAsChild } from "./lib/common.js"

const argv = args()
const rounds = argv.number("rounds", 7)
const callsAt = (c: number) => argv.number(`calls${c}`, c === 1 ? 4000 : 20000)
const concurrencies = (argv.get("concurrency") ?? "1,64").split(",").map(Number)
const ops = (argv.get("ops") ?? "getById,register").split(",") as Array<Op>
const only = argv.get("only")?.split(",")

const applicationId = "b0f1b774-a586-4f72-9edd-27ead8aa7a8d"
const directoryId = "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
const userId = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"
const keyId = "bench-key"
const secret = "bench-secret"
const basic = `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`

type Op = "getById" | "register"
export const clientNames = ["library", "library-buffered", "httpclient", "effect", "undici", "fetch"] as const
type ClientName = typeof clientNames[number]

/** One run: n calls of op at concurrency c, each call's latency in ms. */
type Runner = (op: Op, n: number, c: number, latencies: Float64Array) => Promise<void>

const registerBody = (i: number) => ({
  applicationId,
  directoryId,
  email: `user${i}@example.com`,
  name: "Bench User",
  password: "correct horse battery staple",
  username: `user${i}@example.com`
})

/** A plain JS pool of c workers over n indices. */
const pool = async (n: number, c: number, latencies: Float64Array, one: (i: number) => Promise<unknown>) => {
  let next = 0
  const worker = async () => {
    while (next < n) {
      const i = next++
      const t0 = performance.now()
      await one(i)
      latencies[i] = performance.now() - t0
    }
  }
  await Promise.all(Array.from({ length: Math.min(c, n) }, worker))
}

const main = async () => {
  const server = await startServer<{ port: number }>("servers/minimal.ts")
  const origin = `http://127.0.0.1:${server.info.port}`
  const baseUrl = `${origin}/api/v0-1`

  const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId, secret }))
  const password = Redacted.make("correct horse battery staple")
  const config = GlowmarktConfig.layer({ baseUrl, applicationId, directoryId })

  /** Runs n calls of an effect at concurrency c the way the library is run: `Effect.forEach`. */
  const effectRunner = <R>(
    runtime: ManagedRuntime.ManagedRuntime<R, unknown>,
    one: (op: Op, i: number) => Effect.Effect<unknown, unknown, R>
  ): Runner =>
  (op, n, c, latencies) => {
    const timed = (i: number) =>
      Effect.suspend(() => {
        const t0 = performance.now()
        return Effect.map(one(op, i), () => {
          latencies[i] = performance.now() - t0
        })
      })
    return runtime.runPromise(
      Effect.forEach(Array.from({ length: n }, (_, i) => i), timed, { concurrency: c, discard: true })
    )
  }

  // (a) the library: Users on the derived client, over NodeHttpClient.layerUndici (and, to
  // compare, over the bench's buffered client).
  const libraryOn = async (httpClient: Layer.Layer<HttpClient.HttpClient>) => {
    const runtime = ManagedRuntime.make(Users.layer.pipe(Layer.provide(config), Layer.provide(httpClient)))
    const users = await runtime.runPromise(Users.Users)
    const runner = effectRunner(runtime, (op, i) =>
      op === "getById"
        ? Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential)
        : users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password }))
    return { runtime, runner }
  }
  const library = await libraryOn(NodeHttpClient.layerUndici)
  const libraryBuffered = await libraryOn(BufferedClient.layer)

  // The platform's HttpClient alone: request, .json, the same decode.
  const decode = Schema.decodeUnknown(AddUserRes)
  const platform = ManagedRuntime.make(NodeHttpClient.layerUndici)
  const client = await platform.runPromise(HttpClient.HttpClient)
  const httpclient = effectRunner(platform, (op, i) =>
    (op === "getById"
      ? client.get(`${baseUrl}/user/${encodeURIComponent(userId)}`, {
        headers: { accept: "application/json", authorization: basic }
      })
      : client.execute(
        HttpClientRequest.post(`${baseUrl}/register`).pipe(
          HttpClientRequest.acceptJson,
          HttpClientRequest.bodyUnsafeJson(registerBody(i))
        )
      )).pipe(Effect.flatMap((res) => res.json), Effect.flatMap(decode)))

  // (b) raw undici: an Agent (as layerUndici makes), dispatcher.request + JSON.parse.
  const agent = new Agent()
  const undiciCall = async (op: Op, i: number) => {
    const res = op === "getById"
      ? await agent.request({
        origin,
        path: `/api/v0-1/user/${encodeURIComponent(userId)}`,
        method: "GET",
        headers: { accept: "application/json", authorization: basic }
      })
      : await agent.request({
        origin,
        path: "/api/v0-1/register",
        method: "POST",
        headers: { accept: "application/json", "content-type": "application/json" },
        body: JSON.stringify(registerBody(i))
      })
    const body = JSON.parse(await res.body.text())
    if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
    return body
  }
  const undici: Runner = (op, n, c, latencies) => pool(n, c, latencies, (i) => undiciCall(op, i))

  // The floor of an Effect client: the same undici call in Effect.tryPromise, and the decode.
  const bare = ManagedRuntime.make(Layer.empty)
  const effect = effectRunner(bare, (op, i) => Effect.flatMap(Effect.tryPromise(() => undiciCall(op, i)), decode))

  // (c) fetch: Node's built-in fetch + .json().
  const fetcher: Runner = (op, n, c, latencies) =>
    pool(n, c, latencies, async (i) => {
      const res = op === "getById"
        ? await fetch(`${baseUrl}/user/${encodeURIComponent(userId)}`, {
          headers: { accept: "application/json", authorization: basic }
        })
        : await fetch(`${baseUrl}/register`, {
          method: "POST",
          headers: { accept: "application/json", "content-type": "application/json" },
          body: JSON.stringify(registerBody(i))
        })
      const body = await res.json()
      if (res.status !== 200) throw new Error(`status ${res.status}`)
      return body
    })

  const runners: Record<ClientName, Runner> = {
    library: library.runner,
    "library-buffered": libraryBuffered.runner,
    httpclient,
    effect,
    undici,
    fetch: fetcher
  }
  const clients = clientNames.filter((name) => only === undefined || only.includes(name)).map((name) =>
    [name, runners[name]] as const
  )

  const results: Array<Record<string, unknown>> = []
  for (const op of ops) {
    for (const c of concurrencies) {
      const n = callsAt(c)
      // Warm-up: JIT, connections.
      for (const [, run] of clients) await run(op, Math.ceil(n / 4), c, new Float64Array(n))
      const perRound: Record<string, Array<{ rps: number; p50: number; p99: number; wall: number; cpu: number }>> = {}
      for (let r = 0; r < rounds; r++) {
        for (const [name, run] of clients) {
          globalThis.gc?.()
          const latencies = new Float64Array(n)
          const cpu0 = process.cpuUsage()
          const t0 = performance.now()
          await run(op, n, c, latencies)
          const wall = performance.now() - t0
          const cpu1 = process.cpuUsage(cpu0)
          const list = Array.from(latencies)
          ;(perRound[name] ??= []).push({ rps: n / (wall / 1000), p50: percentile(list, 50), p99: percentile(list, 99), wall, cpu: (cpu1.user + cpu1.system) / n })
        }
      }
      const summary = (name: string) => {
        const rs = perRound[name] ?? []
        return {
          rps: round(median(rs.map((x) => x.rps)), 0),
          p50ms: round(median(rs.map((x) => x.p50)), 3),
          p99ms: round(median(rs.map((x) => x.p99)), 3),
          // CPU time of this (client) process per call, µs: steadier than wall time on a busy machine.
          cpuUs: round(median(rs.map((x) => x.cpu)), 0)
        }
      }
      /** name / undici: the median over rounds of the ratio within a round. */
      const ratio = (name: ClientName, metric: "wall" | "p50" | "cpu") =>
        perRound[name] && perRound.undici
          ? round(median(perRound[name]!.map((x, r) => x[metric] / perRound.undici![r]![metric])), 3)
          : null
      const row = {
        op,
        concurrency: c,
        calls: n,
        rounds,
        clients: Object.fromEntries(clients.map(([name]) => [name, {
          ...summary(name),
          // The cost of a call relative to raw undici: wall time (= undici rps / this rps), p50, CPU.
          ratioTime: ratio(name, "wall"),
          ratioP50: ratio(name, "p50"),
          ratioCpu: ratio(name, "cpu")
        }]))
      }
      results.push(row)
      process.stderr.write(`overhead ${op} c=${c}: ${JSON.stringify(row)}\n`)
    }
  }
  await Promise.all([library.runtime.dispose(), libraryBuffered.runtime.dispose(), platform.dispose(), bare.dispose()])
  await agent.close()
  await server.stop()
  return {
    server: "minimal node:http server in a separate process, answering from a precomputed body",
    libraryHttpClient: "NodeHttpClient.layerUndici",
    rows: results
  }
}

reportAsChild(main)
