/**
 * Provisions many users from a stream of records: admin creates with bounded concurrency and a
 * rate limit, every record accounted for as `created`, `existing`, `failed` (surely not created,
 * with its typed error) or `unknown` (the server could not be asked after a lost answer), a
 * results file that lets a rerun skip what is done, and a throttled progress callback.
 *
 * ```ts
 * const summary = yield* BulkImport.runFile("users.csv", {
 *   resultsFile: "users.results.ndjson",
 *   concurrency: 8,
 *   ratePerSecond: 20,
 *   onProgress: (p) => Console.log(`${p.done}/${p.total}`)
 * })
 * ```
 *
 * Memory stays bounded whatever the input size: the input is read as a stream of lines, at
 * most `concurrency` records are in flight, and results are appended to the file as they
 * finish (in batches of up to 256 lines or 200 ms), never collected. The one thing that grows is the set of usernames that a previous
 * run finished (read from the results file, to skip them): keys only.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { PlatformError } from "@effect/platform/Error"
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import { InvalidInputError } from "../schema/GlowmarktError.js"
import { DirectoryId, EmailUsername, type UserId, Username } from "../schema/Identifiers.js"
import type { AdminAuth } from "../services/Credentials.js"
import * as Users from "../services/Users.js"
import { decodeInput } from "../services/internal/input.js"
import { type Hooks, isUnconfirmed, type ProvisionError, reconcileCreate, type RetrySettings } from "./internal/provision.js"
import { type Limit, tokenBucket, unlimited } from "./internal/rateLimit.js"
import { defaultRetry, type RetryOptions } from "./Provisioning.js"

// ---------------------------------------------------------------------------------------------
// Records

/**
 * One user to import. Only `username` is required; `directoryId` defaults to the option, then
 * to the configured one.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ImportRecord = Schema.Struct({
  username: Schema.String,
  directoryId: Schema.optional(Schema.String)
})
/** @category models @since 0.1.0 */
export type ImportRecord = typeof ImportRecord.Type

/**
 * A line of an input file that could not be read as a record: it becomes a `failed` result
 * (an `InvalidInputError`), it does not stop the import.
 *
 * @category models
 * @since 0.1.0
 */
export class Unparsable extends Data.TaggedClass("Unparsable")<{ readonly problem: string }> {}

/**
 * What a record can fail with: bad input (never sent), or the API's errors once the retries
 * and reconciliations were spent.
 *
 * @category errors
 * @since 0.1.0
 */
export type ImportError = ProvisionError

/**
 * What became of one record. `record` is its 1-based position in the input (a CSV header is
 * not a record); `attempts` the creates sent.
 *
 * @category models
 * @since 0.1.0
 */
export type RecordResult = Data.TaggedEnum<{
  Created: { readonly record: number; readonly username: Username; readonly userId: Option.Option<UserId>; readonly attempts: number }
  Existing: { readonly record: number; readonly username: Username; readonly userId: Option.Option<UserId>; readonly attempts: number }
  Failed: { readonly record: number; readonly username: Option.Option<string>; readonly error: ImportError; readonly attempts: number }
  /**
   * The server could not be asked whether the user was created (a create may have happened and
   * every look-up after it failed): look the username up, or rerun with the results file.
   */
  Unknown: { readonly record: number; readonly username: Username; readonly error: ImportError; readonly attempts: number }
  /** Done by a previous run (found in the results file): nothing was sent. */
  Skipped: { readonly record: number; readonly username: Username }
}>
/**
 * Constructors and matchers of {@link RecordResult}.
 *
 * @category models
 * @since 0.1.0
 */
export const RecordResult = Data.taggedEnum<RecordResult>()

/**
 * A line of the results file (NDJSON): what a rerun reads to skip finished records, and what a
 * person reads to see what failed and why.
 *
 * @category schemas
 * @since 0.1.0
 */
