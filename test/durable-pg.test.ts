/**
 * Proof (2): two runner processes share one PostgreSQL database; flows are spread over both;
 * one runner is killed (SIGKILL) while its flows wait for their codes; every flow completes on
 * the survivor, and the simulator (in this test process) counts each registration and each
 * verification exactly once.
 *
 * Needs PostgreSQL (`eval "$(.ci/postgres.sh)"`); without it the test is skipped, saying why.
 */
import * as PgClient from "@effect/sql-pg/PgClient"
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { type RunnerEvent, type RunnerProcess, spawnRunner } from "./support/durable-process.js"
import { probePg } from "./support/durable-pg.js"

const pg = await probePg()
if (!pg.available) console.log(`[durable-pg] SKIPPED: ${pg.reason}`)

/** Drops the cluster tables of earlier runs: every run starts from an empty database. */
const resetDatabase = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const tables = yield* sql<{ tablename: string }>`
      SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename LIKE 'cluster\\_%'`
    for (const { tablename } of tables) yield* sql`DROP TABLE IF EXISTS ${sql(tablename)} CASCADE`
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

const FLOWS = 8
/** The shards a runner locks: `shardsPerGroup` of the engine (src/durable/DurableEngine.ts), one group. */
const SHARDS = 64

/**
 * Waits until the two runners have split the shards: on PostgreSQL a runner holds each of its
 * shards as a session advisory lock on its own lock connection, so the split is visible in
 * `pg_locks`: every shard locked, by two connections. Until then a flow started now could land on
 * a runner that is about to hand its shard over (or all on the first runner up). Polled: the
 * state is in another process, and the database has no event for it.
 */
const shardsSplit = (url: string) =>
  Effect.gen(function*() {
    const sql = yield* PgClient.PgClient
    const holders = sql<{ pid: number; held: number }>`
      SELECT pid, count(*)::int AS held FROM pg_locks
      WHERE locktype = 'advisory' AND granted
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
      GROUP BY pid`
    let last: ReadonlyArray<{ pid: number; held: number }> = []
    for (let i = 0; i < 300; i++) {
      last = yield* holders
      if (last.length === 2 && last.reduce((n, h) => n + h.held, 0) === SHARDS) return last
      yield* Effect.sleep("100 millis")
    }
    return yield* Effect.dieMessage(`the runners never split the shards: ${JSON.stringify(last)}`)
  }).pipe(Effect.provide(PgClient.layer({ url: Redacted.make(url), maxConnections: 1 })), Effect.orDie)

layer(Simulator.layerServer({ seed: "durable-pg" }), { excludeTestServices: true })("PostgreSQL engine, two runners", (it) => {
  it.effect.skipIf(!pg.available)(
    "flows spread over two runners; one is killed mid-flow; all complete on the survivor, nothing twice",
    () =>
      Effect.gen(function*() {
        if (!pg.available) return
        yield* resetDatabase(pg.url)
        const sim = yield* Simulator.Simulator
        yield* sim.resetCounters
        const base = {
          engine: "pg",
          pgUrl: pg.url,
          baseUrl: sim.info.baseUrl,
          applicationId: sim.info.applicationId,
          directoryId: sim.info.directoryId,
          pollInterval: "200 millis",
          lockExpiration: "4 seconds"
        }
        const users = Array.from({ length: FLOWS }, (_, i) => `pg-flow-${i}@example.com`)
        const runners: Array<RunnerProcess> = []
        yield* Effect.addFinalizer(() => Effect.promise(() => Promise.all(runners.map((r) => r.kill()))))
        const r1 = spawnRunner({ ...base, name: "r1", runnerPort: 1 })
        const r2 = spawnRunner({ ...base, name: "r2", runnerPort: 2 })
        runners.push(r1, r2)

        yield* Effect.promise(() => Promise.all([r1.waitFor((e) => e.event === "ready"), r2.waitFor((e) => e.event === "ready")]))
        // Both runners hold shards before the flows start, so that the flows spread over both.
        yield* shardsSplit(pg.url)
        const registeredBy = yield* Effect.promise(async () => {
          for (const username of users) r1.send({ cmd: "start", username })
          const isRegister = (u: string) => (e: RunnerEvent) => e.event === "call" && e.op === "register" && e.username === u
          const by = new Map<string, string>()
          for (const u of users) {
            const e = await Promise.race([r1.waitFor(isRegister(u), 45_000), r2.waitFor(isRegister(u), 45_000)])
            by.set(u, e.runner)
          }
          for (const username of users) r1.send({ cmd: "awaiting", username, wait: 1 })
          for (const u of users) await r1.waitFor((e) => e.event === "awaiting" && e.username === u, 45_000)
          return by
        })
        const onR2 = users.filter((u) => registeredBy.get(u) === "r2")
        // spread: both runners ran flows
        expect(onR2.length).toBeGreaterThan(0)
        expect(onR2.length).toBeLessThan(FLOWS)

        // r2 dies while its flows wait for their codes
        yield* Effect.promise(() => r2.kill("SIGKILL"))
        expect((yield* sim.counters).byOperation["addUser"]?.handled).toBe(FLOWS)

        const inbox = yield* Inbox.Inbox
        const codes = yield* Effect.forEach(users, (u) =>
          Effect.map(inbox.next(u, { kind: "verification" }), (m) => [u, m.code] as const))

        const results = yield* Effect.promise(async () => {
          for (const [username, code] of codes) r1.send({ cmd: "submit", username, code })
          for (const username of users) r1.send({ cmd: "result", username })
          return Promise.all(users.map((u) => r1.waitFor((e) => e.event === "result" && e.username === u, 45_000)))
        })
        for (const r of results) expect(r).toMatchObject({ ok: true, value: { outcome: "verified", resumed: false, wrongCodes: 0 } })

        // r2's flows were finished by r1, from their persisted state: verified there, not re-registered
        const r1Calls = r1.events.filter((e) => e.event === "call")
        for (const u of onR2) {
          expect(r1Calls.filter((e) => e.username === u).map((e) => e.op)).toEqual(["verify"])
        }
        const counters = yield* sim.counters
        expect(counters.byOperation["addUser"]?.handled).toBe(FLOWS)
        expect(counters.byOperation["verifyUser"]?.handled).toBe(FLOWS)
        expect(counters.byOperation["generateUserVerificationToken"]?.handled ?? 0).toBe(0)
      }).pipe(Effect.scoped),
    { timeout: 90_000 }
  )
})
