/**
 * The durable flows on the in-memory engine, against the simulator over loopback: each API call
 * once, codes from the host, durable timeouts that resend, typed failures, idempotent starts.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"

const TestLayer = DurableOnboarding.layer({ codeTimeout: "1 second", maxResends: 1, maxWrongCodes: 2 }).pipe(
  Layer.provideMerge(Glowmarkt.layer),
  Layer.provideMerge(DurableEngine.layerMemory),
  Layer.provideMerge(Simulator.layerTest({ seed: "durable-memory" })),
  Layer.provide(NodeHttpClient.layerUndici)
)

const password = Redacted.make("correct horse battery")
let n = 0
const fresh = () => `durable-${++n}-${Date.now()}@example.com`
const registration = (email: string) => ({ name: "Ada", username: email, email, password })

const ops = Effect.map(Simulator.counters, (c) => (op: string) => c.byOperation[op]?.handled ?? 0)

/** Polls the flow's state until `f` holds (real clock). */
const until = (flow: DurableOnboarding.FlowRef, f: (s: DurableOnboarding.FlowState) => boolean) =>
  Effect.gen(function*() {
    const onboarding = yield* DurableOnboarding.DurableOnboarding
    for (let i = 0; i < 200; i++) {
      const s = yield* onboarding.state(flow)
      if (f(s)) return s
      yield* Effect.sleep("20 millis")
    }
    return yield* Effect.dieMessage("state never reached")
  })

const awaiting = (wait: number) => (s: DurableOnboarding.FlowState) =>
  s._tag === "Running" && s.awaitingCode && s.wait === wait

const codeFor = (email: string, kind: Inbox.MessageKind = "verification") =>
  Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(email, { kind, timeout: "3 seconds" })).pipe(
    Effect.map((m) => m.code)
  )