export const ResultLine = Schema.Struct({
  record: Schema.Number,
  username: Schema.optional(Schema.String),
  outcome: Schema.Literal("created", "existing", "failed", "unknown"),
  userId: Schema.optional(Schema.String),
  attempts: Schema.Number,
  error: Schema.optional(Schema.Struct({ _tag: Schema.String, message: Schema.String })),
  at: Schema.String
})
/** @category models @since 0.1.0 */
export type ResultLine = typeof ResultLine.Type

// ---------------------------------------------------------------------------------------------
// Progress and summary

/**
 * A progress report, for a progress bar. `done` counts finished records (skipped ones too);
 * `ratePerSecond` is the records processed per second of this run; `etaSeconds` is known when
 * `total` is.
 *
 * @category models
 * @since 0.1.0
 */
export interface Progress {
  readonly done: number
  readonly total?: number | undefined
  readonly created: number
  readonly existing: number
  readonly failed: number
  readonly unknown: number
  readonly skipped: number
  readonly ratePerSecond: number
  readonly etaSeconds?: number | undefined
}

/**
 * The end of an import. `created + existing + failed + unknown + skipped = records`. `requests` counts the
 * creates and look-ups sent by the import, `retries` the creates sent again (the client's own
 * retries of a single call happen inside and are not counted).
 *
 * @category models
 * @since 0.1.0
 */
export interface Summary {
  readonly records: number
  readonly created: number
  readonly existing: number
  /** Surely not created (bad input, or refused). */
  readonly failed: number
  /** Perhaps created: the server could not be asked (see the results file). */
  readonly unknown: number
  readonly skipped: number
  readonly requests: number
  readonly retries: number
  readonly elapsedMillis: number
}

// ---------------------------------------------------------------------------------------------
// Options

/**
 * Options of an import; every one has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Records in flight at once (default 4). */
  readonly concurrency?: number | undefined
  /**
   * Requests per second, creates and look-ups together, as a token bucket with bursts of one
   * second's worth (default 10; `Infinity`: no limit).
   */
  readonly ratePerSecond?: number | undefined
  /** How a failed create is reconciled and sent again. */
  readonly retry?: RetryOptions | undefined
  /**
   * The NDJSON results file: read first (its finished records are skipped), appended to as
   * records finish, in batches (a killed run loses at most the last one: see docs/WORKFLOWS.md).
   */
  readonly resultsFile?: string | undefined
  /** The number of records, when known: for `etaSeconds`. */
  readonly total?: number | undefined
  /** Called with the progress, at most every `progressInterval`, and once at the end. */
  readonly onProgress?: ((progress: Progress) => Effect.Effect<void>) | undefined
  /** Default 250 ms. */
  readonly progressInterval?: Duration.DurationInput | undefined
  /** The directory of the records that name none (default: the configured one). */
  readonly directoryId?: string | undefined
  /** Whether a username must be an email address, as in Glowmarkt's apps (default `true`). */
  readonly usernameMustBeEmail?: boolean | undefined
}

/** @category constants @since 0.1.0 */
export const defaults = {
  concurrency: 4,
  ratePerSecond: 10,
  progressInterval: Duration.millis(250)
} as const

// ---------------------------------------------------------------------------------------------
// The results file

const encodeLine = Schema.encodeSync(Schema.parseJson(ResultLine))
const decodeLine = Schema.decodeUnknownOption(Schema.parseJson(ResultLine))

/** The normalised key of a username: what a rerun compares. */
const keyOf = (username: string) => username.trim().toLowerCase()

/**
 * Reads a results file: the usernames that are done (`created` or `existing`), and whether
 * the file ends with a newline (a run killed mid-write leaves half a line, which is ignored and
 * must not be glued to the next one).
 *
 * @category flows
 * @since 0.1.0
 */
