/**
 * One scenario suite for both engines: the in-memory `Onboarding` flows and the durable flows
 * (`DurableOnboarding` on the in-memory workflow engine), against the simulator over loopback.
 * Each scenario drives the flow as a person would (a right, wrong or late code, or none), on
 * the `TestClock`, and expects the same outcome from both engines; outcomes are checked against
 * the simulator's own view of its users, not only against the flow's report.
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
import * as TestClock from "effect/TestClock"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Auth from "../src/services/Auth.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Users from "../src/services/Users.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { CodeSource, Onboarding } from "../src/workflows/index.js"
import { waitFor } from "./support/waitFor.js"

/** The code's lifetime on the simulator (its default) and the flows' wait: longer, so that a code can expire while the flow still waits. */
const codeTtl = Duration.minutes(15)
const policy = { codeTimeout: Duration.minutes(20), maxCodes: 3, maxWrongCodes: 3 }

const TestLive = DurableOnboarding.layer(policy).pipe(
  Layer.provideMerge(Glowmarkt.layer),
  Layer.provideMerge(DurableEngine.layerMemory),
  Layer.provideMerge(Simulator.layerTest({ seed: "flows" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const password = Redacted.make("correct horse battery")
let n = 0
const fresh = (label: string) => `${label}-${++n}@flows.example`

/** What the person does at one request for a code. */
type Act = "right" | "wrong" | "silent" | "late"

/** The newest code the simulator emailed to `email`. */
const newestCode = (email: string, kind: Inbox.MessageKind) =>
  Effect.flatMap(Inbox.Inbox, (inbox) => inbox.latest(email, kind)).pipe(
    Effect.flatMap(Option.match({ onNone: () => Effect.dieMessage(`no ${kind} code for ${email}`), onSome: Effect.succeed })),
    Effect.map((m) => m.code)
  )

/** A code that is not the right one. */
const wrongOf = (code: string) => String((Number(code) + 1) % 10000).padStart(4, "0")

/**
 * An engine as the scenarios see it: start a flow, see which entry it waits for, answer it,
 * and its end.
 */
interface Driven<A> {
  /** The entry (1-based) the flow waits for now, if it waits. */
  readonly waiting: Effect.Effect<Option.Option<number>>
  readonly answer: (entry: number, code: string) => Effect.Effect<void>
  /** The end, once there is one. */
  readonly exit: Effect.Effect<Option.Option<Exit.Exit<A, { readonly _tag: string; readonly message: string }>>>
}

interface Harness {
  readonly name: string
  readonly register: (email: string) => Effect.Effect<Driven<Onboarding.Onboarded>, never, any>
  readonly reset: (email: string, newPassword: Redacted.Redacted<string>) => Effect.Effect<Driven<Onboarding.PasswordReset>, never, any>
}

/** The in-memory engine: a `CodeSource` whose requests the scenario answers. */
const inMemory: Harness = (() => {
  const drive = <A>(start: (source: CodeSource.Service) => Effect.Effect<A, { readonly _tag: string; readonly message: string }, any>) =>
    Effect.gen(function*() {
      const pending = new Map<number, Deferred.Deferred<Redacted.Redacted<string>>>()
      let asked = 0
      const source: CodeSource.Service = {
        await: (request) =>
          Effect.flatMap(Deferred.make<Redacted.Redacted<string>>(), (deferred) => {
            asked = request.entry ?? asked + 1
            pending.set(asked, deferred)
            return Deferred.await(deferred)
          })
      }
      const fiber = yield* Effect.forkScoped(start(source))
      return {
        waiting: Effect.suspend(() => {
          const deferred = pending.get(asked)
          return deferred === undefined
            ? Effect.succeed(Option.none<number>())
            : Effect.map(Deferred.isDone(deferred), (done) => done ? Option.none() : Option.some(asked))
        }),
        answer: (entry, code) => Effect.asVoid(Deferred.succeed(pending.get(entry)!, Redacted.make(code))),
        exit: Fiber.poll(fiber) as Effect.Effect<Option.Option<Exit.Exit<A, { readonly _tag: string; readonly message: string }>>>
      } satisfies Driven<A>
    })
  return {
    name: "in memory",
    register: (email) =>
      drive((source) =>
        Onboarding.registerAndVerify({ name: "Ada", username: email, email, password }, policy).pipe(
          Effect.provideService(CodeSource.CodeSource, source)
        )
      ),
    reset: (email, newPassword) =>
      drive((source) =>
        Onboarding.resetPassword({ username: email, newPassword }, policy).pipe(
          Effect.map(({ reset }) => reset),
          Effect.provideService(CodeSource.CodeSource, source)
        )
      )
  }
})()

/** The durable engine: the host's side of `DurableOnboarding` (start, state, submitCode). */
const durable: Harness = (() => {
  const drive = <A>(flow: DurableOnboarding.FlowRef) =>
    Effect.map(DurableOnboarding.DurableOnboarding, (onboarding) => ({
      waiting: onboarding.state(flow).pipe(
        Effect.map((s) => s._tag === "Running" && s.awaitingCode ? Option.some(s.wait) : Option.none()),
        Effect.orDie
      ),
      answer: (_entry, code) => Effect.asVoid(Effect.orDie(onboarding.submitCode(flow, code))),
      exit: onboarding.state(flow).pipe(
        Effect.map((s) =>
          s._tag === "Succeeded"
            ? Option.some(Exit.succeed(s.result as A))
            : s._tag === "Failed"
            ? Option.some(Exit.fail(s.error ?? { _tag: "Defect", message: s.cause }))
            : Option.none()
        ),
        Effect.orDie
      )
    } satisfies Driven<A>))
  return {
    name: "durable",
    register: (email) =>
      Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) =>
        Effect.orDie(o.startRegistration({ name: "Ada", username: email, email, password }))).pipe(
          Effect.flatMap((flow) => drive<Onboarding.Onboarded>(flow))
        ),
    reset: (email, newPassword) =>
      Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) =>
        Effect.orDie(o.startPasswordReset({ username: email, newPassword, nonce: String(++n) }))).pipe(
          Effect.flatMap((flow) => drive<Onboarding.PasswordReset>(flow))
        )
  }
})()