layer(TestLayer, { excludeTestServices: true })("durable flows, in memory", (it) => {
  it.effect("register -> code from the host -> verified: one registration, one verification", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      const flow = yield* onboarding.startRegistration(registration(email))
      yield* until(flow, awaiting(1))
      const code = yield* codeFor(email)
      expect(yield* onboarding.submitCode(flow, code)).toEqual({ wait: 1 })
      const verified = yield* onboarding.result(flow)
      expect(verified).toMatchObject({ username: email, alreadyRegistered: false, codesRequested: 1, wrongCodes: 0 })
      expect(verified.userId).toBeDefined()
      const state = yield* onboarding.state(flow)
      expect(state._tag).toBe("Succeeded")
      const user = yield* Effect.flatMap(Simulator.Simulator, (s) => s.user(email))
      expect(Option.getOrThrow(user).status).toBe("active")
      // a code for a finished flow is refused
      const late = yield* Effect.flip(onboarding.submitCode(flow, code))
      expect(late._tag).toBe("FlowCompletedError")
    }))

  it.effect("starting the same flow twice joins the first: one registration", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const before = yield* ops
      const email = fresh()
      const a = yield* onboarding.startRegistration(registration(email))
      const b = yield* onboarding.startRegistration({ ...registration(` ${email.toUpperCase()} `), email })
      expect(b.executionId).toBe(a.executionId)
      yield* until(a, awaiting(1))
      yield* onboarding.submitCode(b, yield* codeFor(email))
      yield* onboarding.result(a)
      const after = yield* ops
      expect(after("addUser") - before("addUser")).toBe(1)
      expect(after("verifyUser") - before("verifyUser")).toBe(1)
    }))

  it.effect("no code in time: a new code is requested, and the new code verifies", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const before = yield* ops
      const email = fresh()
      const flow = yield* onboarding.startRegistration(registration(email))
      const first = yield* codeFor(email)
      yield* until(flow, awaiting(2)) // the first wait expired, a second code was sent
      const second = yield* codeFor(email)
      expect(yield* onboarding.submitCode(flow, second)).toEqual({ wait: 2 })
      const verified = yield* onboarding.result(flow)
      expect(verified).toMatchObject({ codesRequested: 2, wrongCodes: 0 })
      const after = yield* ops
      expect(after("generateUserVerificationToken") - before("generateUserVerificationToken")).toBe(1)
      expect(first).toMatch(/^\d{4}$/)
    }))

  it.effect("no code at all: CodeNotReceivedError after the allowed resends", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      const flow = yield* onboarding.startRegistration(registration(email))
      const error = yield* Effect.flip(onboarding.result(flow))
      expect(error._tag).toBe("CodeNotReceivedError")
      expect(error).toMatchObject({ flow: "registration", username: email, codesRequested: 2 })
      const state = yield* onboarding.state(flow)
      expect(state._tag === "Failed" && state.error?._tag).toBe("CodeNotReceivedError")
    }))

  it.effect("wrong codes: counted, the flow waits again; too many end it with TooManyWrongCodesError", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const ok = fresh()
      const flow = yield* onboarding.startRegistration(registration(ok))
      const code = yield* codeFor(ok)
      const wrong = code === "0000" ? "1111" : "0000"
      yield* onboarding.submitCode(flow, wrong)
      yield* until(flow, awaiting(2))
      yield* onboarding.submitCode(flow, code)
      expect(yield* onboarding.result(flow)).toMatchObject({ wrongCodes: 1, codesRequested: 1 })

      const bad = fresh()
      const doomed = yield* onboarding.startRegistration(registration(bad))
      const real = yield* codeFor(bad)
      const other = real === "0000" ? "1111" : "0000"
      yield* onboarding.submitCode(doomed, other)
      yield* until(doomed, awaiting(2))
      yield* onboarding.submitCode(doomed, other)
      const error = yield* Effect.flip(onboarding.result(doomed))
      expect(error).toMatchObject({ _tag: "TooManyWrongCodesError", wrongCodes: 2 })
    }))

  it.effect("a user that already exists (an earlier run registered it) is continued, not registered again", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      yield* Effect.flatMap(Users.Users, (u) => u.register(registration(email)))
      const before = yield* ops
      const flow = yield* onboarding.startRegistration(registration(email))
      yield* until(flow, awaiting(1))
      yield* onboarding.submitCode(flow, yield* codeFor(email))
      const verified = yield* onboarding.result(flow)
      expect(verified.alreadyRegistered).toBe(true)
      const after = yield* ops
      expect(after("verifyUser") - before("verifyUser")).toBe(1)
    }))

  it.effect("request-reset -> code -> reset", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      const reg = yield* onboarding.startRegistration(registration(email))
      yield* onboarding.submitCode(reg, yield* codeFor(email))
      yield* onboarding.result(reg)

      const before = yield* ops
      const flow = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("new secret 123") })
      yield* onboarding.submitCode(flow, yield* codeFor(email, "passwordReset"))
      expect(yield* onboarding.result(flow)).toMatchObject({ username: email, codesRequested: 1, wrongCodes: 0 })
      const after = yield* ops
      expect(after("generateUserPasswordResetToken") - before("generateUserPasswordResetToken")).toBe(1)
      expect(after("resetPasswordUser") - before("resetPasswordUser")).toBe(1)
      // the same reset again joins the finished one; a new nonce is a new reset
      const again = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("other 456") })
      expect(again.executionId).toBe(flow.executionId)
      const next = yield* onboarding.startPasswordReset({
        username: email,
        newPassword: Redacted.make("other 456"),
        nonce: "2"
      })
      expect(next.executionId).not.toBe(flow.executionId)
    }))

  it.effect("bad input is refused before anything starts", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const error = yield* Effect.flip(onboarding.startRegistration({ ...registration("x@example.com"), email: "nope" }))
      expect(error).toMatchObject({ _tag: "InvalidInputError", field: "email" })
      const code = yield* Effect.flip(onboarding.submitCode({ kind: "registration", username: "x@example.com" }, "12a4"))
      expect(code).toMatchObject({ _tag: "InvalidInputError" })
    }))
})

describe("settings", () => {
  layer(Layer.empty)((it) => {
    it.effect("invalid options are a typed config error", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(
          Layer.build(
            DurableOnboarding.layer({ maxWrongCodes: 0 }).pipe(
              Layer.provide(Layer.mergeAll(Glowmarkt.layer, DurableEngine.layerMemory)),
              Layer.provide(Simulator.layerTest()),
              Layer.provide(NodeHttpClient.layerUndici)
            )
          ).pipe(Effect.scoped)
        )
        expect(error._tag).toBe("InvalidConfigError")
      }))
  })
})