export const readResults = (
  path: string
): Effect.Effect<{ readonly done: ReadonlySet<string>; readonly endsWithNewline: boolean }, PlatformError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const done = new Set<string>()
    if (!(yield* fs.exists(path))) return { done, endsWithNewline: true }
    let last: number | undefined
    yield* fs.stream(path).pipe(
      Stream.tap((bytes) => Effect.sync(() => {
        if (bytes.length > 0) last = bytes[bytes.length - 1]
      })),
      Stream.decodeText(),
      Stream.splitLines,
      Stream.runForEach((line) =>
        Effect.sync(() => {
          const parsed = decodeLine(line)
          if (
            Option.isSome(parsed) && (parsed.value.outcome === "created" || parsed.value.outcome === "existing") &&
            parsed.value.username !== undefined
          ) {
            done.add(keyOf(parsed.value.username))
          }
        })
      )
    )
    return { done, endsWithNewline: last === undefined || last === 10 }
  })

const toLine = (result: RecordResult, at: Date): Option.Option<string> =>
  RecordResult.$match(result, {
    Created: (r) =>
      Option.some(encodeLine({
        record: r.record,
        username: r.username,
        outcome: "created",
        ...Option.match(r.userId, { onNone: () => ({}), onSome: (userId) => ({ userId }) }),
        attempts: r.attempts,
        at: at.toISOString()
      })),
    Existing: (r) =>
      Option.some(encodeLine({
        record: r.record,
        username: r.username,
        outcome: "existing",
        ...Option.match(r.userId, { onNone: () => ({}), onSome: (userId) => ({ userId }) }),
        attempts: r.attempts,
        at: at.toISOString()
      })),
    Failed: (r) =>
      Option.some(encodeLine({
        record: r.record,
        ...Option.match(r.username, { onNone: () => ({}), onSome: (username) => ({ username }) }),
        outcome: "failed",
        attempts: r.attempts,
        error: { _tag: r.error._tag, message: r.error.message },
        at: at.toISOString()
      })),
    Unknown: (r) =>
      Option.some(encodeLine({
        record: r.record,
        username: r.username,
        outcome: "unknown",
        attempts: r.attempts,
        error: { _tag: r.error._tag, message: `${r.error.message}; look ${r.username} up before creating it again` },
        at: at.toISOString()
      })),
    Skipped: () => Option.none()
  })

// ---------------------------------------------------------------------------------------------
// Input files

/**
 * The formats {@link fromFile} reads: CSV with a header row (a `username` column, or `email`;
 * optionally `directoryId`), or NDJSON (one `{"username": ...}` object per line).
 *
 * @category models
 * @since 0.1.0
 */
export type Format = "csv" | "ndjson"

/** Splits one CSV line into fields (RFC 4180 quoting, on one line). */
const csvFields = (line: string): Array<string> => {
  const fields: Array<string> = []
  let field = ""
  let quoted = false
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!
    if (quoted) {
      if (c === "\"" && line[i + 1] === "\"") {
        field += "\""
        i++
      } else if (c === "\"") quoted = false
      else field += c
    } else if (c === "\"") quoted = true
    else if (c === ",") {
      fields.push(field)
      field = ""
    } else field += c
  }
  fields.push(field)
  return fields.map((f) => f.trim())
}

const csvRecords = <E, R>(lines: Stream.Stream<string, E, R>): Stream.Stream<unknown, E, R> =>
  lines.pipe(
    Stream.mapAccum(Option.none<Array<string>>(), (header, line): readonly [Option.Option<Array<string>>, Option.Option<unknown>] => {
      const fields = csvFields(line)
      if (Option.isNone(header)) return [Option.some(fields.map((f) => f.toLowerCase())), Option.none()]
      const names = header.value
      const column = (name: string) => {
        const index = names.indexOf(name.toLowerCase())
        return index === -1 ? undefined : fields[index]
      }
      const username = column("username") ?? column("email")
      if (username === undefined) {
        return [header, Option.some(new Unparsable({ problem: "the CSV header has no username (or email) column" }))]
      }
      const directoryId = column("directoryId")
      return [header, Option.some(directoryId === undefined || directoryId === "" ? { username } : { username, directoryId })]
    }),
    Stream.filterMap((record) => record)
  )

