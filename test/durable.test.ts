/**
 * What only the durable flows have, on the in-memory engine against the simulator over
 * loopback: the host's side (start, state, submitCode, result), joining a flow started twice,
 * codes for a finished flow, nonces of resets, settings. The flows' scenarios (wrong, late and
 * missing codes, lost answers, taken usernames) run for both engines in flows.test.ts.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, expectTypeOf, it as plain, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import type { CodeNotReceivedError, OAuthNotConnectedError, TooManyWrongCodesError } from "../src/workflows/FlowError.js"
import { waitFor } from "./support/waitFor.js"

const TestLayer = DurableOnboarding.layer({ pollInterval: "5 millis" }).pipe(
  Layer.provideMerge(Glowmarkt.layer),
  Layer.provideMerge(DurableEngine.layerMemory),
  Layer.provideMerge(Simulator.layerTest({ seed: "durable-memory" })),
  Layer.provide(NodeHttpClient.layerUndici)
)

const password = Redacted.make("correct horse battery")
let n = 0
const fresh = () => `durable-${++n}@example.com`
const registration = (email: string) => ({ name: "Ada", username: email, email, password })

const ops = Effect.map(Simulator.counters, (c) => (op: string) => c.byOperation[op]?.handled ?? 0)

/** Waits until the flow waits for the code of wait `wait`. */
const awaiting = (flow: DurableOnboarding.FlowRef, wait: number) =>
  waitFor(
    `wait ${wait}`,
    Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) => o.state(flow)).pipe(
      Effect.map((s) => s._tag === "Running" && s.awaitingCode && s.wait === wait ? Option.some(s) : Option.none())
    )
  )

const codeFor = (email: string, kind: Inbox.MessageKind = "verification") =>
  waitFor(
    `a ${kind} code for ${email}`,
    Effect.flatMap(Inbox.Inbox, (inbox) => inbox.latest(email, kind))
  ).pipe(Effect.map((m) => m.code))

