/**
 * `npm run bench`: the library's CPU per call against what a user would pick instead (the Python
 * client, openapi-fetch, fetch, undici, the Effect floor, the platform HttpClient by hand),
 * register->verify flows, and bulk import throughput and memory (directly and through the CLI),
 * printed as tables and recorded in bench/results/latest.json.
 *
 *   npm run bench                  # the full run (a few minutes)
 *   npm run bench -- --quick       # a smoke check (< 1 minute), recorded in bench/results/tmp/
 *   npm run bench -- --only overhead,flows,bulk
 *   npm run bench -- --bulk-heap-cap 96  # also a direct bulk run with this heap cap (default 0: none; the CLI run has its own)
 *   npm run bench -- --spec PATH   # the spec openapi-fetch's types come from (default ../shared/glowmarkt/user-system.swagger.yaml)
 *
 * Every section runs in its own child process (on the tsc output; under tsx with --tsx), and
 * every server too: the minimal node:http server of the overhead section, and the server of the
 * bulk section (one per run, so that the users it holds are not in the importer's RSS). See
 * BENCHMARKS.md.
 */
import { execSync } from "node:child_process"
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs"
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
  ? { calls1: 100, calls64: 400, warmup: 100, rounds: 3, flows: 100, flowRounds: 1, bulkSizes: [500, 2_000] }
  : { calls1: 1_000, calls64: 3_000, warmup: 1_000, rounds: 5, flows: 400, flowRounds: 3, bulkSizes: [10_000, 100_000] }

/**
 * The spec the openapi-fetch client's path types are generated from, at bench build time; it
 * stays outside the project (`--spec PATH` or GLOWMARKT_SPEC to point elsewhere).
 */
const specFile = path.resolve(argv.get("spec") ?? process.env.GLOWMARKT_SPEC ?? path.join(benchDir, "..", "..", "shared", "glowmarkt", "user-system.swagger.yaml"))