const ndjsonRecords = <E, R>(lines: Stream.Stream<string, E, R>): Stream.Stream<unknown, E, R> =>
  Stream.map(lines, (line) => {
    try {
      return JSON.parse(line) as unknown
    } catch {
      return new Unparsable({ problem: "is not a JSON object" })
    }
  })

const formatOf = (path: string, format: Format | undefined): Format =>
  format ?? (path.toLowerCase().endsWith(".csv") ? "csv" : "ndjson")

/**
 * The records of a CSV or NDJSON file, streamed line by line (blank lines are skipped). The
 * format follows the extension (`.csv`, anything else is NDJSON) unless given.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromFile = (
  path: string,
  options?: { readonly format?: Format | undefined }
): Stream.Stream<unknown, PlatformError, FileSystem.FileSystem> =>
  Stream.unwrap(Effect.map(FileSystem.FileSystem, (fs) => {
    const lines = fs.stream(path).pipe(
      Stream.decodeText(),
      Stream.splitLines,
      Stream.filter((line) => line.trim() !== "")
    )
    return formatOf(path, options?.format) === "csv" ? csvRecords(lines) : ndjsonRecords(lines)
  }))

/**
 * Counts the records of a file in a first streaming pass (for `total` and the ETA).
 *
 * @category flows
 * @since 0.1.0
 */
export const countRecords = (
  path: string,
  options?: { readonly format?: Format | undefined }
): Effect.Effect<number, PlatformError, FileSystem.FileSystem> => Stream.runCount(fromFile(path, options))

/** The retry settings of `options`, defaults filled in. */
const retrySettings = (options: RetryOptions | undefined): RetrySettings => ({
  attempts: Math.max(1, options?.attempts ?? defaultRetry.attempts),
  baseDelay: Duration.decode(options?.baseDelay ?? defaultRetry.baseDelay),
  maxDelay: Duration.decode(options?.maxDelay ?? defaultRetry.maxDelay),
  clockSkew: Duration.decode(options?.clockSkew ?? defaultRetry.clockSkew)
})

// ---------------------------------------------------------------------------------------------
// The import

interface Stats {
  readonly startedAt: number
  records: number
  created: number
  existing: number
  failed: number
  unknown: number
  skipped: number
  requests: number
  retries: number
  lastProgressAt: number
}

const progressOf = (stats: Stats, now: number, total: number | undefined): Progress => {
  const done = stats.created + stats.existing + stats.failed + stats.unknown + stats.skipped
  const processed = stats.created + stats.existing + stats.failed + stats.unknown
  const seconds = Math.max(0.001, (now - stats.startedAt) / 1000)
  const ratePerSecond = processed / seconds
  const left = total === undefined ? undefined : Math.max(0, total - done)
  return {
    done,
    ...(total === undefined ? {} : { total }),
    created: stats.created,
    existing: stats.existing,
    failed: stats.failed,
    unknown: stats.unknown,
    skipped: stats.skipped,
    ratePerSecond,
    ...(left === undefined ? {} : { etaSeconds: left === 0 ? 0 : ratePerSecond > 0 ? left / ratePerSecond : undefined })
  }
}

const limiterOf = (ratePerSecond: number): Effect.Effect<Limit> => {
  if (!Number.isFinite(ratePerSecond)) return Effect.succeed(unlimited)
  if (!(ratePerSecond > 0)) return Effect.dieMessage("BulkImport: ratePerSecond must be positive")
  return tokenBucket(ratePerSecond)
}

const RecordInput = (emailOnly: boolean) =>
  Schema.Struct({
    username: (emailOnly ? EmailUsername : Username) as Schema.Schema<Username, string>,
    directoryId: Schema.optional(DirectoryId)
  })

