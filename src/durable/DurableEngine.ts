/**
 * Where durable flows run: a `WorkflowEngine` in memory (tests), on one SQLite file (one
 * process, the embedded default) or on PostgreSQL (several processes or machines).
 *
 * The SQL engines are `ClusterWorkflowEngine` from `@effect/cluster` on a runner without a
 * network: runners never call each other, they exchange every message through the database
 * (`SqlMessageStorage`) and share the shards through it (`SqlRunnerStorage`: heartbeats, and
 * advisory locks on PostgreSQL). A runner that dies stops refreshing its heartbeat; after
 * `lockExpiration` the others take its shards and replay its flows from their persisted
 * activities.
 *
 * The sharding settings are given explicitly rather than read from the environment (the
 * stock `SingleRunner.layer` reads `HOST`, `PORT`, ... with no prefix).
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import { RunnerAddress } from "@effect/cluster/RunnerAddress"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as RunnerStorage from "@effect/cluster/RunnerStorage"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Scope from "effect/Scope"
import type * as Redacted from "effect/Redacted"
import { mkdirSync } from "node:fs"
import { hostname } from "node:os"
import { dirname } from "node:path"

/**
 * The in-memory engine: nothing survives the process. For tests (drive its clocks with
 * `TestClock`) and for trying the flows out.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerMemory: Layer.Layer<WorkflowEngine.WorkflowEngine> = WorkflowEngine.layerMemory

/**
 * Timing of a SQL engine; every one has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Timing {
  /**
   * How often a runner looks in the database for messages it did not receive directly: codes
   * submitted on another process, timeouts that are due, flows of a dead runner (default 1
   * second; the bound on how late a timeout fires).
   */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * How long a runner's shards stay locked after its last heartbeat (default 30 seconds): how
   * long the flows of a dead runner wait before another runner takes them over. Shorter means
   * faster take-over but more risk of a paused runner losing its shards.
   */
  readonly lockExpiration?: Duration.DurationInput | undefined
}

const sharding = (timing: Timing, runner: RunnerAddress): ShardingConfig.ShardingConfig["Type"] => {
  const poll = Duration.decode(timing.pollInterval ?? Duration.seconds(1))
  const expiration = Duration.decode(timing.lockExpiration ?? Duration.seconds(30))
  return {
    ...ShardingConfig.defaults,
    runnerAddress: Option.some(runner),
    runnerListenAddress: Option.none(),
    shardsPerGroup: 64,
    entityMessagePollInterval: poll,
    entityReplyPollInterval: Duration.min(poll, Duration.millis(200)),
    refreshAssignmentsInterval: Duration.min(poll, Duration.seconds(3)),
    shardLockExpiration: expiration,
    shardLockRefreshInterval: Duration.max(Duration.millis(100), Duration.divide(expiration, 4).pipe(Option.getOrElse(() => poll))),
    // a dead runner is noticed by its heartbeat, not by pinging it (runners have no network)
    runnerHealthCheckInterval: Duration.minutes(1)
  }
}

/**
 * Runners that start together on an empty PostgreSQL database create the cluster's tables at the
 * same moment, and `CREATE TABLE IF NOT EXISTS` is not safe against that: one of them can fail
 * with a unique violation in the catalog (seen in 2 of 6 simultaneous starts). By the time it
 * tries again the tables are there, so the storage layers are built again a few times.
 */
const concurrentMigrations = Schedule.spaced("250 millis").pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(4)))

/** The advisory lock under which a runner builds its storage on PostgreSQL (an arbitrary constant). */
const migrationLock = 727_274_001

/**
 * Builds `layer` (the runner: its storage creates the cluster's tables when it is built) while
 * holding a PostgreSQL advisory lock, so that runners starting together on an empty database
 * create the tables one at a time. The retries above were not enough: a simultaneous start
 * still failed with a unique violation in the catalog (`pg_type_typname_nsp_index`) in CI.
 * The lock is taken on a connection of its own and released as soon as the layer is built.
 */
const oneAtATime = <A, E, R>(
  layer: Layer.Layer<A, E, R>
): Layer.Layer<A, E | SqlError, R | SqlClient.SqlClient> =>
  Layer.unwrapScoped(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const lockScope = yield* Scope.make()
    const connection = yield* Scope.extend(sql.reserve, lockScope)
    const unlock = connection.executeRaw("SELECT pg_advisory_unlock($1)", [migrationLock]).pipe(
      Effect.ignore,
      Effect.zipRight(Scope.close(lockScope, Exit.void))
    )
    yield* connection.executeRaw("SELECT pg_advisory_lock($1)", [migrationLock]).pipe(Effect.onError(() => unlock))
    const context = yield* Layer.build(layer).pipe(Effect.ensuring(unlock))
    return Layer.succeedContext(context)
  }))

/** A runner that exchanges everything through the SQL database (no network between runners). */
const sqlRunner = (
  config: ShardingConfig.ShardingConfig["Type"],
  runnerStorage: "memory" | "sql"
): Layer.Layer<WorkflowEngine.WorkflowEngine, never, SqlClient.SqlClient> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(Sharding.layer),
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(Layer.retry(SqlMessageStorage.layer, concurrentMigrations)),
    Layer.provide([
      runnerStorage === "memory"
        ? RunnerStorage.layerMemory
        : Layer.orDie(Layer.retry(SqlRunnerStorage.layer, concurrentMigrations)),
      RunnerHealth.layerNoop
    ]),
    Layer.provide(ShardingConfig.layer(config)),
    Layer.orDie
  )

