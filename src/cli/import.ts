/**
 * `glowmarkt users import FILE`: creates the users of a CSV or NDJSON file (admin), with
 * bounded concurrency and a rate limit, a progress display, and a results file that a rerun
 * reads to skip what is done.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Credentials from "../services/Credentials.js"
import * as BulkImport from "../workflows/BulkImport.js"
import * as Config from "./config.js"
import { CommandFailed, UsageError } from "./errors.js"
import * as Progress from "./progress.js"

const path = ["users", "import"]

/**
 * The summary of an import as table rows.
 *
 * @since 0.1.0
 */
export const summaryRows = (
  summary: BulkImport.Summary,
  extra: ReadonlyArray<readonly [string, string]> = []
): ReadonlyArray<readonly [string, string]> => [
  ["created", String(summary.created)],
  ["existing", String(summary.existing)],
  ["failed", String(summary.failed)],
  ...(summary.unknown > 0 ? [["unknown (check)", String(summary.unknown)] as const] : []),
  ...(summary.skipped > 0 ? [["skipped (done before)", String(summary.skipped)] as const] : []),
  ["requests", String(summary.requests)],
  ["retries", String(summary.retries)],
  ["elapsed", Progress.formatDuration(summary.elapsedMillis)],
  ...extra
]

/**
 * Rows as a small boxed table.
 *
 * @since 0.1.0
 */
export const table = (rows: ReadonlyArray<readonly [string, string]>): ReadonlyArray<string> => {
  const left = Math.max(...rows.map(([k]) => k.length))
  const right = Math.max(...rows.map(([, v]) => v.length))
  const rule = (l: string, m: string, r: string) => `${l}${"─".repeat(left + 2)}${m}${"─".repeat(right + 2)}${r}`
  return [
    rule("┌", "┬", "┐"),
    ...rows.map(([k, v]) => `│ ${k.padEnd(left)} │ ${v.padStart(right)} │`),
    rule("└", "┴", "┘")
  ]
}

/**
 * A progress callback for `BulkImport`, drawing on `sink`.
 *
 * @since 0.1.0
 */
export const progressCallback = (sink: Progress.Sink, total: number, label?: string) => {
  const display = Progress.make({ total, sink, label })
  const tally = (p: Pick<BulkImport.Progress, "created" | "existing" | "failed" | "unknown" | "skipped">) =>
    `created ${p.created} · existing ${p.existing} · failed ${p.failed}${p.unknown > 0 ? ` · unknown ${p.unknown}` : ""}${
      p.skipped > 0 ? ` · skipped ${p.skipped}` : ""
    }`
  return {
    onProgress: (p: BulkImport.Progress) => Effect.sync(() => display.update({ done: p.done, tally: tally(p) })),
    finish: (summary: BulkImport.Summary) =>
      Effect.sync(() =>
        display.finish({
          done: summary.records,
          tally: tally(summary)
        })
      )
  }
}

/**
 * The `users import` command.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "import",
  {
    ...Config.common,
    results: Options.text("results").pipe(
      Options.withDescription(
        "The NDJSON results file: read first (finished records are skipped), appended to as records finish (default FILE.results.ndjson)."
      ),
      Options.optional
    ),
    concurrency: Options.integer("concurrency").pipe(
      Options.withDescription("Records in flight at once."),
      Options.withDefault(BulkImport.defaults.concurrency)
    ),
    rate: Options.float("rate").pipe(
      Options.withDescription("Requests per second at most, creates and look-ups together."),
      Options.withDefault(BulkImport.defaults.ratePerSecond)
    ),
    format: Options.choice("format", ["csv", "ndjson"]).pipe(
      Options.withDescription("The input format (default: from the extension, .csv or NDJSON)."),
      Options.optional
    ),
    file: Args.file({ name: "FILE", exists: "yes" }).pipe(
      Args.withDescription("CSV with a header row (username or email column, optional directoryId), or NDJSON {\"username\": ...} lines.")
    )
  },
  (o) =>
    Effect.gen(function*() {
      if (o.concurrency < 1 || o.concurrency > 256) {
        return yield* new UsageError({ message: "--concurrency must be from 1 to 256", command: path })
      }
      if (!(o.rate > 0)) return yield* new UsageError({ message: "--rate must be positive", command: path })
      const admin = yield* Config.adminCredential(path)
      const resultsFile = Option.getOrElse(o.results, () => `${o.file}.results.ndjson`)
      const format = Option.getOrUndefined(o.format)
      const total = yield* BulkImport.countRecords(o.file, { format })
      // With --json stdout holds only the result: progress goes to stderr.
      const sink = o.json ? process.stderr : process.stdout
      const progress = progressCallback(sink, total)
      if (!o.json) yield* Console.log(`importing ${total} records from ${o.file} (results: ${resultsFile})`)
      const summary = yield* BulkImport.runFile(o.file, {
        format,
        total,
        resultsFile,
        concurrency: o.concurrency,
        ratePerSecond: o.rate,
        onProgress: progress.onProgress,
        progressInterval: "250 millis"
      }).pipe(Credentials.withAdmin(admin))
      yield* progress.finish(summary)
      if (o.json) {
        yield* Console.log(JSON.stringify({ ...summary, resultsFile }))
      } else {
        yield* Console.log(table(summaryRows(summary)).join("\n"))
      }
      if (summary.failed + summary.unknown > 0) {
        return yield* new CommandFailed({
          message: `${summary.failed} of ${summary.records} records failed and ${summary.unknown} are unknown ` +
            `(reasons in ${resultsFile}); fix the failed ones and run the same command again: finished records ` +
            `are skipped, unknown ones are checked`
        })
      }
    }).pipe(Config.withClient(o, path))
).pipe(
  Command.withDescription(
    "Create the users of FILE (admin): concurrency and rate limit, progress, and a results file so that a rerun skips what is done."
  )
)
