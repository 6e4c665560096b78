/**
 * The bulk import step of the demo: generated users, a few already there and a few invalid,
 * imported while the simulator injects faults; then a rerun that the results file makes a no-op.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Credentials from "../services/Credentials.js"
import { Users } from "../services/Users.js"
import * as Faults from "../testing/Faults.js"
import * as Simulator from "../testing/Simulator.js"
import * as BulkImport from "../workflows/BulkImport.js"
import { CommandFailed } from "./errors.js"
import { progressCallback, summaryRows, table } from "./import.js"

/**
 * The faults injected during the import: a few 5xx and dropped connections, before and after
 * the server acted (so some creates must be reconciled, not blindly replayed).
 *
 * @since 0.1.0
 */
export const faults: Faults.FaultsConfig = Faults.on({
  createUser: { serverError: 0.03, dropBefore: 0.01, dropAfter: 0.01 },
  getUserbyUsername: { serverError: 0.02 }
})

const check = (condition: boolean, what: string) =>
  condition ? Effect.void : Effect.fail(new CommandFailed({ message: `demo step failed: ${what}` }))

/**
 * Runs the step and returns the lines to print after it.
 *
 * @since 0.1.0
 */
export const run = (options: { readonly users: number; readonly admin: Credentials.AdminCredential }) =>
  Effect.gen(function*() {
    const sim = yield* Simulator.Simulator
    const users = yield* Users
    const fs = yield* FileSystem.FileSystem
    const total = options.users
    const existing = Math.min(10, Math.floor(total / 10))
    const invalid = Math.min(3, Math.floor(total / 10))
    const records = Array.from({ length: total }, (_, i) =>
      i < invalid ? { username: `not-an-email-${i}` } : { username: `user${String(i).padStart(5, "0")}@example.com` })

    // Some users exist before the import: they must come out as `existing`, not as failures.
    yield* Effect.forEach(records.slice(invalid, invalid + existing), (r) => users.create({ username: r.username }), {
      discard: true
    }).pipe(Credentials.withAdmin(options.admin))
    yield* Console.log(
      `   ${total} records: ${existing} already exist, ${invalid} are not email addresses; ` +
        `faults: createUser 3% 5xx, 1% dropped before, 1% dropped after; getUserbyUsername 2% 5xx`
    )

    const dir = yield* fs.makeTempDirectoryScoped({ prefix: "glowmarkt-demo-" })
    const resultsFile = `${dir}/results.ndjson`
    yield* sim.resetCounters
    yield* sim.setFaults(faults)
    const progress = progressCallback(process.stdout, total, "   importing")
    const summary = yield* BulkImport.run(Stream.fromIterable(records), {
      total,
      resultsFile,
      concurrency: 16,
      ratePerSecond: Infinity,
      // The simulator runs on this process's clock: no skew between its createdAt and ours, so a
      // user found after a lost create is ours exactly when it was created after we first tried.
      retry: { attempts: 8, baseDelay: "10 millis", maxDelay: "200 millis", clockSkew: "0 millis" },
      onProgress: progress.onProgress,
      progressInterval: "100 millis"
    }).pipe(Credentials.withAdmin(options.admin))
    yield* sim.setFaults(Faults.none)
    yield* progress.finish(summary)
    const counters = yield* sim.counters
    const injected = Object.values(counters.faults).reduce((a, b) => a + b, 0)

    yield* check(summary.records === total, `${summary.records} of ${total} records were accounted for`)
    if (summary.failed !== invalid) {
      // Say why, from the results file: the reasons of the records that should not have failed.
      const reasons = (yield* fs.readFileString(resultsFile)).split("\n").filter((line) =>
        line.includes(`"outcome":"failed"`) && !line.includes("InvalidInputError")
      ).slice(0, 3)
      yield* check(false, `${summary.failed} records failed, expected the ${invalid} invalid ones: ${reasons.join("; ")}`)
    }
    yield* check(
      summary.created === total - invalid - existing && summary.existing === existing,
      `${summary.created} created and ${summary.existing} existing, expected ${total - invalid - existing} and ${existing}`
    )
    const active = (yield* sim.users).filter((u) => u.username.startsWith("user") && u.username.endsWith("@example.com"))
    yield* check(active.length === total - invalid, `the simulator holds ${active.length} imported users`)

    // The rerun reads the results file: everything done is skipped, nothing is sent.
    const rerun = yield* BulkImport.run(Stream.fromIterable(records), { resultsFile, ratePerSecond: Infinity }).pipe(
      Credentials.withAdmin(options.admin)
    )
    yield* check(rerun.skipped === total - invalid, `the rerun skipped ${rerun.skipped} records`)

    return [
      ...table(summaryRows(summary, [
        ["HTTP requests received", String(counters.received)],
        ["faults injected", String(injected)]
      ])),
      `no user created twice: the simulator holds exactly ${active.length} imported users`,
      `rerun with the results file: ${rerun.skipped} skipped, ${rerun.failed} failed again (the invalid ones), ` +
      `${rerun.requests} requests`
    ]
  }).pipe(Effect.scoped)