/**
 * The options of {@link layerSqlite}.
 *
 * @category models
 * @since 0.1.0
 */
export interface SqliteOptions extends Timing {
  /** The database file (created with its directory if missing). */
  readonly filename: string
}

/**
 * The embedded engine: one SQLite file, one process at a time. Flows survive a crash or a
 * restart of the process: the next process that opens the file resumes them.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerSqlite = (
  options: SqliteOptions
): Layer.Layer<WorkflowEngine.WorkflowEngine, ConfigError.ConfigError> =>
  sqlRunner(sharding(options, RunnerAddress.make({ host: "localhost", port: 1 })), "memory").pipe(
    Layer.provide(SqliteClient.layer({ filename: options.filename })),
    Layer.provide(Layer.effectDiscard(Effect.sync(() => {
      if (options.filename !== ":memory:") mkdirSync(dirname(options.filename), { recursive: true })
    })))
  )

/**
 * {@link layerSqlite} from `Config`: `GLOWMARKT_DURABLE_SQLITE_FILE` (default
 * `.glowmarkt/durable.sqlite`), `GLOWMARKT_DURABLE_POLL_INTERVAL`.
 *
 * @category config
 * @since 0.1.0
 */
export const sqliteConfig: Config.Config<SqliteOptions> = Config.all({
  filename: Config.string("GLOWMARKT_DURABLE_SQLITE_FILE").pipe(Config.withDefault(".glowmarkt/durable.sqlite")),
  pollInterval: Config.duration("GLOWMARKT_DURABLE_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1)))
})

/**
 * The embedded engine configured with `Config` (see {@link sqliteConfig}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerSqliteConfig = (
  config: Config.Config<SqliteOptions> = sqliteConfig
): Layer.Layer<WorkflowEngine.WorkflowEngine, ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(config, layerSqlite))

/**
 * The options of {@link layerPg}.
 *
 * @category models
 * @since 0.1.0
 */
export interface PgOptions extends Timing {
  /** `postgres://user:password@host:5432/database`. */
  readonly url: Redacted.Redacted<string>
  /**
   * This runner's identity in the cluster, unique per process: two live runners with the same
   * identity would share one heartbeat. Default: the host name and the process id.
   */
  readonly runnerId?: { readonly host: string; readonly port: number } | undefined
  /** Default 10. */
  readonly maxConnections?: number | undefined
}

const defaultRunnerId = () => ({ host: hostname() || "localhost", port: process.pid })

/**
 * The engine for several processes or machines: one PostgreSQL database shared by every
 * runner. Flows are spread over the live runners by shard; when a runner dies, the others take
 * over its flows after `lockExpiration`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerPg = (
  options: PgOptions
): Layer.Layer<WorkflowEngine.WorkflowEngine, SqlError | ConfigError.ConfigError> =>
  oneAtATime(sqlRunner(sharding(options, RunnerAddress.make(options.runnerId ?? defaultRunnerId())), "sql")).pipe(
    Layer.provide(PgClient.layer({
      url: options.url,
      maxConnections: options.maxConnections ?? 10,
      applicationName: "effect-glowmarkt-durable"
    }))
  )

/**
 * {@link layerPg} from `Config`: `GLOWMARKT_DURABLE_PG_URL` (required, secret),
 * `GLOWMARKT_DURABLE_RUNNER_HOST` / `GLOWMARKT_DURABLE_RUNNER_PORT` (default: host name and
 * process id), `GLOWMARKT_DURABLE_POLL_INTERVAL`, `GLOWMARKT_DURABLE_LOCK_EXPIRATION`.
 *
 * @category config
 * @since 0.1.0
 */
export const pgConfig: Config.Config<PgOptions> = Config.all({
  url: Config.redacted("GLOWMARKT_DURABLE_PG_URL"),
  host: Config.option(Config.string("GLOWMARKT_DURABLE_RUNNER_HOST")),
  port: Config.option(Config.integer("GLOWMARKT_DURABLE_RUNNER_PORT")),
  pollInterval: Config.duration("GLOWMARKT_DURABLE_POLL_INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
  lockExpiration: Config.duration("GLOWMARKT_DURABLE_LOCK_EXPIRATION").pipe(Config.withDefault(Duration.seconds(30)))
}).pipe(Config.map(({ host, port, ...rest }) => {
  const fallback = defaultRunnerId()
  return {
    ...rest,
    runnerId: { host: Option.getOrElse(host, () => fallback.host), port: Option.getOrElse(port, () => fallback.port) }
  }
}))

/**
 * The PostgreSQL engine configured with `Config` (see {@link pgConfig}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerPgConfig = (
  config: Config.Config<PgOptions> = pgConfig
): Layer.Layer<WorkflowEngine.WorkflowEngine, SqlError | ConfigError.ConfigError> =>
  Layer.unwrapEffect(Effect.map(config, layerPg))