layer(TestLayer, { excludeTestServices: true })("durable flows, the host's side", (it) => {
  it.effect("start -> state -> submitCode -> result; a code for a finished flow is refused", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      const flow = yield* onboarding.startRegistration(registration(email))
      yield* awaiting(flow, 1)
      const code = yield* codeFor(email)
      expect(yield* onboarding.submitCode(flow, code)).toEqual({ wait: 1 })
      const verified = yield* onboarding.result(flow)
      const user = Option.getOrThrow(yield* Effect.flatMap(Simulator.Simulator, (s) => s.user(email)))
      expect(user.status).toBe("active")
      expect(verified).toMatchObject({ outcome: "verified", username: email, resumed: false, codesSent: 1, wrongCodes: 0 })
      expect(Option.getOrNull(verified.userId)).toBe(user.userId)
      const state = yield* onboarding.state(flow)
      expect(state).toMatchObject({ _tag: "Succeeded", result: { username: email } })
      const late = yield* Effect.flip(onboarding.submitCode(flow, code))
      expect(late).toMatchObject({ _tag: "FlowCompletedError", flow: "registration", succeeded: true })
    }))

  it.effect("starting the same flow twice joins the first: one registration, one verification", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const before = yield* ops
      const email = fresh()
      const a = yield* onboarding.startRegistration(registration(email))
      const b = yield* onboarding.startRegistration({ ...registration(` ${email.toUpperCase()} `), email })
      expect(b.executionId).toBe(a.executionId)
      yield* awaiting(a, 1)
      yield* onboarding.submitCode(b, yield* codeFor(email))
      yield* onboarding.result(a)
      const after = yield* ops
      expect(after("addUser") - before("addUser")).toBe(1)
      expect(after("verifyUser") - before("verifyUser")).toBe(1)
    }))

  it.effect("a reset started again joins the first; a new nonce is a new reset", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      const reg = yield* onboarding.startRegistration(registration(email))
      yield* awaiting(reg, 1)
      yield* onboarding.submitCode(reg, yield* codeFor(email))
      yield* onboarding.result(reg)

      const before = yield* ops
      const flow = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("new secret 123") })
      yield* awaiting(flow, 1)
      yield* onboarding.submitCode(flow, yield* codeFor(email, "passwordReset"))
      expect(yield* onboarding.result(flow)).toMatchObject({ username: email, codesSent: 1, wrongCodes: 0 })
      const after = yield* ops
      expect(after("generateUserPasswordResetToken") - before("generateUserPasswordResetToken")).toBe(1)
      expect(after("resetPasswordUser") - before("resetPasswordUser")).toBe(1)
      const again = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("other 456") })
      expect(again.executionId).toBe(flow.executionId)
      const next = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("other 456"), nonce: "2" })
      expect(next.executionId).not.toBe(flow.executionId)
    }))

  it.effect("a reset is named by its user and nonce, never by another user's whose parts join the same", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      const email = fresh()
      yield* onboarding.result(yield* onboarding.startRegistration(registration(email))).pipe(
        Effect.fork,
        Effect.zipLeft(Effect.flatMap(codeFor(email), (code) => onboarding.submitCode({ kind: "registration", username: email }, code)))
      )
      const flow = yield* onboarding.startPasswordReset({ username: email, newPassword: Redacted.make("new secret 123"), nonce: "n/m" })
      yield* awaiting(flow, 1)
      // "<email>/n" with nonce "m" is another user's reset: nothing of theirs started, and
      // starting it makes a run of its own rather than joining the first user's.
      const other = { kind: "passwordReset" as const, username: `${email}/n`, nonce: "m" }
      expect((yield* onboarding.state(other))._tag).toBe("Pending")
      const theirs = yield* onboarding.startPasswordReset({ username: other.username, newPassword: Redacted.make("theirs 456"), nonce: "m" })
      expect(theirs.executionId).not.toBe(flow.executionId)
    }))

  it.effect("bad input is refused before anything starts", () =>
    Effect.gen(function*() {
      const onboarding = yield* DurableOnboarding.DurableOnboarding
      yield* Simulator.resetCounters
      const error = yield* Effect.flip(onboarding.startRegistration({ ...registration("x@example.com"), email: "nope" }))
      expect(error).toMatchObject({ _tag: "InvalidInputError", field: "email" })
      const code = yield* Effect.flip(onboarding.submitCode({ kind: "registration", username: "x@example.com" }, "12a4"))
      expect(code).toMatchObject({ _tag: "InvalidInputError" })
      expect((yield* Simulator.counters).received).toBe(0)
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

describe("durable error channels", () => {
  type ErrorOf<T> = T extends (...args: ReadonlyArray<any>) => Effect.Effect<any, infer E, any> ? E : never
  type Service = DurableOnboarding.Service
  plain("each kind of flow fails with what it can end with, and nothing else", () => {
    // Code rounds end only the flows that wait for codes.
    expectTypeOf<CodeNotReceivedError>().toMatchTypeOf<ErrorOf<Service["result"]>>()
    expectTypeOf<TooManyWrongCodesError>().toMatchTypeOf<ErrorOf<Service["result"]>>()
    expectTypeOf<OAuthNotConnectedError>().not.toMatchTypeOf<ErrorOf<Service["result"]>>()
    // An OAuth connection waits for no code; it can end without tokens.
    expectTypeOf<OAuthNotConnectedError>().toMatchTypeOf<ErrorOf<Service["oauthConnectResult"]>>()
    expectTypeOf<CodeNotReceivedError>().not.toMatchTypeOf<ErrorOf<Service["oauthConnectResult"]>>()
    // An offboarding: the calls' errors only.
    expectTypeOf<CodeNotReceivedError>().not.toMatchTypeOf<ErrorOf<Service["offboardingResult"]>>()
    expectTypeOf<OAuthNotConnectedError>().not.toMatchTypeOf<ErrorOf<Service["offboardingResult"]>>()
    expectTypeOf<DurableOnboarding.OffboardingError>().toMatchTypeOf<ErrorOf<Service["offboardingResult"]>>()
  })
})
