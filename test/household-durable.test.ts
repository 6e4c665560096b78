/**
 * The durable household onboarding (register -> verify -> log in -> consent for the meter
 * points) killed and resumed: a first "process" (a build of the engine's layers on a SQLite file)
 * dies before one of its calls (after the registration, while waiting for the code, after the
 * code was handed in, after the verification, after the login, between two renewals), and a
 * second process on the same file resumes the flow. Each time, the simulator's admin view agrees
 * with the report: one user, active, consent recorded exactly once per meter point.
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
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { type Called, gated, processOn, withoutCalled } from "./support/gated.js"
import { until } from "./support/waitFor.js"

const TestLive = Glowmarkt.layer.pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "household-durable" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const secretKey = Redacted.make("household-durable-test-key")
const password = Redacted.make("correct horse battery")

/**
 * Where process A dies: before its call number `hangFrom` (1 register, 2 verify, 3 log in, 4 the
 * consent status, 5 and 6 the renewals), with the code handed to A first or not.
 */
interface Kill {
  readonly name: string
  readonly hangFrom: number
  readonly codeToA: boolean
}

const kills: ReadonlyArray<Kill> = [
  { name: "before the registration is sent", hangFrom: 1, codeToA: false },
  { name: "after the registration, while waiting for the code", hangFrom: 2, codeToA: false },
  { name: "after the code was handed in, before the verification is sent", hangFrom: 2, codeToA: true },
  { name: "after the verification, before the login", hangFrom: 3, codeToA: true },
  { name: "after the login, before the consent status", hangFrom: 4, codeToA: true },
  { name: "before the first renewal", hangFrom: 5, codeToA: true },
  { name: "mid-consent: between the two renewals", hangFrom: 6, codeToA: true }
]

layer(TestLive, { excludeTestServices: true })("durable household onboarding, killed and resumed", (it) => {
  it.effect("killed at each step boundary, resumed by another process: one user, verified, consent once per meter point", () =>
    Effect.gen(function*() {
      const context = yield* Effect.context<Called>()
      const inbox = yield* Inbox.Inbox

      const killAt = (kill: Kill, i: number) =>
        Effect.acquireUseRelease(
          Effect.sync(() => mkdtempSync(join(tmpdir(), "glowmarkt-household-kill-"))),
          (dir) =>
            Effect.gen(function*() {
              const filename = join(dir, "durable.sqlite")
              const username = `killed-${i}@household.example`
              const meterPoints = [`${4000000 + i}`, `${1400023300000 + i}`]
              const input = { name: "Killed", username, email: username, password, meterPoints }
              const ref: DurableOnboarding.FlowRef<"household"> = { kind: "household", username }

              // Process A: dies before call `hangFrom`.
              const gate = gated(context, kill.hangFrom)
              const scopeA = yield* Scope.make()
              const a = Context.get(
                yield* Layer.buildWithScope(processOn(filename, gate.services, secretKey), scopeA).pipe(withoutCalled),
                DurableOnboarding.DurableOnboarding
              )
              yield* a.startHousehold(input)
              let codeSubmitted = false
              if (kill.codeToA) {
                const { code } = yield* inbox.next(username, { timeout: "20 seconds" })
                yield* until("process A waits for the code", Effect.map(a.state(ref), (s) =>
                  s._tag === "Running" && s.awaitingCode ? Option.some(true) : Option.none()))
                yield* a.submitCode(ref, code)
                codeSubmitted = true
              }
              const waitsForCode = kill.hangFrom === 2 && !kill.codeToA
              yield* waitsForCode
                ? until("process A registered and waits for the code", Effect.map(a.state(ref), (s) =>
                  s._tag === "Running" && s.awaitingCode ? Option.some(true) : Option.none()))
                : until(`process A reached call ${kill.hangFrom}`, Effect.sync(() =>
                  gate.calls() >= kill.hangFrom ? Option.some(true) : Option.none()))
              // The password is in the engine's storage only sealed.
              expect(readFileSync(filename).includes(Buffer.from(Redacted.value(password)))).toBe(false)
              yield* Scope.close(scopeA, Exit.void)

              // Process B, on the same file, with working services: the flow resumes and ends.
              const report = yield* Effect.gen(function*() {
                const b = yield* DurableOnboarding.DurableOnboarding
                if (!codeSubmitted) {
                  const { code } = yield* inbox.next(username, { timeout: "30 seconds" })
                  yield* until("process B waits for the code", Effect.map(b.state(ref), (s) =>
                    s._tag === "Running" && s.awaitingCode ? Option.some(true) : Option.none()))
                  yield* b.submitCode(ref, code)
                }
                return yield* b.result(ref)
              }).pipe(
                Effect.provide(processOn(filename, gated(context, Number.POSITIVE_INFINITY).services, secretKey)),
                withoutCalled,
                Effect.timeoutFail({ duration: "90 seconds", onTimeout: () => new Error(`the flow did not resume (${kill.name})`) })
              )

              // The admin view: one user, active, each meter point consented by exactly one renewal.
              const all = (yield* Simulator.users).filter((u) => u.username === username)
              expect(all, kill.name).toHaveLength(1)
              const user = all[0]!
              expect(user.status).toBe("active")
              expect(user.meterPoints.map((m) => [m.mpxn, m.consented, m.renewals, m.revocations])).toEqual(
                meterPoints.map((m) => [m, true, 1, 0])
              )
              // The report says the same.
              expect(report.onboarded, kill.name).toMatchObject({ outcome: "verified", username, wrongCodes: 0 })
              expect(Option.getOrUndefined(report.onboarded.userId)).toBe(user.userId)
              expect(report.meterPoints.map((m) => [m.mpxn, m.outcome])).toEqual(meterPoints.map((m) => [m, "renewed"]))
              expect(Option.getOrUndefined(report.accountId)).toBe(user.accounts[0]!.accountId)
            }),
          (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
        )

      // Each kill is a file and a user of its own: a few at a time.
      yield* Effect.forEach(kills, killAt, { concurrency: 4, discard: true })
    }), { timeout: 240_000 })
})