/**
 * Plays `acts` against a driven flow, one per request for a code (then "right" for the rest),
 * and returns its end.
 */
const play = <A>(driven: Driven<A>, email: string, kind: Inbox.MessageKind, acts: ReadonlyArray<Act>) =>
  Effect.gen(function*() {
    let turn = 0
    while (true) {
      const next = yield* waitFor(
        "the flow waits for a code, or ends",
        Effect.gen(function*() {
          type Next = { readonly _tag: "End"; readonly exit: Exit.Exit<A, { readonly _tag: string; readonly message: string }> } | {
            readonly _tag: "Wait"
            readonly entry: number
          }
          const exit = yield* driven.exit
          if (Option.isSome(exit)) return Option.some<Next>({ _tag: "End", exit: exit.value })
          const entry = yield* driven.waiting
          return Option.map(entry, (e): Next => ({ _tag: "Wait", entry: e }))
        })
      )
      if (next._tag === "End") return next.exit
      const act = acts[turn++] ?? "right"
      switch (act) {
        case "silent":
          yield* TestClock.adjust(policy.codeTimeout)
          // The flow saw the timeout once it waits for the next entry (or ended).
          yield* waitFor("the flow moves past the timeout", Effect.map(Effect.all([driven.exit, driven.waiting]), ([exit, w]) =>
            Option.isSome(exit) || Option.exists(w, (e) => e > next.entry) ? Option.some(true) : Option.none()))
          break
        case "late":
          yield* TestClock.adjust(codeTtl)
          yield* driven.answer(next.entry, yield* newestCode(email, kind))
          break
        case "wrong":
          yield* driven.answer(next.entry, wrongOf(yield* newestCode(email, kind)))
          break
        case "right":
          yield* driven.answer(next.entry, yield* newestCode(email, kind))
          break
      }
      yield* waitFor("the answer is taken", Effect.map(Effect.all([driven.exit, driven.waiting]), ([exit, w]) =>
        Option.isSome(exit) || !Option.contains(w, next.entry) ? Option.some(true) : Option.none()))
    }
  })

const userNamed = (email: string) => Effect.map(Simulator.users, (all) => all.filter((u) => u.username === email))

const handled = (op: string) => Effect.map(Simulator.counters, (c) => c.byOperation[op]?.succeeded ?? 0)

const withFaults = (faults: Faults.FaultsConfig) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Simulator.setFaults(faults), () => self, () => Simulator.setFaults(Faults.none))

