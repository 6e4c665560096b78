/**
 * Household onboarding on both engines (the in-memory `Onboarding.household` and the durable
 * `DurableOnboarding.startHousehold` on the in-memory workflow engine), against the simulator over
 * loopback, on the `TestClock`: register -> verify -> log in -> consent for the meter points.
 * Reports are checked against the simulator's admin view: which meter points hold consent, and
 * how many renewals each had (a lost renewal answer must not cause a second one), also under
 * 20 % injected faults on the login and consent calls (on the live clock: the client's retries
 * wait).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { CodeSource, Onboarding } from "../src/workflows/index.js"
import { waitFor } from "./support/waitFor.js"

const policy = { codeTimeout: Duration.minutes(20), maxCodes: 3, maxWrongCodes: 3 }

const TestLive = DurableOnboarding.layer(policy).pipe(
  Layer.provideMerge(Glowmarkt.layer),
  Layer.provideMerge(DurableEngine.layerMemory),
  Layer.provideMerge(Simulator.layerTest({ seed: "household" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const password = Redacted.make("correct horse battery")
let n = 0
const fresh = (label: string) => `${label}-${++n}@household.example`
const meters = (i: number) => [`${3000000 + i}`, `${1300023300000 + i}`]

type End = Exit.Exit<Onboarding.HouseholdOnboarded, { readonly _tag: string; readonly message: string }>

/** A running household onboarding as the test drives it. */
interface Driven {
  readonly waiting: Effect.Effect<boolean>
  readonly answer: (code: string) => Effect.Effect<void>
  readonly exit: Effect.Effect<Option.Option<End>>
}

interface Harness {
  readonly name: string
  readonly start: (email: string, meterPoints: ReadonlyArray<string>, nonce: string) => Effect.Effect<Driven, never, any>
}

const inMemory: Harness = {
  name: "in memory",
  start: (email, meterPoints) =>
    Effect.gen(function*() {
      let pending: Deferred.Deferred<Redacted.Redacted<string>> | undefined
      const source: CodeSource.Service = {
        await: () => Effect.flatMap(Deferred.make<Redacted.Redacted<string>>(), (d) => (pending = d, Deferred.await(d)))
      }
      const fiber = yield* Effect.forkScoped(
        Onboarding.household({ name: "Ada", username: email, email, password, meterPoints }, policy).pipe(
          Effect.provideService(CodeSource.CodeSource, source)
        )
      )
      return {
        waiting: Effect.suspend(() => pending === undefined ? Effect.succeed(false) : Effect.map(Deferred.isDone(pending), (d) => !d)),
        answer: (code) => Effect.asVoid(Deferred.succeed(pending!, Redacted.make(code))),
        exit: Fiber.poll(fiber) as Effect.Effect<Option.Option<End>>
      } satisfies Driven
    })
}

const durable: Harness = {
  name: "durable",
  start: (email, meterPoints, nonce) =>
    Effect.gen(function*() {
      const o = yield* DurableOnboarding.DurableOnboarding
      const flow = yield* Effect.orDie(o.startHousehold({ name: "Ada", username: email, email, password, meterPoints, nonce }))
      const state = Effect.orDie(o.state(flow))
      return {
        waiting: Effect.map(state, (s) => s._tag === "Running" && s.awaitingCode),
        answer: (code) => Effect.asVoid(Effect.orDie(o.submitCode(flow, code))),
        exit: Effect.map(state, (s) =>
          s._tag === "Succeeded"
            ? Option.some(Exit.succeed(s.result as Onboarding.HouseholdOnboarded))
            : s._tag === "Failed"
            ? Option.some(Exit.fail(s.error ?? { _tag: "Defect", message: s.cause }))
            : Option.none())
      } satisfies Driven
    })
}

