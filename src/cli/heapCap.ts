/**
 * The heap cap of `glowmarkt users import`. V8 lets a busy process's old generation grow to
 * about four times what is live before it collects, so a bulk import whose live memory is flat
 * (about 40 MB) still peaked at 250-265 MB RSS with the default heap sizing. With
 * `--max-old-space-size=96` it collects earlier, and with `--max-semi-space-size=4` the young
 * generation stays small too: the importer's peak RSS is about 140 MB (the loaded modules alone
 * are about 100 MB), at 10,000 and at 100,000 users, for about 20-25 % less top speed (more full
 * collections; immaterial at the default rate of 10 requests/s): BENCHMARKS.md, "Bulk memory
 * through the CLI". A running process
 * cannot resize its heap (`v8.setFlagsFromString` has no effect then), so the `glowmarkt`
 * executable re-runs itself once with the flag for an import, unless the user chose a heap size
 * (`--max-old-space-size` in NODE_OPTIONS or node's flags) or turned it off
 * (`GLOWMARKT_CLI_HEAP_MB=0`). This module imports nothing but node: the launching process stays
 * small (about 40 MB) while the import runs in the child.
 *
 * @since 0.1.0
 */
import { spawn } from "node:child_process"

/**
 * The default cap, MB.
 *
 * @since 0.1.0
 */
export const defaultHeapMB = 96

/**
 * The young generation's semi-space cap, MB: V8's default (16) adds about 20 MB of RSS under a
 * bulk import's allocation rate; 4 and 8 measured alike in speed, 4 the smaller.
 *
 * @since 0.1.0
 */
export const semiSpaceMB = 4

/** Set in the child, so that it does not re-run itself. */
const cappedMarker = "GLOWMARKT_CLI_HEAP_CAPPED"

/**
 * The heap cap (MB) to re-run the command with, or undefined to run it in this process: only
 * `import` commands, only when no heap size was chosen.
 *
 * @since 0.1.0
 */
export const capFor = (
  args: ReadonlyArray<string>,
  execArgv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>
): number | undefined => {
  if (!args.includes("import")) return undefined
  if (env[cappedMarker] !== undefined) return undefined
  const chosen = /--max-old-space-size\b/
  if (execArgv.some((a) => chosen.test(a)) || chosen.test(env.NODE_OPTIONS ?? "")) return undefined
  const setting = env.GLOWMARKT_CLI_HEAP_MB
  if (setting === undefined || setting === "") return defaultHeapMB
  const mb = Number(setting)
  return Number.isInteger(mb) && mb > 0 ? mb : undefined
}

/**
 * Runs this same command in a child node with `--max-old-space-size=mb` (and the semi-space
 * cap, unless node's flags or NODE_OPTIONS set one), its stdio inherited,
 * and exits as it exits. SIGTERM and SIGHUP are passed on; so is SIGINT unless stdin is a
 * terminal (then the terminal has sent it to the child as well).
 *
 * @since 0.1.0
 */
export const relaunch = (mb: number): void => {
  const semi = /--max-semi-space-size\b/
  const semiChosen = process.execArgv.some((a) => semi.test(a)) || semi.test(process.env.NODE_OPTIONS ?? "")
  const flags = [`--max-old-space-size=${mb}`, ...(semiChosen ? [] : [`--max-semi-space-size=${semiSpaceMB}`])]
  const child = spawn(process.execPath, [...process.execArgv, ...flags, ...process.argv.slice(1)], {
    stdio: "inherit",
    env: { ...process.env, [cappedMarker]: String(mb) }
  })
  for (const signal of ["SIGTERM", "SIGHUP", "SIGINT"] as const) {
    process.on(signal, () => {
      if (signal === "SIGINT" && process.stdin.isTTY) return
      child.kill(signal)
    })
  }
  child.on("error", (error) => {
    console.error(`glowmarkt: could not start node for the import: ${error.message}`)
    process.exit(1)
  })
  child.on("exit", (code, signal) => {
    if (signal !== null) {
      process.removeAllListeners(signal)
      process.kill(process.pid, signal)
      return
    }
    process.exit(code ?? 1)
  })
}
