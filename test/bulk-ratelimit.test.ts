/**
 * The import's token bucket on the TestClock: a burst of one second's worth, then one token
 * every 1/rate seconds, in the order asked.
 */
import { expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as TestClock from "effect/TestClock"
import { tokenBucket } from "../src/workflows/internal/rateLimit.js"

it.effect("10 per second: 10 at once, then one every 100 ms", () =>
  Effect.gen(function*() {
    const limit = yield* tokenBucket(10)
    const started: Array<number> = []
    const fiber = yield* Effect.forEach(
      Array.from({ length: 15 }, (_, i) => i),
      (i) => limit(Effect.sync(() => void started.push(i))),
      { concurrency: "unbounded", discard: true }
    ).pipe(Effect.fork)
    yield* TestClock.adjust("0 millis")
    expect(started).toHaveLength(10)
    yield* TestClock.adjust("100 millis")
    expect(started).toHaveLength(11)
    yield* TestClock.adjust("399 millis")
    expect(started).toHaveLength(14)
    yield* TestClock.adjust("1 millis")
    yield* Fiber.join(fiber)
    expect(started).toHaveLength(15)
  }))

it.effect("a quiet spell refills the bucket, never beyond the burst", () =>
  Effect.gen(function*() {
    const limit = yield* tokenBucket(2)
    const run = (n: number) =>
      Effect.forEach(Array.from({ length: n }, () => 0), () => limit(Effect.void), { concurrency: "unbounded", discard: true })
    yield* run(2)
    yield* TestClock.adjust("10 seconds")
    const fiber = yield* Effect.fork(run(3))
    yield* TestClock.adjust("499 millis")
    expect(fiber.unsafePoll()).toBeNull()
    yield* TestClock.adjust("1 millis")
    yield* Fiber.join(fiber)
  }))