layer(TestLive)("flows", (it) => {
  for (const engine of [inMemory, durable]) {
    describe(engine.name, () => {
      it.scoped("the right code: verified with the user's id, one registration, one verification", () =>
        Effect.gen(function*() {
          const email = fresh("right")
          yield* Simulator.resetCounters
          const exit = yield* play(yield* engine.register(email), email, "verification", ["right"])
          const onboarded = yield* exit
          const [user] = yield* userNamed(email)
          expect(user?.status).toBe("active")
          expect(onboarded).toMatchObject({ outcome: "verified", username: email, resumed: false, codesSent: 1, wrongCodes: 0 })
          expect(Option.getOrNull(onboarded.userId)).toBe(user?.userId)
          expect(yield* handled("addUser")).toBe(1)
          expect(yield* handled("verifyUser")).toBe(1)
        }))

      it.scoped("a wrong code: the same code is asked for again, no new email", () =>
        Effect.gen(function*() {
          const email = fresh("wrong")
          yield* Simulator.resetCounters
          const onboarded = yield* Effect.flatten(play(yield* engine.register(email), email, "verification", ["wrong", "right"]))
          expect(onboarded).toMatchObject({ outcome: "verified", codesSent: 1, wrongCodes: 1 })
          expect(yield* handled("generateUserVerificationToken")).toBe(0)
          expect((yield* userNamed(email))[0]?.status).toBe("active")
        }))

      it.scoped("too many wrong codes: TooManyWrongCodesError, the user stays unverified", () =>
        Effect.gen(function*() {
          const email = fresh("clumsy")
          const exit = yield* play(yield* engine.register(email), email, "verification", ["wrong", "wrong", "wrong"])
          expect(exit).toMatchObject({ _tag: "Failure" })
          const error = yield* Effect.flip(exit)
          expect(error).toMatchObject({ _tag: "TooManyWrongCodesError", wrongCodes: 3, codesSent: 1 })
          expect((yield* userNamed(email))[0]?.status).toBe("unverified")
        }))

      it.scoped("an expired code: a new code is requested, and it verifies", () =>
        Effect.gen(function*() {
          const email = fresh("late")
          yield* Simulator.resetCounters
          const onboarded = yield* Effect.flatten(play(yield* engine.register(email), email, "verification", ["late", "right"]))
          expect(onboarded).toMatchObject({ outcome: "verified", codesSent: 2, wrongCodes: 0 })
          expect(yield* handled("generateUserVerificationToken")).toBe(1)
          expect((yield* userNamed(email))[0]?.status).toBe("active")
        }))

      it.scoped("no code in time: a new code is requested; none at all: CodeNotReceivedError after maxCodes", () =>
        Effect.gen(function*() {
          const email = fresh("slow")
          const onboarded = yield* Effect.flatten(play(yield* engine.register(email), email, "verification", ["silent", "right"]))
          expect(onboarded).toMatchObject({ outcome: "verified", codesSent: 2 })

          const never = fresh("never")
          const exit = yield* play(yield* engine.register(never), never, "verification", ["silent", "silent", "silent"])
          expect(yield* Effect.flip(exit)).toMatchObject({ _tag: "CodeNotReceivedError", reason: "timeout", codesSent: 3 })
          expect((yield* userNamed(never))[0]?.status).toBe("unverified")
        }))

      it.scoped("a lost registration answer: continued with the user it made, never registered twice", () =>
        Effect.gen(function*() {
          const email = fresh("lost-register")
          yield* Simulator.resetCounters
          const onboarded = yield* Effect.flatten(
            Effect.flatMap(engine.register(email), (driven) => play(driven, email, "verification", ["right"])).pipe(
              withFaults(Faults.on({ addUser: { dropAfter: { rate: 1, times: 1 } } }))
            )
          )
          const [user] = yield* userNamed(email)
          expect(onboarded).toMatchObject({ outcome: "verified", resumed: true })
          expect((yield* Simulator.counters).byOperation.addUser).toMatchObject({ received: 1, handled: 1 })
          expect(user?.status).toBe("active")
          // The id came from the verification's answer, although the registration's was lost.
          expect(Option.getOrNull(onboarded.userId)).toBe(user?.userId)
        }))

      it.scoped("a lost verification answer, then two more: the user is active, reported verified with its id", () =>
        Effect.gen(function*() {
          const email = fresh("lost-verify")
          const driven = yield* engine.register(email)
          const onboarded = yield* Effect.flatten(
            play(driven, email, "verification", ["right"]).pipe(
              withFaults(Faults.on({ verifyUser: { dropAfter: { rate: 1, times: 1 }, dropBefore: { rate: 1, times: 2 } } }))
            )
          )
          const [user] = yield* userNamed(email)
          expect(user?.status).toBe("active")
          expect(onboarded).toMatchObject({ outcome: "verified", codesSent: 1 })
          expect(Option.getOrNull(onboarded.userId)).toBe(user?.userId)
        }))

      it.scoped("someone else's username: UsernameTakenError, their user untouched", () =>
        Effect.gen(function*() {
          const email = fresh("taken")
          const u = yield* Users.Users
          const theirs = yield* u.register({ name: "Other", username: email, email, password: Redacted.make("their secret") })
          const exit = yield* play(yield* engine.register(email), email, "verification", [])
          const error = yield* Effect.flip(exit)
          expect(error).toMatchObject({ _tag: "UsernameTakenError", username: email })
          expect(error.message).not.toContain(Redacted.value(password))
          expect((yield* userNamed(email)).map((x) => x.userId)).toEqual([theirs.userId])
        }))

      it.scoped("already verified by an earlier run: alreadyVerified, nothing registered or sent again", () =>
        Effect.gen(function*() {
          const email = fresh("twice")
          yield* Effect.flatten(play(yield* inMemory.register(email), email, "verification", ["right"]))
          yield* Simulator.resetCounters
          const again = yield* Effect.flatten(play(yield* engine.register(`  ${email.toUpperCase()} `), email, "verification", []))
          expect(again).toMatchObject({ outcome: "alreadyVerified", resumed: true, codesSent: 0 })
          expect(yield* handled("addUser")).toBe(0)
          expect(yield* userNamed(email)).toHaveLength(1)
        }))

      it.scoped("a password reset: a wrong code, then the right one sets the password", () =>
        Effect.gen(function*() {
          const email = fresh("reset")
          yield* Effect.flatten(play(yield* inMemory.register(email), email, "verification", ["right"]))
          const newPassword = Redacted.make("a brand new password")
          const reset = yield* Effect.flatten(play(yield* engine.reset(email, newPassword), email, "passwordReset", ["wrong", "right"]))
          expect(reset).toMatchObject({ username: email, codesSent: 1, wrongCodes: 1 })
          const auth = yield* Effect.either(Effect.flatMap(Auth.Auth, (a) => a.login({ username: email, password: newPassword })))
          expect(auth._tag).toBe("Right")
        }))

      it.scoped("a lost reset answer: a login with the new password shows it was set, no second reset", () =>
        Effect.gen(function*() {
          const email = fresh("lost-reset")
          yield* Effect.flatten(play(yield* inMemory.register(email), email, "verification", ["right"]))
          yield* Simulator.resetCounters
          const newPassword = Redacted.make("another new password")
          const reset = yield* Effect.flatten(
            play(yield* engine.reset(email, newPassword), email, "passwordReset", ["right"]).pipe(
              withFaults(Faults.on({ resetPasswordUser: { dropAfter: { rate: 1, times: 1 } } }))
            )
          )
          expect(reset).toMatchObject({ codesSent: 1 })
          expect((yield* Simulator.counters).byOperation.resetPasswordUser).toMatchObject({ received: 1, handled: 1 })
        }))

      it.scoped("a lost reset answer and a login that cannot be made: the replay's used code is checked, reported set", () =>
        Effect.gen(function*() {
          const email = fresh("lost-reset-busy")
          yield* Effect.flatten(play(yield* inMemory.register(email), email, "verification", ["right"]))
          yield* Simulator.resetCounters
          const newPassword = Redacted.make("yet another password")
          // The reset is handled and its answer lost; the login that should tell is refused with
          // a Retry-After far beyond the client's patience; the replay finds the code used.
          const exit = yield* play(yield* engine.reset(email, newPassword), email, "passwordReset", ["right"]).pipe(
            withFaults(Faults.on({
              resetPasswordUser: { dropAfter: { rate: 1, times: 1 } },
              usernamelogin: { rateLimit: { rate: 1, times: 1 }, retryAfter: 3600 }
            }))
          )
          expect(exit).toMatchObject({ _tag: "Success", value: { codesSent: 1 } })
          expect((yield* Simulator.counters).byOperation.generateUserPasswordResetToken?.handled).toBe(1)
          const login = yield* Effect.either(Effect.flatMap(Auth.Auth, (a) => a.login({ username: email, password: newPassword })))
          expect(login._tag).toBe("Right")
        }))

      it.scoped("a reset for nobody: UnknownUserError", () =>
        Effect.gen(function*() {
          const email = fresh("ghost")
          const exit = yield* play(yield* engine.reset(email, Redacted.make("x y z w")), email, "passwordReset", [])
          expect(yield* Effect.flip(exit)).toMatchObject({ _tag: "UnknownUserError", username: email })
        }))
    })
  }
})
