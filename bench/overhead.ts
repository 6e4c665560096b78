/**
 * Per-call cost: the same N `getUserById` calls and N `register` calls made by the library and by
 * what a user would pick instead, against a minimal node:http server in another process (see
 * servers/minimal.ts), at each concurrency, in rotating rounds (every client once per round, in
 * the same order), after a stated warm-up. CPU per call (this process's user + system time / N)
 * is the headline figure; ratios are computed within each round, then the median taken.
 *
 * In this process:
 * - `library`: `Users.getById` (app keys) / `Users.register` on `NodeHttpClient.layerUndici`;
 * - `library@UndiciHttpClient`: the same on the package's optional `UndiciHttpClient.layer`;
 * - `httpclient`, `httpclient@UndiciHttpClient`: the platform's `HttpClient` used by hand on each
 *   transport (request, `.json`, `Schema.decodeUnknown(AddUserRes)`): what an Effect user writes
 *   without us;
 * - `effect`: raw undici inside `Effect.tryPromise` + the same decode, run by `Effect.forEach`:
 *   the floor of any Effect client that decodes;
 * - `undici`: `Agent.request` + `JSON.parse` (the Agent that layerUndici makes);
 * - `fetch`: Node's `fetch` + `.json()`;
 * - `openapi-fetch`: `createClient<paths>()` with path types generated from the spec at bench
 *   build time (bench/openapi/client.ts); skipped with a note when they were not generated.
 *
 * In its own process, once per round right after the others (this process idle meanwhile):
 * - `python`: bench/python/client.py, the per-call work of the swagger-codegen Python client on
 *   one urllib3 PoolManager, 1 thread at concurrency 1 and 8 threads at concurrency 64 (as the
 *   issue measured it); CPU per call from time.process_time. Skipped with a note when no Python
 *   that can import urllib3 is found (`BENCH_PYTHON`, then /usr/bin/python3 with Debian's python3-urllib3, python3, python).
 *
 * Child of bench/main.ts; prints its result as one JSON line. Arguments: `--calls1 N` (calls
 * per run at concurrency 1), `--calls64 N`, `--rounds R`, `--warmup N` (calls per client before
 * the rounds of each op and concurrency), `--only a,b` (clients, e.g. for a CPU profile of one),
 * `--concurrency 1,64`, `--ops getById,register`, `--gc block|each|rewarm` (below).
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
import { execFileSync, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { Agent } from "undici"
import { AddUserRes } from "../src/schema/Models.js"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, benchDir, median, percentile, round, startServer, reportAsChild } from "./lib/common.js"

const argv = args()
const rounds = argv.number("rounds", 7)
const callsAt = (c: number) => argv.number(`calls${c}`, c === 1 ? 4000 : 20000)
const warmup = argv.number("warmup", 1000)
const concurrencies = (argv.get("concurrency") ?? "1,64").split(",").map(Number)
const ops = (argv.get("ops") ?? "getById,register").split(",") as Array<Op>
const only = argv.get("only")?.split(",")
/**
 * When the harness forces a full collection (`global.gc`, under --expose-gc):
 * - `block` (default): once before the warm-up of each op and concurrency, never between runs;
 * - `each`: before every client's run, as this bench did before (BENCHMARKS.md, "The c=1 gap").
 *   Measured: a forced full collection with no call in flight frees the maps of the per-call
 *   object shapes, V8 marks the optimised code that embeds them for deoptimisation ("weak
 *   objects", `--trace-deopt-verbose`: 17 functions, among them the fiber's `runMicrotask`,
 *   `contOpSuccess`, `next`), and the run after it re-optimises (218 vs 54 "completed" lines of
 *   `--trace-opt` in the next 2,000 calls; compiled on V8's background threads, which this
 *   process's CPU counts) and runs unoptimised meanwhile: 1.5-2x the steady cost for the first
 *   ~600 calls at c=1 (about 450-500 instead of 250-290 µs per call over a 1,000-call run), and
 *   more for the client with more code on its path;
 * - `rewarm`: as `each`, then `--rewarm N` unmeasured calls of the same client before its run.
 */