/** Answers every wait with the newest code emailed, until the flow ends. */
const run = (driven: Driven, email: string) =>
  Effect.gen(function*() {
    while (true) {
      const next = yield* waitFor(
        "the household flow waits for a code, or ends",
        Effect.map(Effect.all([driven.exit, driven.waiting]), ([exit, waiting]): Option.Option<{ readonly end: End | undefined }> =>
          Option.isSome(exit) ? Option.some({ end: exit.value }) : waiting ? Option.some({ end: undefined }) : Option.none())
      )
      if (next.end !== undefined) return next.end
      const code = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.latest(email, "verification")).pipe(
        Effect.map(Option.getOrThrow)
      )
      yield* driven.answer(code.code)
      yield* waitFor("the code is taken", Effect.map(Effect.all([driven.exit, driven.waiting]), ([e, w]) =>
        Option.isSome(e) || !w ? Option.some(true) : Option.none()))
    }
  })

const userNamed = (email: string) => Effect.map(Simulator.users, (all) => all.find((u) => u.username === email))

const withFaults = (faults: Faults.FaultsConfig) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Simulator.setFaults(faults), () => self, () => Simulator.setFaults(Faults.none))

const outcomes = (h: Onboarding.HouseholdOnboarded) => Object.fromEntries(h.meterPoints.map((m) => [m.mpxn, m.outcome]))

layer(TestLive)("household onboarding", (it) => {
  let i = 0
  for (const engine of [inMemory, durable]) {
    describe(engine.name, () => {
      it.scoped("verified, logged in, consent renewed for each meter point: as the admin view says", () =>
        Effect.gen(function*() {
          const email = fresh("home")
          const mpxns = meters(++i)
          yield* Simulator.resetCounters
          const done = yield* Effect.flatten(run(yield* engine.start(email, mpxns, "1"), email))
          const user = (yield* userNamed(email))!
          expect(user.status).toBe("active")
          expect(done.onboarded).toMatchObject({ outcome: "verified", username: email, codesSent: 1 })
          expect(Option.getOrNull(done.onboarded.userId)).toBe(user.userId)
          expect(Option.getOrNull(done.accountId)).toBe(user.accounts[0]?.accountId)
          expect(outcomes(done)).toEqual({ [mpxns[0]!]: "renewed", [mpxns[1]!]: "renewed" })
          expect(user.meterPoints.map((m) => [m.mpxn, m.consented, m.renewals])).toEqual(mpxns.map((m) => [m, true, 1]))
          expect((yield* Simulator.counters).byOperation.renewMeterPointConsent?.succeeded).toBe(2)
        }))

      it.scoped("a lost renewal answer: the status read shows it happened; reported renewed, never renewed twice", () =>
        Effect.gen(function*() {
          const email = fresh("lost-renewal")
          const mpxns = meters(++i)
          const driven = yield* engine.start(email, mpxns, "1")
          yield* Simulator.resetCounters
          const done = yield* Effect.flatten(
            run(driven, email).pipe(withFaults(Faults.on({ renewMeterPointConsent: { dropAfter: { rate: 1, times: 1 } } })))
          )
          const user = (yield* userNamed(email))!
          expect(outcomes(done)).toEqual({ [mpxns[0]!]: "renewed", [mpxns[1]!]: "renewed" })
          expect(user.meterPoints.map((m) => [m.mpxn, m.consented, m.renewals])).toEqual(mpxns.map((m) => [m, true, 1]))
          const counters = yield* Simulator.counters
          expect(counters.faults.dropAfter).toBe(1)
          expect(counters.byOperation.renewMeterPointConsent).toMatchObject({ received: 2, handled: 2 })
        }))

      it.scoped("a rerun: already verified, consented meter points left alone, only the new one renewed", () =>
        Effect.gen(function*() {
          const email = fresh("rerun")
          const mpxns = meters(++i)
          yield* Effect.flatten(run(yield* engine.start(email, mpxns, "1"), email))
          const extra = `${4000000 + i}`
          yield* Simulator.resetCounters
          const again = yield* Effect.flatten(run(yield* engine.start(email, [...mpxns, extra], "2"), email))
          expect(again.onboarded).toMatchObject({ outcome: "alreadyVerified", resumed: true, codesSent: 0 })
          expect(outcomes(again)).toEqual({ [mpxns[0]!]: "alreadyConsented", [mpxns[1]!]: "alreadyConsented", [extra]: "renewed" })
          const user = (yield* userNamed(email))!
          expect(user.meterPoints.map((m) => [m.mpxn, m.consented, m.renewals])).toEqual(
            [...mpxns, extra].map((m) => [m, true, 1])
          )
          const counters = yield* Simulator.counters
          expect(counters.byOperation.addUser?.succeeded ?? 0).toBe(0)
          expect(counters.byOperation.renewMeterPointConsent?.succeeded).toBe(1)
        }))
    })
  }

  it.effect("a meter point number that is not one, a user id that is not one: InvalidInputError, nothing sent", () =>
    Effect.gen(function*() {
      yield* Simulator.resetCounters
      const error = yield* Effect.flip(
        Onboarding.household({ name: "A", username: "x@y.co", email: "x@y.co", password, meterPoints: ["12ab"] }).pipe(
          Effect.provideService(CodeSource.CodeSource, { await: () => Effect.never })
        )
      )
      expect(error).toMatchObject({ _tag: "InvalidInputError" })
      const o = yield* DurableOnboarding.DurableOnboarding
      const durableError = yield* Effect.flip(
        o.startHousehold({ name: "A", username: "x@y.co", email: "x@y.co", password, meterPoints: ["1234567", "12ab"] })
      )
      expect(durableError).toMatchObject({ _tag: "InvalidInputError", operation: "startHousehold" })
      const offboardError = yield* Effect.flip(o.startOffboarding({ userId: ".." }))
      expect(offboardError).toMatchObject({ _tag: "InvalidInputError", operation: "startOffboarding" })
      expect((yield* Simulator.counters).received).toBe(0)
    }))
})