const make = <E, R>(records: Stream.Stream<unknown, E, R>, options: Options | undefined, stats: Stats) =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const users = yield* Users.Users
    const fs = yield* FileSystem.FileSystem
    const concurrency = Math.max(1, options?.concurrency ?? defaults.concurrency)
    const retry = retrySettings(options?.retry)
    const interval = Duration.toMillis(options?.progressInterval ?? defaults.progressInterval)
    const total = options?.total
    const schema = RecordInput(options?.usernameMustBeEmail ?? true)
    const limit = yield* limiterOf(options?.ratePerSecond ?? defaults.ratePerSecond)
    const hooks: Hooks = { limit, onRequest: Effect.sync(() => void stats.requests++) }

    const previous = options?.resultsFile === undefined
      ? { done: new Set<string>(), endsWithNewline: true }
      : yield* readResults(options.resultsFile)
    const results = options?.resultsFile === undefined
      ? undefined
      : yield* fs.open(options.resultsFile, { flag: "a" })
    const encoder = new TextEncoder()
    if (results !== undefined && !previous.endsWithNewline) yield* results.writeAll(encoder.encode("\n"))
    // Result lines are appended in batches: one write per record cost more than the record's
    // request (BENCHMARKS.md). A run that is killed loses at most the last batch; a rerun sends
    // those records again and the server's "already exists" makes them `existing`.
    const pending: Array<string> = []
    let flushedAt = yield* Clock.currentTimeMillis
    const flush = Effect.suspend(() => {
      if (results === undefined || pending.length === 0) return Effect.void
      const text = pending.join("")
      pending.length = 0
      return results.writeAll(encoder.encode(text))
    })

    const one = (raw: unknown, index: number): Effect.Effect<RecordResult, never, AdminAuth> => {
      const record = index + 1
      const failed = (error: ImportError, username: Option.Option<string>, attempts = 0) =>
        RecordResult.Failed({ record, username, error, attempts })
      if (raw instanceof Unparsable) {
        return Effect.succeed(failed(new InvalidInputError({ operation: "bulkImport", field: "record", problem: raw.problem }), Option.none()))
      }
      const rawUsername = typeof raw === "object" && raw !== null && "username" in raw && typeof raw.username === "string"
        ? Option.some(keyOf(raw.username))
        : Option.none()
      return decodeInput("bulkImport", schema, raw).pipe(
        Effect.matchEffect({
          onFailure: (error): Effect.Effect<RecordResult> => Effect.succeed(failed(error, rawUsername)),
          onSuccess: (input): Effect.Effect<RecordResult, never, AdminAuth> => {
            if (previous.done.has(input.username)) {
              return Effect.succeed(RecordResult.Skipped({ record, username: input.username }))
            }
            const directoryId = input.directoryId ?? (options?.directoryId as DirectoryId | undefined)
            return reconcileCreate(
              users,
              { username: input.username, ...(directoryId === undefined ? {} : { directoryId }) },
              retry,
              hooks
            ).pipe(
              Effect.map((r) => {
                const fields = {
                  record,
                  username: input.username,
                  userId: Option.map(r.user, (u) => u.userId),
                  attempts: r.attempts
                }
                return r.outcome === "created" ? RecordResult.Created(fields) : RecordResult.Existing(fields)
              }),
              // `attempts` of a failure: at least the one create; the exact count is in the span.
              Effect.catchAll((error) =>
                Effect.succeed(
                  isUnconfirmed(error)
                    ? RecordResult.Unknown({ record, username: input.username, error, attempts: 1 })
                    : failed(error, Option.some(input.username), 1)
                )
              )
            )
          }
        })
      )
    }

    const account = (result: RecordResult) =>
      Effect.gen(function*() {
        stats.records++
        switch (result._tag) {
          case "Created":
            stats.created++
            stats.retries += result.attempts - 1
            break
          case "Existing":
            stats.existing++
            stats.retries += Math.max(0, result.attempts - 1)
            break
          case "Failed":
            stats.failed++
            break
          case "Unknown":
            stats.unknown++
            break
          case "Skipped":
            stats.skipped++
            break
        }
        const now = yield* Clock.currentTimeMillis
        if (results !== undefined) {
          const line = toLine(result, new Date(now))
          if (Option.isSome(line)) pending.push(`${line.value}\n`)
          if (pending.length >= flushLines || now - flushedAt >= flushInterval) {
            flushedAt = now
            yield* flush
          }
        }
        if (options?.onProgress !== undefined) {
          if (now - stats.lastProgressAt >= interval) {
            stats.lastProgressAt = now
            yield* options.onProgress(progressOf(stats, now, total))
          }
        }
      })

    return records.pipe(
      Stream.zipWithIndex,
      Stream.mapEffect(([raw, index]) => one(raw, Number(index)), { concurrency, unordered: true }),
      Stream.tap(account),
      Stream.concat(Stream.execute(flush)),
      Stream.ensuring(
        Effect.zipRight(
          // After a failure or an interruption, what has finished is still written if it can be.
          Effect.ignore(flush),
          options?.onProgress === undefined
            ? Effect.void
            : Effect.flatMap(Clock.currentTimeMillis, (now) => options.onProgress!(progressOf(stats, now, total)))
        )
      )
    )
  }))

