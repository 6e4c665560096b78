/**
 * What a call costs when the process slept before it: why every figure at concurrency 1 is
 * several times the same client's figure back to back (BENCHMARKS.md, "The c=1 gap").
 *
 * Each load runs N times on one core, with no network and no other process: the library's
 * `getById` and `register` and the platform's `HttpClient` by hand, each on `UndiciHttpClient`
 * over a dispatcher that answers at once; the Effect floor (that dispatcher's answer in
 * `Effect.tryPromise`, and the same decode); and three synthetic loads, to tell what kind of work
 * pays: arithmetic on a few registers, 40 KB of small objects, and 400 small distinct functions.
 * Between two runs of a load the process either
 *
 * - goes on at once (`back to back`);
 * - sleeps until a `setTimeout(0)` fires, about 1 ms (`asleep`): what a call at concurrency 1
 *   does while its answer travels;
 * - spins for 200 µs (`awake`): a pause as long, without sleeping.
 *
 * Each figure is CPU µs per run, less that of the same loop without the load (the pause alone);
 * rotating rounds, median.
 *
 *   npx tsc -p bench/tsconfig.build.json && node --expose-gc bench/results/tmp/build/bench/idle.js [--calls N] [--rounds R]
 */
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { AddUserRes } from "../src/schema/Models.js"
import * as Credentials from "../src/services/Credentials.js"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { args, fakeDispatcher, median, round } from "./lib/common.js"
import { libraryOn, userId } from "./lib/library.js"

const argv = args()
const calls = argv.number("calls", 2000)
const rounds = argv.number("rounds", 7)

const base = "http://127.0.0.1:1/api/v0-1"

const pauses = {
  "back to back": Effect.void,
  asleep: Effect.async<void>((resume) => {
    const timer = setTimeout(() => resume(Effect.void), 0)
    return Effect.sync(() => clearTimeout(timer))
  }),
  awake: Effect.sync(() => {
    const until = performance.now() + 0.2
    while (performance.now() < until) {
      // spin
    }
  })
}
type Pause = keyof typeof pauses

// The synthetic loads. `sink` keeps their results alive enough that nothing is optimised away.
const sink: { value: unknown } = { value: undefined }
const alu = () => {
  let s = 0
  for (let i = 0; i < 20_000; i++) s = (s * 31 + i) | 0
  sink.value = s
}
const allocate = () => {
  const objects: Array<{ readonly i: number; readonly next: unknown }> = []
  for (let i = 0; i < 1000; i++) objects.push({ i, next: objects })
  sink.value = objects
}
const functions = Array.from({ length: 400 }, (_, k) =>
  // Each a function of its own (its own code, its own feedback), as a large code path has.
  new Function("i", `let s = ${k}; for (let j = 0; j < 3; j++) s = (s ^ (i + j * ${k + 1})) * 1.0001; return s + ${k}`) as (
    i: number
  ) => number)
const code = () => {
  let s = 0
  for (let i = 0; i < functions.length; i++) s += functions[i]!(i)
  sink.value = s
}

const main = async () => {
  const dispatcher = fakeDispatcher()
  const client = UndiciHttpClient.make(dispatcher)
  const { runtime, users, credential, password } = await libraryOn(client, base)
  const decode = Schema.decodeUnknown(AddUserRes)
  const loads: Record<string, (i: number) => Effect.Effect<unknown, unknown>> = {
    "library getById": () => Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential),
    "library register": (i) =>
      users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password }),
    "httpclient getById": () =>
      client.get(`${base}/user/${userId}`, { headers: { accept: "application/json" } }).pipe(
        Effect.flatMap((r) => r.json),
        Effect.flatMap(decode)
      ),
    "effect floor getById": () =>
      Effect.tryPromise(() =>
        dispatcher.request({ origin: base, path: "/", method: "GET" }).then((r) => r.body.text()).then(JSON.parse)
      ).pipe(Effect.flatMap(decode)),
    "synthetic: arithmetic": () => Effect.sync(alu),
    "synthetic: 40 KB of objects": () => Effect.sync(allocate),
    "synthetic: 400 functions": () => Effect.sync(code)
  }
  const loop = (load: ((i: number) => Effect.Effect<unknown, unknown>) | undefined, pause: Pause) => {
    const indices = Array.from({ length: calls }, (_, i) => i)
    return load === undefined
      ? Effect.forEach(indices, () => pauses[pause], { discard: true })
      : Effect.forEach(indices, (i) => Effect.zipRight(load(i), pauses[pause]), { discard: true })
  }
  const cpuPerRun = async (effect: Effect.Effect<void, unknown>) => {
    const cpu0 = process.cpuUsage()
    await runtime.runPromise(effect)
    const cpu = process.cpuUsage(cpu0)
    return (cpu.user + cpu.system) / calls
  }
  const names = Object.keys(loads)
  const pauseNames = Object.keys(pauses) as Array<Pause>
  // Warm-up: every load, every pause, twice.
  for (const pause of pauseNames) {
    for (const name of names) {
      await cpuPerRun(loop(loads[name], pause))
      await cpuPerRun(loop(loads[name], pause))
    }
  }
  const figures: Record<string, Record<Pause, Array<number>>> = {}
  for (let r = 0; r < rounds; r++) {
    for (const pause of pauseNames) {
      const alone = await cpuPerRun(loop(undefined, pause))
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)]
      for (const name of order) {
        const figure = (figures[name] ??= { "back to back": [], asleep: [], awake: [] })
        figure[pause].push((await cpuPerRun(loop(loads[name], pause))) - alone)
      }
    }
  }
  const rows = names.map((name) => {
    const f = figures[name]!
    const backToBack = median(f["back to back"])
    const asleep = median(f.asleep)
    const awake = median(f.awake)
    return { load: name, backToBack: round(backToBack, 1), asleep: round(asleep, 1), awake: round(awake, 1), asleepOverBackToBack: round(asleep / backToBack, 2) }
  })
  process.stderr.write(`| load | back to back, µs | asleep ~1 ms before each, µs | asleep / back to back | awake 200 µs before each, µs |\n|---|---|---|---|---|\n`)
  for (const row of rows) {
    process.stderr.write(`| ${row.load} | ${row.backToBack} | ${row.asleep} | ${row.asleepOverBackToBack} | ${row.awake} |\n`)
  }
  await runtime.dispose()
  process.stdout.write(`${JSON.stringify({ calls, rounds, rows })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