const gcMode = (argv.get("gc") ?? "block") as "block" | "each" | "rewarm"
const rewarm = argv.number("rewarm", 500)
/** Python threads for a concurrency: 1 at 1, 8 above (the issue's measurement of the real client). */
const pythonThreads = (c: number) => (c === 1 ? 1 : argv.number("python-threads", 8))

const applicationId = "b0f1b774-a586-4f72-9edd-27ead8aa7a8d"
const directoryId = "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
const userId = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"
const keyId = "bench-key"
const secret = "bench-secret"
const basic = `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`

type Op = "getById" | "register"
export const clientNames = [
  "library",
  "library@UndiciHttpClient",
  "httpclient",
  "httpclient@UndiciHttpClient",
  "effect",
  "undici",
  "fetch",
  "openapi-fetch",
  "python"
] as const
type ClientName = typeof clientNames[number]

/** The transports the library runs on here, and the hand-written platform client on the same one. */
export const transports = [
  { name: "layerUndici", library: "library", httpclient: "httpclient" },
  { name: "UndiciHttpClient", library: "library@UndiciHttpClient", httpclient: "httpclient@UndiciHttpClient" }
] as const

/** What a client measured in its own process reports (ms, and CPU µs per call). */
interface Elsewhere {
  readonly cpuUs: number
  readonly p50ms: number
  readonly p99ms: number
  readonly wall: number
}

/** One run: n calls of op at concurrency c, each call's latency in ms; or, for another process, its own figures. */
type Runner = (op: Op, n: number, c: number, latencies: Float64Array) => Promise<void | Elsewhere>

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

/** The openapi-fetch client, when its path types were generated (see bench/openapi/client.ts). */
const loadOpenApiFetch = async (): Promise<
  { make: (baseUrl: string, authorization: string) => { getById: (id: string) => Promise<unknown>; register: (body: ReturnType<typeof registerBody>) => Promise<unknown> } } | string
> => {
  const compiled = import.meta.url.endsWith(".js")
  const file = path.join(path.dirname(fileURLToPath(import.meta.url)), "openapi", compiled ? "client.js" : "client.ts")
  const types = path.join(benchDir, "results", "tmp", "openapi", "glowmarkt-paths.ts")
  if (!existsSync(file) || !existsSync(types)) {
    return "skipped: no path types (generated from ../shared/glowmarkt/user-system.swagger.yaml by bench/main.ts)"
  }
  return await import(file)
}

/** The first Python that can import urllib3, or why there is none. */
const findPython = (): { python: string } | string => {
  const candidates = [process.env.BENCH_PYTHON, "/usr/bin/python3", "python3", "python"].filter((x): x is string => !!x)
  for (const python of candidates) {
    try {
      execFileSync(python, ["-c", "import urllib3"], { stdio: "ignore", timeout: 20_000 })
      return { python }
    } catch {
      // next
    }
  }
  return `skipped: no Python that can import urllib3 among ${candidates.join(", ")} (Debian: apt-get install python3-urllib3)`
}

/** The Python client process: one JSON command per line in, one JSON result per line out. */
const startPython = async (python: string) => {
  const child = spawn(python, [path.join(benchDir, "python", "client.py")], { stdio: ["pipe", "pipe", "inherit"] })
  const lines = createInterface({ input: child.stdout! })
  const waiting: Array<(line: string) => void> = []
  lines.on("line", (line) => waiting.shift()?.(line))
  const next = () => new Promise<string>((resolve) => waiting.push(resolve))
  const banner = JSON.parse(await next()) as { python: string; urllib3: string }
  return {
    banner,
    run: async (command: Record<string, unknown>) => {
      const answer = next()
      child.stdin!.write(`${JSON.stringify(command)}\n`)
      return JSON.parse(await answer) as { cpuUs: number; wall: number; p50ms: number; p99ms: number; errors: number; firstError: string | null }
    },
    stop: () => {
      child.stdin!.end()
      child.kill("SIGTERM")
    }
  }
}