/** A batch of result lines is written when it has this many lines, or is this old (ms). */
const flushLines = 256
const flushInterval = 200

const newStats = Effect.map(Clock.currentTimeMillis, (now): Stats => ({
  startedAt: now,
  records: 0,
  created: 0,
  existing: 0,
  failed: 0,
  unknown: 0,
  skipped: 0,
  requests: 0,
  retries: 0,
  lastProgressAt: now
}))

/**
 * The import as a stream of results, in the order records finish: for a caller that wants to
 * see every result (the results file, if given, is written too).
 *
 * @category flows
 * @since 0.1.0
 */
export const stream = <E, R>(
  records: Stream.Stream<unknown, E, R>,
  options?: Options
): Stream.Stream<RecordResult, E | PlatformError, R | Users.Users | AdminAuth | FileSystem.FileSystem> =>
  Stream.unwrap(Effect.map(newStats, (stats) => make(records, options, stats)))

/**
 * Imports every record and returns the summary. Each element of `records` is decoded as an
 * {@link ImportRecord}; one that does not decode (or an {@link Unparsable} line) is `failed`
 * with an `InvalidInputError` without being sent. Fails only if the input or the results file
 * fails (the results written so far stay: a rerun goes on from there).
 *
 * @category flows
 * @since 0.1.0
 */
export const run = <E, R>(
  records: Stream.Stream<unknown, E, R>,
  options?: Options
): Effect.Effect<Summary, E | PlatformError, R | Users.Users | AdminAuth | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const stats = yield* newStats
    yield* Stream.runDrain(make(records, options, stats))
    const now = yield* Clock.currentTimeMillis
    return {
      records: stats.records,
      created: stats.created,
      existing: stats.existing,
      failed: stats.failed,
      unknown: stats.unknown,
      skipped: stats.skipped,
      requests: stats.requests,
      retries: stats.retries,
      elapsedMillis: now - stats.startedAt
    }
  }).pipe(Effect.withSpan("Glowmarkt.flow.bulkImport"))

/**
 * Imports a CSV or NDJSON file (see {@link fromFile}); counts its records first for the ETA,
 * unless `total` is given.
 *
 * @category flows
 * @since 0.1.0
 */
export const runFile = (
  path: string,
  options?: Options & { readonly format?: Format | undefined }
): Effect.Effect<Summary, PlatformError, Users.Users | AdminAuth | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const total = options?.total ?? (options?.onProgress === undefined ? undefined : yield* countRecords(path, options))
    return yield* run(fromFile(path, options), { ...options, total })
  })
