/**
 * Offboarding as a durable workflow: `DurableOnboarding.startOffboarding` on the SQLite engine,
 * in this process. A first "process" (one build of the engine's layers on a file) revokes the
 * user's consent and stops before the next step (its layers are torn down while the step hangs);
 * a second one on the same file resumes the flow from its persisted steps: the revocation is not
 * sent again, the user is deleted, and the report agrees with the simulator's admin view.
 *
 * Then a crash before each call of a whole offboarding (with the user's own credentials: tokens
 * revoked by id), one after the other: each time a second process resumes it, and the report
 * is checked against the simulator's admin views of users, accounts and tokens. The user's
 * password is in the engine's storage only sealed. And a crash just after each call (made, its
 * answer lost with the process): nothing is sent twice, and what it did is reported.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Auth from "../src/services/Auth.js"
import * as Consent from "../src/services/Consent.js"
import { AdminAuth } from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import * as Offboarding from "../src/workflows/Offboarding.js"
import { type Called, gated, processOn as gatedProcessOn, withoutCalled } from "./support/gated.js"
import { until, without } from "./support/waitFor.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, Simulator.layerAdmin("appKeys")).pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "offboarding-durable" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const secretKey = Redacted.make("offboarding-durable-test-key")

/** One "process": the durable service and its workflows on the SQLite file, with `consent`. */
const processOn = (filename: string, consent: Consent.Service) =>
  DurableOnboarding.layer({ pollInterval: "20 millis", secretKey }).pipe(
    Layer.provide(Layer.succeed(Consent.Consent, consent)),
    Layer.provide(DurableEngine.layerSqlite({ filename, pollInterval: "50 millis", lockExpiration: "2 seconds" }))
  )

const snapshotOf = (userId: string) => Effect.map(Simulator.users, (all) => all.find((u) => u.userId === userId))

/**
 * Offboardings of users with consent and a token of their own, with their credentials: one that
 * does not crash counts the calls, then one whose process dies before (or, `after`, just after)
 * each call, resumed by another process; each report checked against the admin views.
 */
const crashEachCall = (after: boolean) =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const auth = yield* Auth.Auth
    const consent = yield* Consent.Consent
    const context = yield* Effect.context<Called>()
    const password = Redacted.make("pw-durable-erase-1")
    const mpxns = ["5000002", "1500023300002"]

    /** A self-registered user with consent and one token of their own. */
    const prepare = (username: string) =>
      Effect.gen(function*() {
        const registered = yield* users.register({ name: "D", username, email: username, password })
        const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(username, { timeout: "5 seconds" }))
        yield* users.verify({ username, password, code })
        yield* consent.forUser(registered.userId).renewAll(mpxns)
        yield* auth.login({ username, password })
        return registered.userId
      })

    /**
     * One offboarding, its process dying before (or just after) call `hangFrom`, resumed by another; answers
     * how many calls the first process was let make.
     */
    const crashAt = (hangFrom: number) =>
      Effect.acquireUseRelease(
        Effect.sync(() => mkdtempSync(join(tmpdir(), "glowmarkt-offboard-crash-"))),
        (dir) =>
          Effect.gen(function*() {
            const filename = join(dir, "durable.sqlite")
            const username = `crash-${after ? "after" : "before"}-${Number.isFinite(hangFrom) ? hangFrom : "none"}@x.co`
            const userId = yield* prepare(username)
            const accounts = (yield* snapshotOf(userId))!.accounts.map((a) => a.accountId)
            const ownTokens = (yield* Simulator.tokens).filter((t) => t.userId === userId && t.live).map((t) => t.tokenId)
            const input = { userId, credentials: { username, password } }
            // The bulk revocations sent by either process (a hung call is never sent).
            let revocations = 0
            const counting = (c: Consent.Service): Consent.Service => ({
              ...c,
              forUser: (id) => {
                const ops = c.forUser(id)
                return { ...ops, revokeAll: (m) => Effect.suspend(() => (revocations++, ops.revokeAll(m))) }
              }
            })

            const gate = gated(Context.add(context, Consent.Consent, counting(consent)), hangFrom, { after })
            const scopeA = yield* Scope.make()
            const a = yield* Layer.buildWithScope(gatedProcessOn(filename, gate.services, secretKey), scopeA).pipe(withoutCalled)
            yield* Context.get(a, DurableOnboarding.DurableOnboarding).startOffboarding(input)
            yield* until(
              `process A reached call ${hangFrom} or ended`,
              Effect.map(
                Context.get(a, DurableOnboarding.DurableOnboarding).offboardingState(input),
                (state) => gate.calls() >= hangFrom || state._tag !== "Pending" ? Option.some(true) : Option.none()
              )
            )
            // Nothing in the engine's storage reveals the password.
            expect(readFileSync(filename).includes(Buffer.from(Redacted.value(password)))).toBe(false)
            yield* Scope.close(scopeA, Exit.void)

            const report = yield* Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) => o.offboardingResult(input)).pipe(
              Effect.provide(
                gatedProcessOn(filename, gated(Context.add(context, Consent.Consent, counting(consent)), Infinity).services, secretKey)
              ),
              withoutCalled,
              Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error("the flow did not resume") })
            )
            const tokens = (yield* Simulator.tokens).filter((t) => t.userId === userId)
            expect(report, `crash ${after ? "after" : "before"} call ${hangFrom}`).toMatchObject({
              userId,
              found: true,
              meterPoints: mpxns.map((mpxn) => ({ mpxn, outcome: "revoked" })),
              tokens: "revokedById",
              accountsRemoved: accounts,
              userDeleted: true,
              revocationRequests: 1
            })
            // Exactly the tokens the report names were revoked by id; the user's own among
            // them; none of the user's is valid.
            expect([...report.tokensRevoked].sort()).toEqual(
              tokens.filter((t) => t.endedBy === "deleteTokenById").map((t) => t.tokenId).sort()
            )
            for (const id of ownTokens) expect(report.tokensRevoked).toContain(id)
            expect(tokens.filter((t) => t.live)).toEqual([])
            // Each account removed by its own delete, the user deleted, the consent revoked once.
            expect(yield* Effect.map(Simulator.accounts, (all) =>
              all.filter((x) => x.userId === userId && x.removedBy === "deleteAccount").map((x) => x.accountId))).toEqual(accounts)
            expect(yield* snapshotOf(userId)).toBeUndefined()
            expect(revocations).toBe(1)
            return gate.calls()
          }),
        (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
      )

    // A run that does not crash counts the flow's calls; then a crash before each of them. The
    // runs are independent (a file and a user each): a few at a time.
    const total = yield* crashAt(Number.POSITIVE_INFINITY)
    expect(total).toBeGreaterThan(10)
    yield* Effect.forEach(Array.from({ length: total }, (_, i) => i + 1), crashAt, { concurrency: 6, discard: true })
  })

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
            tokens: "endedWithAccounts",
            tokensRevoked: [],
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

  it.effect("a crash before each call, resumed by another process: reported exactly as the admin views say", () =>
    crashEachCall(false), { timeout: 240_000 })

  it.effect("a crash just after each call (its answer lost with the process), resumed by another: reported exactly as the admin views say", () =>
    crashEachCall(true), { timeout: 240_000 })

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
