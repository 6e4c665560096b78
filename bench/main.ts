/**
 * `npm run bench`: the library's cost against raw HTTP, register->verify flows, and bulk import
 * throughput and memory, printed as a table and recorded in bench/results/latest.json.
 *
 *   npm run bench                  # the full run (a few minutes)
 *   npm run bench -- --quick       # a smoke check (< 1 minute), recorded in bench/results/tmp/
 *   npm run bench -- --only overhead,flows,bulk
 *
 * Every section runs in its own child process (node + tsx), and every server too: the minimal
 * node:http server of the overhead section, and the simulator of the bulk section (one per
 * size, so that the users it holds are not in the importer's RSS). See BENCHMARKS.md.
 */
import { execSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import { once } from "node:events"
import { args, benchDir, machine, round, runChild, runner, startServer } from "./lib/common.js"

const argv = args()
const quick = argv.has("quick")
const sections = (argv.get("only") ?? "overhead,flows,bulk").split(",")
const bulkConcurrency = argv.number("bulk-concurrency", 32)
/**
 * What the bulk import talks to: the minimal server (default), or the simulator, whose look-ups
 * scan every user (O(users) per create), so that 100,000 users through it take far longer than
 * the import itself; see BENCHMARKS.md.
 */
const bulkServer = argv.get("bulk-server") === "simulator" ? "simulator" : "minimal"

const plan = quick
  ? { calls1: 200, calls64: 1_000, rounds: 3, flows: 100, flowRounds: 1, bulkSizes: [500, 2_000] }
  : { calls1: 1_000, calls64: 3_000, rounds: 5, flows: 400, flowRounds: 3, bulkSizes: [10_000, 100_000] }

interface Client {
  readonly rps: number
  readonly p50ms: number
  readonly p99ms: number
  readonly cpuUs: number
}
interface OverheadRow {
  readonly op: string
  readonly concurrency: number
  readonly calls: number
  readonly rounds: number
  readonly library: Client
  readonly undici: Client
  readonly fetch: Client
  readonly ratioTime: number
  readonly ratioP50: number
  readonly ratioCpu: number
}
interface Overhead {
  readonly server: string
  readonly libraryHttpClient: string
  readonly rows: ReadonlyArray<OverheadRow>
}
interface Flows {
  readonly server: string
  readonly rows: ReadonlyArray<{ concurrency: number; flows: number; flowsPerSecond: number; p50ms: number; p99ms: number }>
}
interface Bulk {
  readonly records: number
  readonly concurrency: number
  readonly seconds: number
  readonly recordsPerSecond: number
  readonly cpuUsPerRecord: number
  readonly rssBeforeMB: number
  readonly peakRssMB: number
  readonly peakHeapUsedMB: number
  readonly maxRssMB: number
}

const log = (line: string) => process.stderr.write(`${line}\n`)

/** Writes an NDJSON file of n users without holding it in memory. */
const generate = async (file: string, n: number) => {
  const out = createWriteStream(file)
  for (let i = 0; i < n; i++) {
    if (!out.write(`{"username":"bulk${i}@import.example"}\n`)) await once(out, "drain")
  }
  out.end()
  await once(out, "finish")
}

const bulkRun = async (dir: string, n: number): Promise<Bulk> => {
  const file = path.join(dir, `users-${n}.ndjson`)
  await generate(file, n)
  const simulator = await startServer<Record<string, unknown>>(bulkServer === "simulator" ? "servers/simulator.ts" : "servers/minimal.ts")
  try {
    log(`bulk: ${n} users, concurrency ${bulkConcurrency}, ${bulkServer} server pid ${simulator.pid}`)
    return await runChild<Bulk>("bulk.ts", [
      "--file", file,
      "--results", path.join(dir, `users-${n}.results.ndjson`),
      "--sim", JSON.stringify(simulator.info),
      "--concurrency", String(bulkConcurrency)
    ])
  } finally {
    await simulator.stop()
  }
}

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)
  ].join("\n")

