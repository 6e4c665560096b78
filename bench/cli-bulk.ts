/**
 * One bulk import through the `glowmarkt` CLI, as a user runs it (`glowmarkt users import FILE`,
 * no node flag): the executable re-runs itself with its heap cap (src/cli/heapCap.ts). Polls
 * /proc every 25 ms for the RSS of the CLI process and every descendant: reports the peak of the
 * largest process (the importer) and the peak of their sum (importer + launcher).
 *
 * Child of bench/main.ts; prints its result as one JSON line. Arguments: `--file PATH`,
 * `--results PATH`, `--sim JSON` (the server's banner), `--concurrency N`.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { performance } from "node:perf_hooks"
import type { SimulatorInfo } from "../src/testing/Simulator.js"
import { args, benchDir, buildDir, reportAsChild, round, runner } from "./lib/common.js"

const argv = args()
const file = argv.get("file")!
const resultsFile = argv.get("results")!
const sim = JSON.parse(argv.get("sim")!) as SimulatorInfo
const concurrency = argv.number("concurrency", 32)

/** VmRSS and VmHWM (peak) of a process, kB, or undefined once it is gone. */
const memory = (pid: number): { rss: number; hwm: number } | undefined => {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8")
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? 0)
    return { rss: kb("VmRSS"), hwm: kb("VmHWM") }
  } catch {
    return undefined
  }
}

/** A process and its descendants. */
const tree = (pid: number): Array<number> => {
  let children: Array<number> = []
  try {
    children = readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean).map(Number)
  } catch {
    // gone
  }
  return [pid, ...children.flatMap(tree)]
}

const main = async () => {
  const bin = runner() === "tsx" ? path.join(benchDir, "..", "src", "cli", "bin.ts") : path.join(buildDir, "..", "src", "cli", "bin.js")
  const flags = runner() === "tsx" ? ["--import", "tsx"] : []
  const t0 = performance.now()
  const child = spawn(process.execPath, [...flags, bin, "users", "import", file, "--results", resultsFile, "--concurrency", String(concurrency), "--rate", "1000000", "--json"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      GLOWMARKT_BASE_URL: sim.baseUrl,
      GLOWMARKT_APPLICATION_ID: sim.applicationId,
      GLOWMARKT_DIRECTORY_ID: sim.directoryId,
      GLOWMARKT_APP_KEY_ID: sim.appKeys.keyId,
      GLOWMARKT_APP_KEY_SECRET: sim.appKeys.secret,
      NO_COLOR: "1"
    }
  })
  let stdout = ""
  child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d))
  const peaks = new Map<number, number>()
  let peakSum = 0
  let processes = 0
  const sample = () => {
    let sum = 0
    const pids = tree(child.pid!)
    processes = Math.max(processes, pids.length)
    for (const pid of pids) {
      const m = memory(pid)
      if (m === undefined) continue
      sum += m.rss
      peaks.set(pid, Math.max(peaks.get(pid) ?? 0, m.hwm))
    }
    peakSum = Math.max(peakSum, sum)
  }
  const sampler = setInterval(sample, 25)
  const code = await new Promise<number | null>((resolve) => child.on("exit", (c) => resolve(c)))
  clearInterval(sampler)
  const seconds = (performance.now() - t0) / 1000
  if (code !== 0) throw new Error(`glowmarkt users import exited with ${code}: ${stdout}`)
  const summary = JSON.parse(stdout.trim().split("\n").pop()!) as { records: number; created: number; failed: number }
  if (summary.created !== summary.records || summary.failed !== 0) throw new Error(`import incomplete: ${stdout}`)
  const perProcess = [...peaks.values()].sort((a, b) => b - a)
  return {
    records: summary.records,
    concurrency,
    seconds: round(seconds, 1),
    recordsPerSecond: round(summary.records / seconds, 0),
    processes,
    /** The importer: the largest process's peak RSS (VmHWM). */
    peakRssMB: round((perProcess[0] ?? 0) / 1024, 1),
    /** The launcher's peak RSS, when the CLI re-ran itself. */
    launcherPeakRssMB: perProcess.length > 1 ? round(perProcess[perProcess.length - 1]! / 1024, 1) : null,
    /** The peak of the sum over the processes, sampled every 25 ms. */
    peakSumRssMB: round(peakSum / 1024, 1)
  }
}

reportAsChild(main)
