/**
 * Runs the BUILT `glowmarkt` CLI as a real process, for the CLI tests.
 */
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { createInterface } from "node:readline"
import { promisify } from "node:util"
import type { SimulatorInfo } from "../../src/testing/Simulator.js"

/** The repository root. */
export const root = path.resolve(import.meta.dirname, "../..")

/** The built executable. */
export const bin = path.join(root, "dist/cli/bin.js")

/**
 * Builds `dist/` with the build config. Other modules in progress may have type errors that do
 * not concern the CLI; tsc still emits, so what matters is that the executable is there.
 */
export const build = async (): Promise<void> => {
  await promisify(execFile)("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root }).catch(() => undefined)
  if (!existsSync(bin)) throw new Error(`the build did not produce ${bin}`)
}

/** What a run printed and how it ended. */
export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** The environment without any GLOWMARKT_* variable of the machine running the tests. */
const cleanEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("GLOWMARKT_")) env[k] = v
  return env
}

/** Runs `glowmarkt args...` with stdin closed (not a terminal) and the given environment. */
export const runCli = (
  args: ReadonlyArray<string>,
  options: { readonly env?: Record<string, string>; readonly timeoutMs?: number } = {}
): Promise<Run> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: { ...cleanEnv(), NO_COLOR: "1", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    child.stdin.end()
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`glowmarkt ${args.join(" ")} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 60_000)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })

/** The first line of `glowmarkt simulator`: how to reach it, with its (throwaway) credentials. */
export type SimulatorBanner = SimulatorInfo

/** A running `glowmarkt simulator --port 0`. */
export interface RunningSimulator {
  readonly banner: SimulatorBanner
  readonly process: ChildProcess
  readonly stop: () => Promise<void>
}

/** Spawns `glowmarkt simulator --port 0` and reads its first stdout line. */
export const startSimulator = (): Promise<RunningSimulator> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "simulator", "--port", "0"], {
      cwd: root,
      env: cleanEnv(),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    const lines = createInterface({ input: child.stdout })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the simulator did not start: ${stderr}`))
    }, 20_000)
    child.on("error", reject)
    lines.once("line", (line) => {
      clearTimeout(timer)
      const banner = JSON.parse(line) as SimulatorBanner
      resolve({
        banner,
        process: child,
        stop: () =>
          new Promise<void>((done) => {
            if (child.exitCode !== null) return done()
            child.once("close", () => done())
            child.kill("SIGTERM")
          })
      })
    })
  })

/** The newest code the simulator emailed to `email` (of a kind). */
export const latestCode = async (
  origin: string,
  email: string,
  kind: "verification" | "passwordReset"
): Promise<string> => {
  const res = await fetch(`${origin}/_simulator/inbox/${encodeURIComponent(email)}`)
  const body = (await res.json()) as ReadonlyArray<{ kind: string; code: string }>
  const found = body.filter((m) => m.kind === kind).at(-1)
  if (found === undefined) throw new Error(`no ${kind} code for ${email}: ${JSON.stringify(body)}`)
  return found.code
}

/** Fails the test if any of `secrets` shows in what a run printed. */
export const expectNoSecrets = (run: Run, secrets: ReadonlyArray<string>): void => {
  for (const secret of secrets) {
    if (secret === "") continue
    if (run.stdout.includes(secret) || run.stderr.includes(secret)) {
      throw new Error(`a secret was printed (${secret.slice(0, 3)}…)\nstdout: ${run.stdout}\nstderr: ${run.stderr}`)
    }
  }
  // No JWT of any kind (they all start with the base64 of `{"`).
  if (/eyJ[A-Za-z0-9_-]{10,}/.test(run.stdout + run.stderr)) throw new Error("a token was printed")
}
