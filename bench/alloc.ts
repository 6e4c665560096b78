/**
 * Bytes allocated per call, from V8's sampling heap profiler (objects collected by the GC
 * included): the garbage a call makes is what the collector pays for under concurrency.
 * Runs N `getUserById` calls at concurrency 64 against the minimal server, made by one client:
 *
 * - `library`: `Users.getById` on `NodeHttpClient.layerUndici`;
 * - `library@UndiciHttpClient`: the same on the package's `UndiciHttpClient.layer`;
 * - `httpclient`: the platform's `HttpClient` alone, `.json` and the decode;
 * - `httpclient@UndiciHttpClient`: the same on `UndiciHttpClient.layer`;
 * - `effect`: raw undici in `Effect.tryPromise` and the decode.
 *
 *   npx tsc -p bench/tsconfig.build.json && node bench/results/tmp/build/bench/alloc.js [--client library] [--calls N] [--top K]
 *
 * Prints the total per call and the functions that allocate most (self bytes per call).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Schema from "effect/Schema"
import { Session } from "node:inspector/promises"
import { Agent } from "undici"
import { AddUserRes } from "../src/schema/Models.js"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, startServer } from "./lib/common.js"

interface ProfileNode {
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly selfSize: number
  readonly children: ReadonlyArray<ProfileNode>
}

const argv = args()
const clientName = argv.get("client") ?? "library"
const calls = argv.number("calls", 10_000)
const top = argv.number("top", 25)
const userId = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"
const headers = { accept: "application/json", authorization: `Basic ${Buffer.from("bench-key:bench-secret").toString("base64")}` }

const main = async () => {
  const server = await startServer<{ port: number }>("servers/minimal.ts")
  const origin = `http://127.0.0.1:${server.info.port}`
  const baseUrl = `${origin}/api/v0-1`
  const decode = Schema.decodeUnknown(AddUserRes)
  const transport = clientName.endsWith("@UndiciHttpClient") ? UndiciHttpClient.layer : NodeHttpClient.layerUndici
  const runtime = ManagedRuntime.make(Layer.merge(
    Users.layer.pipe(
      Layer.provide(GlowmarktConfig.layer({ baseUrl, applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d" })),
      Layer.provide(transport)
    ),
    transport
  ))
  const users = await runtime.runPromise(Users.Users)
  const client = await runtime.runPromise(HttpClient.HttpClient)
  const agent = new Agent()
  const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "bench-key", secret: "bench-secret" }))
  const one: Effect.Effect<unknown, unknown> = clientName.startsWith("library")
    ? Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential)
    : clientName.startsWith("httpclient")
    ? client.get(`${baseUrl}/user/${userId}`, { headers }).pipe(Effect.flatMap((res) => res.json), Effect.flatMap(decode))
    : Effect.tryPromise(async () => {
      const res = await agent.request({ origin, path: `/api/v0-1/user/${userId}`, method: "GET", headers })
      return JSON.parse(await res.body.text()) as unknown
    }).pipe(Effect.flatMap(decode))
  const run = (n: number) =>
    runtime.runPromise(Effect.forEach(Array.from({ length: n }), () => one, { concurrency: 64, discard: true }))

  await run(Math.ceil(calls / 3)) // warm-up
  const session = new Session()
  session.connect()
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true
  })
  await run(calls)
  const { profile } = await session.post("HeapProfiler.stopSampling")
  session.disconnect()

  const self = new Map<string, number>()
  let total = 0
  const walk = (node: ProfileNode) => {
    const f = node.callFrame
    const where = f.url === "" ? "" : ` ${f.url.replace(/^.*node_modules\//, "").replace(/^.*\/build\//, "")}:${f.lineNumber + 1}`
    const label = `${f.functionName || "(anonymous)"}${where}`
    total += node.selfSize
    self.set(label, (self.get(label) ?? 0) + node.selfSize)
    for (const child of node.children) walk(child)
  }
  walk(profile.head as unknown as ProfileNode)
  console.log(`${clientName}: ${Math.round(total / calls)} bytes allocated per call (${calls} calls, concurrency 64)`)
  for (const [label, bytes] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${String(Math.round(bytes / calls)).padStart(7)} B  ${label}`)
  }
  await runtime.dispose()
  await agent.close()
  await server.stop()
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