interface Client {
  readonly rps: number
  readonly p50ms: number
  readonly p99ms: number
  readonly cpuUs: number
  /** x / undici within each round (CPU per call, and wall time), median over rounds. */
  readonly ratioCpu: number | null
  readonly ratioTime: number | null
}
/** A ratio computed within each round: its median, range and the rounds' values. */
interface Ratio {
  readonly median: number
  readonly min: number
  readonly max: number
  readonly rounds: ReadonlyArray<number>
}
type TargetName = "python" | "openapiFetch" | "httpclient" | "undici"
interface OverheadRow {
  readonly op: string
  readonly concurrency: number
  readonly pythonThreads: number
  readonly calls: number
  readonly warmup: number
  readonly rounds: number
  /** Per client (library, library@UndiciHttpClient, httpclient, ..., python). */
  readonly clients: Record<string, Client>
  /** Per transport of the library: library / x, CPU per call, per round. */
  readonly targets: Record<string, Record<TargetName, Ratio | null>>
  /** UndiciHttpClient / layerUndici, CPU per call, per round. */
  readonly transportGain: { readonly library: Ratio | null; readonly httpclient: Ratio | null }
}
interface Overhead {
  readonly server: string
  readonly libraryHttpClient: string
  readonly warmup: string
  readonly openapiFetch: string
  readonly python: string
  readonly notes: ReadonlyArray<string>
  readonly rows: ReadonlyArray<OverheadRow>
}
interface Flows {
  readonly server: string
  readonly rows: ReadonlyArray<{ concurrency: number; flows: number; flowsPerSecond: number; p50ms: number; p99ms: number }>
}
interface Bulk {
  /** The child's `--max-old-space-size`, when it ran with one. */
  readonly heapCapMB?: number
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

/**
 * A bulk import of n users. With `heapCapMB`, the child runs with `--max-old-space-size`: V8 lets
 * its heap grow to about 4x what is live before a full collection, so the peak RSS of a run is
 * mostly that headroom, and the cap shows what the import itself needs.
 */
const bulkRun = async (dir: string, n: number, heapCapMB?: number): Promise<Bulk> => {
  const file = path.join(dir, `users-${n}.ndjson`)
  if (!existsSync(file)) await generate(file, n)
  const results = path.join(dir, `users-${n}.results.ndjson`)
  rmSync(results, { force: true })
  const simulator = await startServer<Record<string, unknown>>(bulkServer === "simulator" ? "servers/simulator.ts" : "servers/minimal.ts")
  try {
    log(`bulk: ${n} users, concurrency ${bulkConcurrency}, heap ${heapCapMB === undefined ? "V8 default" : `capped at ${heapCapMB} MB`}, ${bulkServer} server pid ${simulator.pid}`)
    const bulk = await runChild<Bulk>("bulk.ts", [
      "--file", file,
      "--results", results,
      "--sim", JSON.stringify(simulator.info),
      "--concurrency", String(bulkConcurrency)
    ], heapCapMB === undefined ? [] : [`--max-old-space-size=${heapCapMB}`])
    return heapCapMB === undefined ? bulk : { heapCapMB, ...bulk }
  } finally {
    await simulator.stop()
  }
}

/** The heap cap of an extra, direct bulk run of each size (0: none; the CLI run has its own cap). */
const bulkHeapCapMB = argv.number("bulk-heap-cap", 0)

/** A bulk import through the CLI (bench/cli-bulk.ts). */
interface CliBulk {
  readonly records: number
  readonly concurrency: number
  readonly seconds: number
  readonly recordsPerSecond: number
  readonly processes: number
  readonly peakRssMB: number
  readonly launcherPeakRssMB: number | null
  readonly peakSumRssMB: number
}

/** A bulk import of n users through `glowmarkt users import`, no node flag, against its own server. */
const cliBulkRun = async (dir: string, n: number): Promise<CliBulk> => {
  const file = path.join(dir, `users-${n}.ndjson`)
  if (!existsSync(file)) await generate(file, n)
  const results = path.join(dir, `users-${n}.cli-results.ndjson`)
  rmSync(results, { force: true })
  const server = await startServer<Record<string, unknown>>(bulkServer === "simulator" ? "servers/simulator.ts" : "servers/minimal.ts")
  try {
    log(`bulk through the CLI: ${n} users, concurrency ${bulkConcurrency}, ${bulkServer} server pid ${server.pid}`)
    return await runChild<CliBulk>("cli-bulk.ts", [
      "--file", file,
      "--results", results,
      "--sim", JSON.stringify(server.info),
      "--concurrency", String(bulkConcurrency)
    ])
  } finally {
    await server.stop()
  }
}

/** The issue's limit for library / x. */
const targetLimit = (k: TargetName, concurrency: number) =>
  k === "python" ? 1.0 : k === "openapiFetch" ? 0.85 : k === "httpclient" ? (concurrency >= 64 ? 1.25 : 1.15) : 3.0

/** Met in every round, only in the median, or not. */
const verdict = (ratio: Ratio, limit: number) => (ratio.max <= limit ? "yes" : ratio.median <= limit ? "median" : "NO")

const table = (header: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string | number>>) =>
  [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`)
  ].join("\n")

const render = (result: { overhead?: Overhead; flows?: Flows; bulk?: ReadonlyArray<Bulk>; cliBulk?: ReadonlyArray<CliBulk>; targets: Record<string, unknown> }) => {
  const parts: Array<string> = []
  if (result.overhead) {
    const o = result.overhead
    parts.push(
      `Per-call cost (${o.server}). All clients but python in one process, in rotating rounds; python in its own process, ` +
        `right after the others in each round. Warm-up: ${o.warmup}. CPU µs/call is the client process's CPU per call (the headline); ` +
        "rps and latencies are medians of the rounds; x / undici ratios are computed within each round, then the median taken. " +
        `openapi-fetch: path types ${o.openapiFetch}. python: ${o.python}.` +
        (o.notes.length > 0 ? ` Notes: ${o.notes.join("; ")}.` : ""),
      table(
        ["op", "conc", "client", "rps", "p50 ms", "p99 ms", "CPU µs/call", "CPU / undici", "time / undici"],
        o.rows.flatMap((r) =>
          Object.entries(r.clients).map(([name, c]) => [
            r.op, name === "python" ? `${r.concurrency} (${r.pythonThreads} thr)` : r.concurrency, name, c.rps, c.p50ms, c.p99ms, c.cpuUs,
            c.ratioCpu ?? "", c.ratioTime ?? ""
          ])
        )
      ),
      "Targets: library / x, CPU per call, within each round; median [min-max] over the rounds. " +
        "'yes' only when every round meets the limit; 'median' when the median does but a round does not.",
      table(
        ["op", "conc", "library on", "/ python (<= 1.0)", "/ openapi-fetch (<= 0.85)", "/ httpclient, same transport (<= 1.15 c=1, 1.25 c=64)", "/ undici (<= 3.0)"],
        o.rows.flatMap((r) =>
          Object.entries(r.targets).map(([transport, t]) => [
            r.op, r.concurrency, transport,
            ...(["python", "openapiFetch", "httpclient", "undici"] as const).map((k) => {
              const ratio = t[k]
              if (ratio === null) return "n/a"
              const limit = targetLimit(k, r.concurrency)
              return `${ratio.median} [${ratio.min}-${ratio.max}] ${verdict(ratio, limit)}`
            })
          ])
        )
      ),
      "The transport alone: UndiciHttpClient / layerUndici, CPU per call, within each round; median [min-max].",
      table(
        ["op", "conc", "library", "httpclient"],
        o.rows.map((r) => [
          r.op, r.concurrency,
          ...[r.transportGain.library, r.transportGain.httpclient].map((g) => (g === null ? "n/a" : `${g.median} [${g.min}-${g.max}]`))
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
        ["users", "heap", "concurrency", "seconds", "records/s", "importer CPU µs/record", "RSS before MB", "peak RSS MB", "peak heap MB", "maxRSS MB"],
        result.bulk.map((b) => [
          b.records,
          b.heapCapMB === undefined ? "V8 default" : `--max-old-space-size=${b.heapCapMB}`,
          b.concurrency, b.seconds, b.recordsPerSecond, b.cpuUsPerRecord, b.rssBeforeMB, b.peakRssMB, b.peakHeapUsedMB, b.maxRssMB
        ])
      )
    )
  }
  if (result.cliBulk) {
    parts.push(
      "Bulk import through the CLI (`glowmarkt users import FILE --concurrency N --rate 1000000 --json`, no node flag; " +
        "the executable re-runs itself with --max-old-space-size, src/cli/heapCap.ts). RSS from /proc every 25 ms: " +
        "the importer's peak (VmHWM), the launcher's, and the peak of their sum.",
      table(
        ["users", "concurrency", "seconds", "records/s", "processes", "importer peak RSS MB", "launcher peak RSS MB", "peak sum RSS MB"],
        result.cliBulk.map((b) => [b.records, b.concurrency, b.seconds, b.recordsPerSecond, b.processes, b.peakRssMB, b.launcherPeakRssMB ?? "-", b.peakSumRssMB])
      )
    )
  }
  parts.push(table(["target", "value", "met"], Object.entries(result.targets).map(([k, v]) => {
    const t = v as { value: number; limit: string; met: boolean }
    return [`${k} (${t.limit})`, t.value, t.met ? "yes" : "NO"]
  })))
  return parts.join("\n\n")
}

/**
 * The openapi-fetch client's path types, generated from the spec into bench/results/tmp/openapi/
 * (the spec is Swagger 2.0: swagger2openapi converts it to OpenAPI 3, which openapi-typescript
 * reads). Regenerated when the spec is newer. Without the spec the client is skipped.
 */
const generateOpenApiTypes = (): boolean => {
  const root = path.resolve(benchDir, "..")
  const dir = path.join(benchDir, "results", "tmp", "openapi")
  const types = path.join(dir, "glowmarkt-paths.ts")
  if (!existsSync(specFile)) {
    log(`openapi-fetch: no spec at ${specFile}; its client is skipped`)
    rmSync(types, { force: true })
    return false
  }
  if (existsSync(types) && statSync(types).mtimeMs >= statSync(specFile).mtimeMs) return true
  const t0 = performance.now()
  mkdirSync(dir, { recursive: true })
  const bin = (name: string) => path.join(root, "node_modules", ".bin", name)
  const openapi3 = path.join(dir, "user-system.openapi3.yaml")
  execSync(`"${bin("swagger2openapi")}" --patch "${specFile}" -o "${openapi3}"`, { cwd: root, stdio: ["ignore", "ignore", "inherit"] })
  execSync(`"${bin("openapi-typescript")}" "${openapi3}" -o "${types}"`, { cwd: root, stdio: ["ignore", "ignore", "inherit"] })
  log(`openapi-fetch: path types generated from ${path.relative(root, specFile)} in ${round((performance.now() - t0) / 1000, 1)} s`)
  return true
}

/** Compiles the bench and src into bench/results/tmp/build (incremental: seconds when warm). */
const build = () => {
  const t0 = performance.now()
  const root = path.resolve(benchDir, "..")
  const openapi = generateOpenApiTypes()
  execSync("npx tsc -p bench/tsconfig.build.json", { cwd: root, stdio: "inherit" })
  if (openapi) execSync("npx tsc -p bench/openapi/tsconfig.build.json", { cwd: root, stdio: "inherit" })
  log(`compiled bench/ and src/ with tsc in ${round((performance.now() - t0) / 1000, 1)} s`)
}

const main = async () => {
  const started = performance.now()
  if (argv.has("tsx")) process.env.BENCH_RUNNER = "tsx"
  if (process.env.BENCH_RUNNER !== "tsx") build()
  const at = new Date().toISOString()
  const loadBefore = os.loadavg().map((l) => round(l, 2))
  log(`bench ${quick ? "--quick " : ""}sections ${sections.join(",")}; children on ${runner() === "tsx" ? "tsx" : "compiled JS"}; load average ${loadBefore.join(" ")}`)
  const result: { overhead?: Overhead; flows?: Flows; bulk?: Array<Bulk>; cliBulk?: Array<CliBulk>; targets: Record<string, unknown> } = { targets: {} }

  if (sections.includes("overhead")) {
    result.overhead = await runChild<Overhead>("overhead.ts", [
      "--calls1", String(plan.calls1), "--calls64", String(plan.calls64), "--rounds", String(plan.rounds), "--warmup", String(plan.warmup)
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
      result.cliBulk = []
      for (const n of plan.bulkSizes) {
        result.bulk.push(await bulkRun(dir, n))
        if (bulkHeapCapMB > 0) result.bulk.push(await bulkRun(dir, n, bulkHeapCapMB))
        result.cliBulk.push(await cliBulkRun(dir, n))
      }
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  }

  const out = quick ? path.join(benchDir, "results", "tmp", "latest-quick.json") : path.join(benchDir, "results", "latest.json")
  // `--only` reruns some sections: the others are kept from the record (with their own dates).
  const kept: Record<string, unknown> = {}
  if (argv.get("only") !== undefined && existsSync(out)) {
    const previous = JSON.parse(readFileSync(out, "utf8")) as Record<string, any>
    for (const section of ["overhead", "flows", "bulk", "cliBulk"] as const) {
      if (!sections.includes(section === "cliBulk" ? "bulk" : section) && previous[section] !== undefined) {
        ;(result as any)[section] = previous[section]
        kept[section] = { date: previous.sectionDates?.[section] ?? previous.date, loadAverage: previous.sectionLoads?.[section] ?? previous.loadAverage }
      }
    }
  }

  const target = (value: number, limit: string, met: boolean) => ({ value, limit, met })
  // The per-call targets are in their own table (every transport); here: the README's transport.
  for (const r of result.overhead?.rows ?? []) {
    const t = r.targets?.layerUndici
    if (t === undefined) continue
    for (const k of ["python", "openapiFetch", "httpclient", "undici"] as const) {
      const ratio = t[k]
      if (ratio === null) continue
      const limit = targetLimit(k, r.concurrency)
      result.targets[`${r.op} c=${r.concurrency} library (layerUndici) / ${k}, CPU, median of rounds [worst round ${ratio.max}]`] = target(
        ratio.median,
        `<= ${limit}`,
        ratio.max <= limit
      )
    }
  }
  for (const capped of [false, true]) {
    const runs = (result.bulk ?? []).filter((b) => (b.heapCapMB !== undefined) === capped)
    if (runs.length !== 2) continue
    const [small, large] = runs as [Bulk, Bulk]
    const heap = capped ? `, heap capped at ${large.heapCapMB} MB` : ""
    result.targets[`bulk peak RSS at ${large.records}${heap}`] = target(large.peakRssMB, "<= 200 MB", large.peakRssMB <= 200)
    const growth = round(large.peakRssMB / small.peakRssMB, 3)
    result.targets[`bulk peak RSS ${large.records} / ${small.records}${heap}`] = target(growth, "<= 1.20", growth <= 1.2)
  }

  if (result.cliBulk?.length === 2) {
    const [small, large] = result.cliBulk as [CliBulk, CliBulk]
    result.targets[`CLI bulk importer peak RSS at ${large.records}, no node flag`] = target(large.peakRssMB, "<= 200 MB", large.peakRssMB <= 200)
    result.targets[`CLI bulk peak RSS, importer + launcher, at ${large.records}`] = target(large.peakSumRssMB, "<= 200 MB", large.peakSumRssMB <= 200)
    const growth = round(large.peakRssMB / small.peakRssMB, 3)
    result.targets[`CLI bulk importer peak RSS ${large.records} / ${small.records}`] = target(growth, "<= 1.20", growth <= 1.2)
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
