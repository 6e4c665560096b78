/**
 * The code sources: the registry a backend feeds, the prompt, and timeouts of waiting for a
 * code proved on the TestClock.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { CodeSource } from "../src/workflows/index.js"

const request = (username: string): CodeSource.CodeRequest => ({ username, purpose: "verification", round: 1 })

/**
 * The usernames a registry shows waiting, once a forked flow has begun to wait: yields to the
 * other fibers until the list is not empty (registering a waiter involves no I/O or clock).
 */
const nowWaiting = (registry: CodeSource.Registry) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      const waiting = yield* registry.waiting
      if (waiting.length > 0) return waiting
      yield* Effect.yieldNow()
    }
    return yield* Effect.dieMessage("no flow began to wait")
  })

describe("CodeSource", () => {
  it.effect("a wait times out on the clock: CodeNotReceivedError", () =>
    Effect.gen(function*() {
      const fiber = yield* CodeSource.await(request("slow@example.com"), "10 minutes").pipe(
        Effect.provideService(CodeSource.CodeSource, CodeSource.fromEffect(() => Effect.never)),
        Effect.fork
      )
      yield* TestClock.adjust("9 minutes")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 minute")
      const exit = yield* Fiber.await(fiber)
      expect(Exit.isFailure(exit)).toBe(true)
      const error = yield* Effect.flip(exit)
      expect(error).toMatchObject({ _tag: "CodeNotReceivedError", reason: "timeout", waitedMillis: 600_000 })
      expect(error.message).toMatch(/run the flow again/)
    }))

  it.effect("registry: a code submitted while a flow waits reaches it; one submitted early is kept", () =>
    Effect.gen(function*() {
      const registry = yield* CodeSource.makeRegistry
      const fiber = yield* Effect.fork(registry.source.await(request("Waiting@Example.com")))
      expect(yield* nowWaiting(registry)).toEqual(["waiting@example.com"])
      yield* registry.submit("waiting@example.com", " 1234 ")
      expect(Redacted.value(yield* Fiber.join(fiber))).toBe("1234")
      expect(yield* registry.waiting).toEqual([])

      yield* registry.submit("early@example.com", "1111")
      yield* registry.submit("early@example.com", "2222")
      expect(Redacted.value(yield* registry.source.await(request("early@example.com")))).toBe("2222")

      const bad = yield* Effect.flip(registry.submit("early@example.com", "12a4"))
      expect(bad).toMatchObject({ _tag: "InvalidInputError", field: "code" })
      expect(bad.message).not.toContain("12a4")
      // A wiped Redacted holds nothing: refused the same way, not thrown.
      const wipedCode = Redacted.make("3333")
      Redacted.unsafeWipe(wipedCode)
      expect(yield* Effect.flip(registry.submit("early@example.com", wipedCode))).toMatchObject({ _tag: "InvalidInputError", field: "code" })
    }))

  it.effect("registry: a flow that gives up leaves nothing behind", () =>
    Effect.gen(function*() {
      const registry = yield* CodeSource.makeRegistry
      const fiber = yield* CodeSource.await(request("gone@example.com"), "1 minute").pipe(
        Effect.provideService(CodeSource.CodeSource, registry.source),
        Effect.fork
      )
      // It was waiting (so the check below is not of an empty registry), then gave up.
      expect(yield* nowWaiting(registry)).toEqual(["gone@example.com"])
      yield* TestClock.adjust("1 minute")
      expect((yield* Effect.flip(Fiber.join(fiber)))._tag).toBe("CodeNotReceivedError")
      expect(yield* registry.waiting).toEqual([])
    }))

  it.effect("prompt: asks again when the answer is not 4 digits; a failure is a cancel", () =>
    Effect.gen(function*() {
      const answers = ["abc", "12345", "4321"]
      const source = yield* CodeSource.prompt(() => Effect.sync(() => answers.shift()!))
      expect(Redacted.value(yield* source.await(request("p@example.com")))).toBe("4321")
      const cancelled = yield* CodeSource.prompt(() => Effect.fail("ctrl-c"))
      expect(yield* Effect.flip(cancelled.await(request("p@example.com")))).toMatchObject({ reason: "cancelled" })
    }))
})

