/**
 * Shared helpers of the benchmarks: statistics, child processes, the machine.
 */
import type * as Undici from "@effect/platform-node/Undici"
import { spawn, type ChildProcess } from "node:child_process"
import * as os from "node:os"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const here = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
/** Whether this module runs compiled (from bench/results/tmp/build) rather than under tsx. */
const compiled = import.meta.url.endsWith(".js")

/** The bench directory (of the sources). */
export const benchDir = compiled ? path.resolve(here, "../../../..") : here

/** Where `tsc -p bench/tsconfig.build.json` puts the compiled bench (and src). */
export const buildDir = path.join(benchDir, "results", "tmp", "build", "bench")

/**
 * How children run: compiled JS by default (what a production process runs: no loader thread,
 * no source maps), or under tsx with `BENCH_RUNNER=tsx` (`npm run bench -- --tsx`).
 */
export const runner = (): "node" | "tsx" => (process.env.BENCH_RUNNER === "tsx" ? "tsx" : "node")

/** The median of a list of numbers (NaN when empty). */
export const median = (values: ReadonlyArray<number>): number => percentile(values, 50)

/** The p-th percentile (nearest rank, linear between ranks). */
export const percentile = (values: ReadonlyArray<number>, p: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(rank)
  const hi = Math.ceil(rank)
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (rank - lo)
}

/** Rounds to `digits` decimals. */
export const round = (value: number, digits = 2): number => {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** The flags a child gets: gc exposed so a section can collect between rounds (and tsx if asked). */
export const nodeFlags = () => (runner() === "tsx" ? ["--import", "tsx", "--expose-gc"] : ["--expose-gc"])

/** The script a child runs: `overhead.ts` -> build/bench/overhead.js, or the source under tsx. */
export const script = (file: string) =>
  runner() === "tsx" ? path.join(benchDir, file) : path.join(buildDir, file.replace(/\.ts$/, ".js"))

/**
 * Runs a TypeScript file under node + tsx, stderr passed through; resolves with the last JSON
 * line it printed on stdout (its result).
 */
export const runChild = <A>(file: string, args: ReadonlyArray<string>, extraFlags: ReadonlyArray<string> = []): Promise<A> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags(), ...extraFlags, script(file), ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let last: string | undefined
    createInterface({ input: child.stdout! }).on("line", (line) => {
      if (line.startsWith("{")) last = line
      else process.stderr.write(`[${path.basename(file)}] ${line}\n`)
    })
    child.on("error", reject)
    child.on("exit", (code, signal) => {
      if (code !== 0) return reject(new Error(`${file} exited with ${code ?? signal}`))
      if (last === undefined) return reject(new Error(`${file} printed no result`))
      resolve(JSON.parse(last) as A)
    })
  })

/** A server child process that prints one JSON line (its address) first, then serves until killed. */
export interface ServerChild<A> {
  readonly info: A
  readonly pid: number
  readonly stop: () => Promise<void>
}

/** Starts a server script under node + tsx and waits for its first stdout JSON line. */
export const startServer = <A>(file: string, args: ReadonlyArray<string> = []): Promise<ServerChild<A>> =>
  new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(process.execPath, [...nodeFlags(), script(file), ...args], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    let started = false
    const lines = createInterface({ input: child.stdout! })
    lines.on("line", (line) => {
      if (started) return
      started = true
      try {
        const info = JSON.parse(line) as A
        resolve({
          info,
          pid: child.pid!,
          stop: () =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done()
              child.once("exit", () => done())
              child.kill("SIGTERM")
            })
        })
      } catch (error) {
        child.kill("SIGTERM")
        reject(error)
      }
    })
    child.on("error", reject)
    child.on("exit", (code) => {
      if (!started) reject(new Error(`${file} exited with ${code} before it started`))
    })
  })

/** The machine the numbers come from. */
export const machine = () => {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model ?? "unknown",
    cores: cpus.length,
    totalMemoryMB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    loadAverage: os.loadavg().map((l) => round(l, 2))
  }
}

/** Reads `--name value` / `--flag` style arguments, after any positional ones. */
export const args = (argv: ReadonlyArray<string> = process.argv.slice(2)) => {
  const get = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`)
    return i === -1 ? undefined : argv[i + 1]
  }
  // The arguments before the first `--name`.
  const first = argv.findIndex((a) => a.startsWith("--"))
  return {
    positional: first === -1 ? argv : argv.slice(0, first),
    has: (name: string) => argv.includes(`--${name}`),
    get,
    number: (name: string, fallback: number) => {
      const v = get(name)
      return v === undefined ? fallback : Number(v)
    }
  }
}

/** The end of a child section: its result as one JSON line on stdout, exit 1 on failure. */
export const reportAsChild = <A>(main: () => Promise<A>): void => {
  main().then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result)}\n`)
      process.exit(0)
    },
    (error) => {
      console.error(error)
      process.exit(1)
    }
  )
}

/** The JSON of one user as the API returns it: the body every benchmark server answers with. */
export const userJson = (status: "active" | "unverified"): string =>
  JSON.stringify({
    userId: "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21",
    status,
    active: status === "active",
    applications: [{
      accountId: "0b4f7c1e-2d3a-4e5f-8a9b-1c2d3e4f5a6b",
      active: true,
      applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d"
    }],
    createdAt: "2025-01-01T10:00:00.000Z",
    updatedAt: "2025-01-01T10:00:00.000Z"
  })

/**
 * A dispatcher that answers every request at once (no network), with a fresh body object per
 * response: a GET the active user's JSON, anything else the unverified user's.
 */
export const fakeDispatcher = (): Undici.Dispatcher => {
  const active = userJson("active")
  const unverified = userJson("unverified")
  const activeBuffer = new TextEncoder().encode(active).buffer
  const unverifiedBuffer = new TextEncoder().encode(unverified).buffer
  return {
    request: (options: { readonly method: string }) =>
      Promise.resolve({
        statusCode: 200,
        headers: { "content-type": "application/json" },
        body: {
          text: () => Promise.resolve(options.method === "GET" ? active : unverified),
          arrayBuffer: () => Promise.resolve(options.method === "GET" ? activeBuffer : unverifiedBuffer),
          on: () => undefined
        }
      })
  } as unknown as Undici.Dispatcher
}