const render = (result: { overhead?: Overhead; flows?: Flows; bulk?: ReadonlyArray<Bulk>; targets: Record<string, unknown> }) => {
  const parts: Array<string> = []
  if (result.overhead) {
    parts.push(
      `Per-call overhead (${result.overhead.server}; library on ${result.overhead.libraryHttpClient}). ` +
        "rps and p50 are medians of the rounds; CPU is client-process CPU per call; ratio = library / undici, median of per-round ratios.",
      table(
        ["op", "conc", "library rps", "undici rps", "fetch rps", "library p50 ms", "undici p50 ms", "fetch p50 ms", "library CPU µs", "undici CPU µs", "fetch CPU µs", "ratio (time)", "ratio (p50)", "ratio (CPU)"],
        result.overhead.rows.map((r) => [
          r.op, r.concurrency,
          r.library.rps, r.undici.rps, r.fetch.rps,
          r.library.p50ms, r.undici.p50ms, r.fetch.p50ms,
          r.library.cpuUs, r.undici.cpuUs, r.fetch.cpuUs,
          r.ratioTime, r.ratioP50, r.ratioCpu
        ])
      )
    )
  }
  if (result.flows) {
    parts.push(
      `register -> verify flows (${result.flows.server}).`,
      table(["concurrency", "flows/run", "flows/s", "p50 ms", "p99 ms"], result.flows.rows.map((r) => [r.concurrency, r.flows, r.flowsPerSecond, r.p50ms, r.p99ms]))
    )
  }
  if (result.bulk) {
    parts.push(
      `Bulk import (NDJSON file, results file, progress; ${bulkServer === "simulator" ? "simulator" : "minimal node:http server answering every create"} in another process).`,
      table(
        ["users", "concurrency", "seconds", "records/s", "importer CPU µs/record", "RSS before MB", "peak RSS MB", "peak heap MB", "maxRSS MB"],
        result.bulk.map((b) => [b.records, b.concurrency, b.seconds, b.recordsPerSecond, b.cpuUsPerRecord, b.rssBeforeMB, b.peakRssMB, b.peakHeapUsedMB, b.maxRssMB])
      )
    )
  }
  parts.push(table(["target", "value", "met"], Object.entries(result.targets).map(([k, v]) => {
    const t = v as { value: number; limit: string; met: boolean }
    return [`${k} (${t.limit})`, t.value, t.met ? "yes" : "NO"]
  })))
  return parts.join("\n\n")
}

/** Compiles the bench and src into bench/results/tmp/build (incremental: seconds when warm). */
const build = () => {
  const t0 = performance.now()
  execSync("npx tsc -p bench/tsconfig.build.json", { cwd: path.resolve(benchDir, ".."), stdio: "inherit" })
  log(`compiled bench/ and src/ with tsc in ${round((performance.now() - t0) / 1000, 1)} s`)
}

