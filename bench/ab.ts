/**
 * Before → after of a change, in one process: the library as built at two commits, side by side.
 *
 * Two runs of the overhead benchmark minutes apart differ by up to 20 % on the same client at
 * concurrency 1 on this machine (BENCHMARKS.md), more than most single changes gain. Here both
 * builds run in one process, under the same load: `src/` of each commit is compiled into
 * `bench/results/tmp/ab/REV/dist`, and each build's `Users.getById` / `Users.register` on its
 * own `UndiciHttpClient` (the transport the README recommends) runs N calls per round against
 * the minimal server (`bench/servers/minimal.ts`, another process), the two in rotating
 * rounds. CPU µs per call of this process, median over the rounds, and after / before per round.
 *
 *   npx tsc -p bench/tsconfig.build.json && node bench/results/tmp/build/bench/ab.js BEFORE [AFTER]
 *     [--ops getById,register] [--concurrency 1,64] [--rounds 9] [--calls1 2000] [--calls64 6000]
 *     [--warmup 2000] [--repeats 1]
 *
 * BEFORE and AFTER are git revisions (AFTER: HEAD). Each `--repeats` is a fresh pair of runs.
 */
import * as Effect from "effect/Effect"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, rmSync } from "node:fs"
import * as path from "node:path"
import { args, benchDir, median, round, startServer } from "./lib/common.js"
import { libraryFrom, userId } from "./lib/library.js"

const argv = args()
const [before, after = "HEAD"] = argv.positional
const ops = (argv.get("ops") ?? "getById,register").split(",") as Array<"getById" | "register">
const concurrencies = (argv.get("concurrency") ?? "1,64").split(",").map(Number)
const rounds = argv.number("rounds", 9)
const callsAt = (c: number) => argv.number(`calls${c}`, c === 1 ? 2000 : 6000)
const warmup = argv.number("warmup", 2000)
const repeats = argv.number("repeats", 1)

const repo = path.resolve(benchDir, "..")
const abDir = path.join(benchDir, "results", "tmp", "ab")

/** Compiles `src/` as it is at `rev` into its own directory (below the repository: it imports `node_modules`). */
const build = (rev: string): string => {
  const sha = execFileSync("git", ["rev-parse", "--short", rev], { cwd: repo, encoding: "utf8" }).trim()
  const dir = path.join(abDir, sha)
  if (!existsSync(path.join(dir, "dist", "services", "Users.js"))) {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const files = ["src", "tsconfig.build.json", "tsconfig.base.json"]
    const archive = execFileSync("git", ["archive", sha, ...files], { cwd: repo, maxBuffer: 1 << 28 })
    execFileSync("tar", ["-x", "-C", dir], { input: archive })
    execFileSync(process.execPath, [path.join(repo, "node_modules", "typescript", "bin", "tsc"), "-p", path.join(dir, "tsconfig.build.json")], {
      cwd: dir,
      stdio: "inherit"
    })
  }
  return dir
}

interface Build {
  readonly name: string
  readonly run: (op: "getById" | "register", n: number, c: number) => Promise<void>
  readonly dispose: () => Promise<void>
}

let registered = 0

/** The library of one build, on its own `UndiciHttpClient` over its own undici `Agent`. */
const load = async (name: string, dir: string, baseUrl: string): Promise<Build> => {
  const dist = path.join(dir, "dist")
  // Each build's own modules (typed as today's sources); `effect` and `undici` are the
  // repository's, shared by both.
  const Users: typeof import("../src/services/Users.js") = await import(path.join(dist, "services", "Users.js"))
  const Credentials: typeof import("../src/services/Credentials.js") = await import(path.join(dist, "services", "Credentials.js"))
  const GlowmarktConfig: typeof import("../src/services/GlowmarktConfig.js") = await import(
    path.join(dist, "services", "GlowmarktConfig.js")
  )
  const UndiciHttpClient: typeof import("../src/transport/UndiciHttpClient.js") = await import(
    path.join(dist, "transport", "UndiciHttpClient.js")
  )
  const { credential, password, runtime, users } = await libraryFrom({ Users, Credentials, GlowmarktConfig }, UndiciHttpClient.layer, baseUrl)
  const getById = Effect.provideService(users.getById(userId), Credentials.AdminAuth, credential)
  const register = Effect.suspend(() => {
    const i = registered++
    return users.register({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password })
  })
  const calls: Record<"getById" | "register", Effect.Effect<void, unknown>> = { getById: Effect.asVoid(getById), register: Effect.asVoid(register) }
  return {
    name,
    run: (op, n, c) => runtime.runPromise(Effect.forEach(Array.from({ length: n }), () => calls[op], { concurrency: c, discard: true })),
    dispose: () => runtime.dispose()
  }
}

const main = async () => {
  if (before === undefined) throw new Error("usage: ab.js BEFORE [AFTER] (git revisions)")
  const dirs = [build(before), build(after)] as const
  const server = await startServer<{ port: number }>("servers/minimal.ts")
  const baseUrl = `http://127.0.0.1:${server.info.port}/api/v0-1`
  const builds = [await load(`before ${path.basename(dirs[0])}`, dirs[0], baseUrl), await load(`after ${path.basename(dirs[1])}`, dirs[1], baseUrl)]
  const rows: Array<Record<string, unknown>> = []
  for (let repeat = 0; repeat < repeats; repeat++) {
    for (const op of ops) {
      for (const c of concurrencies) {
        const n = callsAt(c)
        for (const b of builds) await b.run(op, warmup, c)
        const cpu: Array<Array<number>> = [[], []]
        for (let r = 0; r < rounds; r++) {
          // Each round starts with the other build: the garbage one leaves is collected in the next run.
          for (const k of r % 2 === 0 ? [0, 1] : [1, 0]) {
            const cpu0 = process.cpuUsage()
            await builds[k]!.run(op, n, c)
            const used = process.cpuUsage(cpu0)
            cpu[k]!.push((used.user + used.system) / n)
          }
        }
        const ratios = cpu[1]!.map((x, r) => x / cpu[0]![r]!)
        const row = {
          op,
          concurrency: c,
          before: round(median(cpu[0]!), 1),
          after: round(median(cpu[1]!), 1),
          afterOverBefore: round(median(ratios), 3),
          range: [round(Math.min(...ratios), 3), round(Math.max(...ratios), 3)]
        }
        rows.push(row)
        process.stderr.write(
          `ab ${op} c=${c}: ${builds[0]!.name} ${row.before} µs, ${builds[1]!.name} ${row.after} µs, after / before ${row.afterOverBefore} [${row.range.join("-")}]\n`
        )
      }
    }
  }
  await Promise.all(builds.map((b) => b.dispose()))
  await server.stop()
  process.stdout.write(`${JSON.stringify({ before: dirs[0], after: dirs[1], rounds, rows })}\n`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