layer(TestLive, { excludeTestServices: true })("household onboarding under faults", (it) => {
  for (const engine of [inMemory, durable]) {
    it.scoped(`${engine.name}: 20 % faults on login and consent calls, a rerun after any failure: one renewal per meter point, reports the admin view allows`, () =>
      Effect.gen(function*() {
        const households = Array.from({ length: 10 }, (_, k) => ({
          email: fresh(`faulty-${engine.name.replace(" ", "-")}`),
          mpxns: [`${6000000 + n * 10 + k}`, `${1600023300000 + n * 10 + k}`, `${7000000 + n * 10 + k}`]
        }))
        yield* Simulator.resetCounters
        const rule = { serverError: 0.08, dropBefore: 0.06, dropAfter: 0.06 }
        const results = yield* Effect.forEach(households, (h) =>
          Effect.gen(function*() {
            let failures = 0
            while (true) {
              const end = yield* run(yield* engine.start(h.email, h.mpxns, String(failures)), h.email)
              if (Exit.isSuccess(end)) return { h, report: end.value, failures }
              if (++failures > 20) return yield* Effect.die(end.cause)
            }
          }), { concurrency: 3 }).pipe(
            withFaults(Faults.on({
              usernamelogin: rule,
              getUserMeterPointVerificationConsentStatus: rule,
              renewMeterPointConsent: rule
            }))
          )
        const counters = yield* Simulator.counters
        expect(counters.faults.serverError + counters.faults.dropBefore + counters.faults.dropAfter).toBeGreaterThan(0)
        for (const { failures, h, report } of results) {
          const user = (yield* userNamed(h.email))!
          // One renewal per meter point, whatever was lost and however many reruns it took.
          expect(user.meterPoints.map((m) => [m.mpxn, m.consented, m.renewals])).toEqual(h.mpxns.map((m) => [m, true, 1]))
          expect(report.meterPoints.map((m) => m.mpxn)).toEqual(h.mpxns)
          // A first run that succeeded renewed every one; after a failed run, what it renewed is found consented.
          if (failures === 0) expect(report.meterPoints.every((m) => m.outcome === "renewed")).toBe(true)
        }
      }), { timeout: 120_000 })
  }
})