const main = async () => {
  const server = await startServer<{ port: number }>("servers/minimal.ts")
  const origin = `http://127.0.0.1:${server.info.port}`
  const baseUrl = `${origin}/api/v0-1`
  const notes: Array<string> = []
  const want = (name: ClientName) => only === undefined || only.includes(name)

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
  const runtimes: Array<{ readonly dispose: () => Promise<void> }> = []

  // The library on a transport.
  const libraryOn = async (httpClient: Layer.Layer<HttpClient.HttpClient>): Promise<Runner> => {
    const runtime = ManagedRuntime.make(Users.layer.pipe(Layer.provide(config), Layer.provide(httpClient)))
    runtimes.push(runtime)
    const users = await runtime.runPromise(Users.Users)
    return effectRunner(runtime, (op, i) =>
      op === "getById"
        ? Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential)
        : users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password }))
  }

  // The platform's HttpClient used by hand on a transport: request, .json, the same decode.
  const decode = Schema.decodeUnknown(AddUserRes)
  const httpclientOn = async (httpClient: Layer.Layer<HttpClient.HttpClient>): Promise<Runner> => {
    const runtime = ManagedRuntime.make(httpClient)
    runtimes.push(runtime)
    const client = await runtime.runPromise(HttpClient.HttpClient)
    return effectRunner(runtime, (op, i) =>
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
  }

  // Raw undici: an Agent (as layerUndici makes), dispatcher.request + JSON.parse.
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
  runtimes.push(bare)
  const effect = effectRunner(bare, (op, i) => Effect.flatMap(Effect.tryPromise(() => undiciCall(op, i)), decode))

  // Node's built-in fetch + .json().
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

  const runners: Partial<Record<ClientName, Runner>> = {}
  if (want("library")) runners.library = await libraryOn(NodeHttpClient.layerUndici)
  if (want("library@UndiciHttpClient")) runners["library@UndiciHttpClient"] = await libraryOn(UndiciHttpClient.layer)
  if (want("httpclient")) runners.httpclient = await httpclientOn(NodeHttpClient.layerUndici)
  if (want("httpclient@UndiciHttpClient")) runners["httpclient@UndiciHttpClient"] = await httpclientOn(UndiciHttpClient.layer)
  if (want("effect")) runners.effect = effect
  if (want("undici")) runners.undici = undici
  if (want("fetch")) runners.fetch = fetcher
  let openapiFetch = "generated: openapi-typescript 7 from the spec (Swagger 2.0 converted by swagger2openapi) at bench build time"
  if (want("openapi-fetch")) {
    const loaded = await loadOpenApiFetch()
    if (typeof loaded === "string") {
      openapiFetch = loaded
      notes.push(`openapi-fetch ${loaded}`)
    } else {
      const client = loaded.make(baseUrl, basic)
      runners["openapi-fetch"] = (op, n, c, latencies) =>
        pool(n, c, latencies, (i) => (op === "getById" ? client.getById(userId) : client.register(registerBody(i))))
    }
  }
  let python: Awaited<ReturnType<typeof startPython>> | undefined
  let pythonNote: string | undefined
  if (want("python")) {
    const found = findPython()
    if (typeof found === "string") {
      pythonNote = found
      notes.push(`python ${found}`)
    } else {
      python = await startPython(found.python)
      pythonNote = `${found.python}: Python ${python.banner.python}, urllib3 ${python.banner.urllib3}; its own process; 1 thread at c=1, ${pythonThreads(64)} at c=64`
      const py = python
      runners.python = async (op, n, c) => {
        const r = await py.run({ op, n, threads: pythonThreads(c), origin })
        if (r.errors > 0) throw new Error(`python: ${r.errors} errors, first ${r.firstError}`)
        return { cpuUs: r.cpuUs, p50ms: r.p50ms, p99ms: r.p99ms, wall: r.wall * 1000 }
      }
    }
  }
  const clients = clientNames.filter((name) => runners[name] !== undefined).map((name) => [name, runners[name]!] as const)

  type Sample = { rps: number; p50: number; p99: number; wall: number; cpu: number }
  const results: Array<Record<string, unknown>> = []
  for (const op of ops) {
    for (const c of concurrencies) {
      const n = callsAt(c)
      // Warm-up: JIT, connections; `warmup` calls per client. One forced collection first (see gcMode).
      globalThis.gc?.()
      for (const [, run] of clients) await run(op, warmup, c, new Float64Array(warmup))
      const perRound: Partial<Record<ClientName, Array<Sample>>> = {}
      // Each round starts one client later (python, in its own process, stays last): without a
      // forced collection between runs, the garbage a client leaves is collected in whichever
      // run comes next, and a fixed order would always hand it to the same client.
      const inProcess = clients.filter(([name]) => name !== "python")
      const otherProcess = clients.filter(([name]) => name === "python")
      for (let r = 0; r < rounds; r++) {
        const order = [...inProcess.slice(r % inProcess.length), ...inProcess.slice(0, r % inProcess.length), ...otherProcess]
        for (const [name, run] of order) {
          if (gcMode !== "block") globalThis.gc?.()
          if (gcMode === "rewarm" && name !== "python") await run(op, rewarm, c, new Float64Array(rewarm))
          const latencies = new Float64Array(n)
          const cpu0 = process.cpuUsage()
          const t0 = performance.now()
          const elsewhere = await run(op, n, c, latencies)
          let wall = performance.now() - t0
          const cpu1 = process.cpuUsage(cpu0)
          let sample: Sample
          if (elsewhere) {
            wall = elsewhere.wall
            sample = { rps: n / (wall / 1000), p50: elsewhere.p50ms, p99: elsewhere.p99ms, wall, cpu: elsewhere.cpuUs }
          } else {
            const list = Array.from(latencies)
            sample = { rps: n / (wall / 1000), p50: percentile(list, 50), p99: percentile(list, 99), wall, cpu: (cpu1.user + cpu1.system) / n }
          }
          ;(perRound[name] ??= []).push(sample)
        }
      }
      const summary = (name: ClientName) => {
        const rs = perRound[name] ?? []
        return {
          rps: round(median(rs.map((x) => x.rps)), 0),
          p50ms: round(median(rs.map((x) => x.p50)), 3),
          p99ms: round(median(rs.map((x) => x.p99)), 3),
          // CPU time of the client's process per call, µs: steadier than wall time on a busy machine.
          cpuUs: round(median(rs.map((x) => x.cpu)), 0)
        }
      }
      /** a / b within each round: the per-round values, their median, min and max. */
      const perRoundRatio = (a: ClientName, b: ClientName, metric: "wall" | "p50" | "cpu" = "cpu") => {
        const xs = perRound[a]
        const ys = perRound[b]
        if (!xs || !ys) return null
        const values = xs.map((x, r) => round(x[metric] / ys[r]![metric], 3))
        return { median: round(median(values), 3), min: Math.min(...values), max: Math.max(...values), rounds: values }
      }
      const row = {
        op,
        concurrency: c,
        pythonThreads: pythonThreads(c),
        calls: n,
        warmup,
        rounds,
        clients: Object.fromEntries(clients.map(([name]) => [name, {
          ...summary(name),
          // Against raw undici (in this process; python's CPU is its own process's).
          ratioCpu: perRoundRatio(name, "undici")?.median ?? null,
          ratioTime: perRoundRatio(name, "undici", "wall")?.median ?? null
        }])),
        // The issue's targets, per transport of the library, on CPU per call, per round.
        targets: Object.fromEntries(transports.map((t) => [t.name, {
          python: perRoundRatio(t.library, "python"),
          openapiFetch: perRoundRatio(t.library, "openapi-fetch"),
          httpclient: perRoundRatio(t.library, t.httpclient),
          undici: perRoundRatio(t.library, "undici")
        }])),
        // What the transport itself gains: UndiciHttpClient / layerUndici, per round.
        transportGain: {
          library: perRoundRatio("library@UndiciHttpClient", "library"),
          httpclient: perRoundRatio("httpclient@UndiciHttpClient", "httpclient")
        }
      }
      results.push(row)
      process.stderr.write(`overhead ${op} c=${c}: ${JSON.stringify(row.clients)}\n`)
    }
  }
  python?.stop()
  await Promise.all(runtimes.map((r) => r.dispose()))
  await agent.close()
  await server.stop()
  return {
    server: "minimal node:http server in a separate process, answering from a precomputed body",
    libraryHttpClient: "NodeHttpClient.layerUndici (library) and UndiciHttpClient.layer (library@UndiciHttpClient)",
    warmup: `${warmup} calls per client before the rounds of each op and concurrency (the clients then run ${rounds} rotating rounds; each process stays warm across sections)`,
    openapiFetch,
    python: pythonNote ?? "not run",
    notes,
    rows: results
  }
}

reportAsChild(main)
