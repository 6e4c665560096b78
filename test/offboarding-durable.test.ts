/**
 * Offboarding as a durable workflow: `DurableOnboarding.startOffboarding` on the SQLite engine,
 * in this process. A first "process" (one build of the engine's layers on a file) revokes the
 * user's consent and stops before the next step (its layers are torn down while the step hangs);
 * a second one on the same file resumes the flow from its persisted steps: the revocation is not
 * sent again, the user is deleted, and the report agrees with the simulator's admin view.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Consent from "../src/services/Consent.js"
import { AdminAuth } from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Users from "../src/services/Users.js"
import * as Simulator from "../src/testing/Simulator.js"
import * as Offboarding from "../src/workflows/Offboarding.js"
import { tick } from "./support/waitFor.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, Simulator.layerAdmin("appKeys")).pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "offboarding-durable" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

/** One "process": the durable service and its workflows on the SQLite file, with `consent`. */
const processOn = (filename: string, consent: Consent.Service) =>
  DurableOnboarding.layer({ pollInterval: "20 millis" }).pipe(
    Layer.provide(Layer.succeed(Consent.Consent, consent)),
    Layer.provide(DurableEngine.layerSqlite({ filename, pollInterval: "50 millis", lockExpiration: "2 seconds" }))
  )

/**
 * Runs `self` where the service of `tag` is not: what the engine's fibers run with comes from
 * the context the layers are built in, and the engine lets that context win over the layer's.
 */
const without = (tag: Context.Tag<any, any>) => <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(self, (context: Context.Context<R>) => Context.omit(tag)(context) as Context.Context<R>)

/**
 * Waits until `condition` yields `Some`, turning the event loop in between: the SQLite engine
 * works on its own (real) poll intervals, so this is bounded by time, not by turns.
 */
const until = <A, E, R>(what: string, condition: Effect.Effect<Option.Option<A>, E, R>) =>
  Effect.gen(function*() {
    while (true) {
      const value = yield* condition
      if (Option.isSome(value)) return value.value
      yield* tick
    }
  }).pipe(Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`never happened: ${what}`) }))

const snapshotOf = (userId: string) => Effect.map(Simulator.users, (all) => all.find((u) => u.userId === userId))

layer(TestLive, { excludeTestServices: true })("durable offboarding", (it) => {
  it.effect("stopped after the revocation, resumed by another process: revoked once, deleted, reported as the server says", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "glowmarkt-offboard-"))),
      (dir) =>
        Effect.gen(function*() {
          const filename = join(dir, "durable.sqlite")
          const users = yield* Users.Users
          const consent = yield* Consent.Consent
          const user = yield* users.create({ username: "durable-erase@x.co" })
          const mpxns = ["5000001", "1500023300001"]
          yield* consent.forUser(user.userId).renewAll(mpxns)
          const accounts = (yield* snapshotOf(user.userId))!.accounts.map((a) => a.accountId)
          yield* Simulator.resetCounters

          // Process A: its second status read (the one after the revocation) never answers.
          let reads = 0
          const hanging: Consent.Service = {
            ...consent,
            forUser: (id) => {
              const ops = consent.forUser(id)
              return { ...ops, status: () => Effect.suspend(() => ++reads >= 2 ? Effect.never : ops.status()) }
            }
          }
          const scopeA = yield* Scope.make()
          const a = yield* Layer.buildWithScope(processOn(filename, hanging), scopeA).pipe(without(Consent.Consent))
          const onboardingA = Context.get(a, DurableOnboarding.DurableOnboarding)
          const flow = yield* onboardingA.startOffboarding({ userId: user.userId })
          yield* until(
            "process A revoked and is stuck on the next read",
            Effect.map(Simulator.counters, (c) =>
              (c.byOperation.renewMeterPointConsentRevokeBulk?.handled ?? 0) === 1 && reads >= 2 ? Option.some(true) : Option.none())
          )
          expect(Option.isSome(Option.fromNullable(yield* snapshotOf(user.userId)))).toBe(true)
          expect((yield* onboardingA.offboardingState(flow))._tag).toBe("Pending")
          yield* Scope.close(scopeA, Exit.void)

          // Process B, on the same file, with a working Consent: the flow resumes and ends.
          const report = yield* Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) => o.offboardingResult(flow)).pipe(
            Effect.provide(processOn(filename, consent)),
            Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error("the flow did not resume") })
          )
          expect(report).toEqual({
            userId: user.userId,
            found: true,
            meterPoints: mpxns.map((mpxn) => ({ mpxn, outcome: "revoked" })),
            accountsRemoved: accounts,
            userDeleted: true,
            revocationRequests: 1
          })
          expect(yield* snapshotOf(user.userId)).toBeUndefined()
          const counters = yield* Simulator.counters
          expect(counters.byOperation.renewMeterPointConsentRevokeBulk).toMatchObject({ received: 1, handled: 1 })
          expect(counters.byOperation.deleteUserbyId?.handled).toBe(1)

          // The same report from the in-memory flow's point of view: a rerun finds nothing to do.
          expect(yield* Offboarding.offboard(user.userId)).toMatchObject({ found: false, userDeleted: false })
        }),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ), { timeout: 90_000 })

  it.effect("without an AdminAuth where the workflows run: InvalidConfigError, nothing sent", () =>
    Effect.gen(function*() {
      yield* Simulator.resetCounters
      const error = yield* Effect.gen(function*() {
        const o = yield* DurableOnboarding.DurableOnboarding
        const flow = yield* o.startOffboarding({ userId: "00000000-0000-4000-8000-000000000000" })
        return yield* Effect.flip(o.offboardingResult(flow))
      }).pipe(
        Effect.provide(DurableOnboarding.layer({ pollInterval: "5 millis" }).pipe(Layer.provide(DurableEngine.layerMemory))),
        // The workflows are registered where no administrator credential is.
        without(AdminAuth)
      )
      expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "AdminAuth" })
      expect((yield* Simulator.counters).received).toBe(0)
    }))
})