const main = async () => {
  const started = performance.now()
  if (argv.has("tsx")) process.env.BENCH_RUNNER = "tsx"
  if (process.env.BENCH_RUNNER !== "tsx") build()
  const at = new Date().toISOString()
  const loadBefore = os.loadavg().map((l) => round(l, 2))
  log(`bench ${quick ? "--quick " : ""}sections ${sections.join(",")}; children on ${runner() === "tsx" ? "tsx" : "compiled JS"}; load average ${loadBefore.join(" ")}`)
  const result: { overhead?: Overhead; flows?: Flows; bulk?: Array<Bulk>; targets: Record<string, unknown> } = { targets: {} }

  if (sections.includes("overhead")) {
    result.overhead = await runChild<Overhead>("overhead.ts", [
      "--calls1", String(plan.calls1), "--calls64", String(plan.calls64), "--rounds", String(plan.rounds)
    ])
  }
  if (sections.includes("flows")) {
    result.flows = await runChild<Flows>("flows.ts", ["--flows", String(plan.flows), "--rounds", String(plan.flowRounds)])
  }
  if (sections.includes("bulk")) {
    mkdirSync(path.join(benchDir, "results", "tmp"), { recursive: true })
    const dir = mkdtempSync(path.join(os.tmpdir(), "glowmarkt-bench-"))
    try {
      result.bulk = []
      for (const n of plan.bulkSizes) result.bulk.push(await bulkRun(dir, n))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  const out = quick ? path.join(benchDir, "results", "tmp", "latest-quick.json") : path.join(benchDir, "results", "latest.json")
  // `--only` reruns some sections: the others are kept from the record (with their own dates).
  const kept: Record<string, unknown> = {}
  if (argv.get("only") !== undefined && existsSync(out)) {
    const previous = JSON.parse(readFileSync(out, "utf8")) as Record<string, any>
    for (const section of ["overhead", "flows", "bulk"] as const) {
      if (!sections.includes(section) && previous[section] !== undefined) {
        ;(result as any)[section] = previous[section]
        kept[section] = { date: previous.sectionDates?.[section] ?? previous.date, loadAverage: previous.sectionLoads?.[section] ?? previous.loadAverage }
      }
    }
  }

  const target = (value: number, limit: string, met: boolean) => ({ value, limit, met })
  for (const r of result.overhead?.rows ?? []) {
    const limit = r.concurrency >= 64 ? 1.25 : 1.5
    result.targets[`${r.op} c=${r.concurrency} library/undici`] = target(r.ratioTime, `<= ${limit}`, r.ratioTime <= limit)
  }
  if (result.bulk && result.bulk.length === 2) {
    const [small, large] = result.bulk as [Bulk, Bulk]
    result.targets[`bulk peak RSS at ${large.records}`] = target(large.peakRssMB, "<= 200 MB", large.peakRssMB <= 200)
    const growth = round(large.peakRssMB / small.peakRssMB, 3)
    result.targets[`bulk peak RSS ${large.records} / ${small.records}`] = target(growth, "<= 1.20", growth <= 1.2)
  }

  const loadAfter = os.loadavg().map((l) => round(l, 2))
  const record = {
    date: at,
    quick,
    children: runner() === "tsx" ? "node --import tsx (TypeScript sources, source maps on)" : "node on tsc output (bench/results/tmp/build)",
    machine: machine(),
    loadAverage: { before: loadBefore, after: loadAfter },
    git: (() => {
      try {
        return execSync("git rev-parse --short HEAD", { cwd: benchDir, encoding: "utf8" }).trim()
      } catch {
        return undefined
      }
    })(),
    durationSeconds: round((performance.now() - started) / 1000, 1),
    plan,
    bulkServer,
    sectionDates: Object.fromEntries(["overhead", "flows", "bulk"].filter((x) => (result as any)[x] !== undefined).map((x) => [x, (kept[x] as any)?.date ?? at])),
    sectionLoads: Object.fromEntries(["overhead", "flows", "bulk"].filter((x) => (result as any)[x] !== undefined).map((x) => [x, (kept[x] as any)?.loadAverage ?? { before: loadBefore, after: loadAfter }])),
    ...result
  }
  const text = render(result)
  console.log(`\n${text}\n`)
  console.log(
    `machine: ${record.machine.cpuModel}, ${record.machine.cores} cores, node ${record.machine.node}; load ${loadBefore.join(" ")} -> ${loadAfter.join(" ")}; ${record.durationSeconds} s`
  )
  mkdirSync(path.dirname(out), { recursive: true })
  writeFileSync(out, `${JSON.stringify(record, null, 2)}\n`)
  writeFileSync(out.replace(/\.json$/, ".md"), `${text}\n`)
  console.log(`written: ${path.relative(process.cwd(), out)}`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
