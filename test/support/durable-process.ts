/**
 * Spawns `durable-runner.ts` as a real child process (through tsx, no build) and talks to it
 * with JSON lines.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../", import.meta.url))
const tsx = `${root}node_modules/.bin/tsx`
const script = `${root}test/support/durable-runner.ts`

export interface RunnerEvent {
  readonly runner: string
  readonly event: string
  readonly [key: string]: unknown
}

export interface RunnerProcess {
  readonly name: string
  readonly child: ChildProcess
  readonly events: Array<RunnerEvent>
  readonly send: (command: Record<string, unknown>) => void
  /** Resolves with the first event (past or future) matching `f`. */
  readonly waitFor: (f: (e: RunnerEvent) => boolean, timeoutMs?: number) => Promise<RunnerEvent>
  readonly kill: (signal?: NodeJS.Signals) => Promise<void>
  readonly stderr: () => string
}

export const spawnRunner = (options: Record<string, unknown> & { readonly name: string }): RunnerProcess => {
  const child = spawn(tsx, [script, JSON.stringify(options)], {
    cwd: root,
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, NODE_NO_WARNINGS: "1" }
  })
  const events: Array<RunnerEvent> = []
  const waiters = new Set<() => void>()
  let stderr = ""
  child.stderr!.on("data", (chunk) => {
    stderr += chunk.toString()
  })
  createInterface({ input: child.stdout! }).on("line", (line) => {
    try {
      events.push(JSON.parse(line))
    } catch {
      stderr += `[stdout] ${line}\n`
      return
    }
    for (const w of waiters) w()
  })
  let exited = false
  let exitStatus = ""
  const exitedPromise = new Promise<void>((resolve) =>
    child.on("exit", (code, signal) => {
      exited = true
      exitStatus = signal === null ? `code ${code}` : `signal ${signal}`
      for (const w of waiters) w()
      resolve()
    })
  )
  return {
    name: options.name,
    child,
    events,
    send: (command) => child.stdin!.write(JSON.stringify(command) + "\n"),
    waitFor: (f, timeoutMs = 45_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(f)
          if (found !== undefined) {
            waiters.delete(check)
            clearTimeout(timer)
            resolve(found)
          } else if (exited) {
            waiters.delete(check)
            clearTimeout(timer)
            reject(
              new Error(
                `runner ${options.name} exited (${exitStatus}); last events: ${
                  JSON.stringify(events.slice(-5)).slice(-2000)
                }; stderr:\n${stderr.slice(-3000)}`
              )
            )
          }
        }
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `runner ${options.name}: no matching event in ${timeoutMs} ms; events: ${
                JSON.stringify(events).slice(-2000)
              }; stderr:\n${stderr.slice(-3000)}`
            )
          )
        }, timeoutMs)
        waiters.add(check)
        check()
      }),
    kill: (signal = "SIGKILL") => {
      if (!exited) child.kill(signal)
      return exitedPromise
    },
    stderr: () => stderr
  }
}
