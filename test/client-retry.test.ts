/**
 * Retries and timeouts, proved with TestClock and the server's request count: transient
 * failures are retried with capped, jittered exponential backoff and `Retry-After`; 4xx never;
 * a request whose replay could repeat a side effect is not replayed once it may have reached
 * the server.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Queue from "effect/Queue"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as net from "node:net"
import * as Credentials from "../src/services/Credentials.js"
import * as Users from "../src/services/Users.js"
import { recorded } from "./support/recording.js"
import { type Answer, clientLayer, json, scripted, type Scripted, user } from "./support/scripted.js"

const admin = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))
const policy = { times: 3, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(10) }

/** Lets real I/O happen while the test clock stands still. */
const settle = Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 60)))
const arrival = (server: Scripted) => Queue.take(server.arrivals).pipe(Effect.timeout("5 seconds"))

const register = Effect.flatMap(Users.Users, (u) =>
  u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make("pw-123") }))
const getById = Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(Credentials.withAdmin(admin))

/**
 * The client's "attempt n failed" debug lines, counted, with the (test) clock's time of each:
 * the retry schedule logs it after reading the clock and before it sleeps, so it is the time a
 * retry's delay is counted from.
 */
const attemptLog = () => {
  const failedAt: Array<number> = []
  const layer = Layer.merge(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ date, message }) => {
        if (/attempt \d+ failed/.test(String(message))) failedAt.push(date.getTime())
      })
    ),
    Logger.minimumLogLevel(LogLevel.Debug)
  )
  return { layer, failed: () => failedAt.length, failedAt }
}

/**
 * The delay before each retry: from the clock time the client logged the failure to the clock
 * time the retry was noticed (which is at most one step late).
 */
const retryDelays = (seenAt: ReadonlyArray<number>, failedAt: ReadonlyArray<number>) =>
  seenAt.slice(1).map((t, i) => t - failedAt[i]!)

/** Waits, in real time, until `ready()` holds (bounded). */
const until = (ready: () => boolean) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500 && !ready(); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
  })

/**
 * Advances the test clock by `step` until `count` requests have arrived, and returns the clock's
 * time at which each was noticed (at most one step after it arrived). Before moving the clock
 * past a request, it waits until the client has logged that request's failure.
 */
const arrivalTimes = (
  server: Scripted,
  log: { readonly failed: () => number },
  count: number,
  step: Duration.DurationInput
) =>
  Effect.gen(function*() {
    const times: Array<number> = []
    for (let i = 0; i < 2000 && times.length < count; i++) {
      yield* settle
      const now = yield* Clock.currentTimeMillis
      while (times.length < server.requests.length) times.push(now)
      if (times.length >= count) break
      const seen = times.length
      yield* until(() => log.failed() >= seen)
      yield* TestClock.adjust(step)
    }
    return times
  })

const sequence = (...answers: ReadonlyArray<Answer>) => (_: unknown, i: number) => answers[Math.min(i, answers.length - 1)]!

describe("retries", () => {
  it.scoped("an idempotent read is retried on 503 with exponential backoff, then succeeds", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence({ status: 503 }, { status: 503 }, json(200, user())))
      const log = attemptLog()
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.provide(log.layer),
        Effect.fork
      )
      // Move the test clock in 50 ms steps, noting the clock's time when each request arrives.
      const seenAt = yield* arrivalTimes(server, log, 3, "50 millis")
      expect((yield* Fiber.join(fiber)).userId).toBe("u-1")
      expect(server.requests).toHaveLength(3)
      // 1 s, then 2 s, each ±20 % jitter (one step of slack for when a request is noticed).
      const [first, second] = retryDelays(seenAt, log.failedAt) as [number, number]
      expect(first).toBeGreaterThanOrEqual(800)
      expect(first).toBeLessThanOrEqual(1200 + 50)
      expect(second).toBeGreaterThanOrEqual(1600)
      expect(second).toBeLessThanOrEqual(2400 + 50)
    }))

  it.scoped("retries stop after `times`, and delays are capped at maxDelay", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(500, { error: "An error has occurred" }))
      const log = attemptLog()
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 5, baseDelay: "1 second", maxDelay: "3 seconds" } })),
        Effect.provide(log.layer),
        Effect.either,
        Effect.fork
      )
      const seenAt = yield* arrivalTimes(server, log, 6, "100 millis")
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left._tag).toBe("ServerError")
      expect(server.requests).toHaveLength(6)
      // Delays 1, 2, 4, 8, 16 seconds before the cap (±20 %); capped, never more than 3 s.
      const gaps = retryDelays(seenAt, log.failedAt)
      for (const gap of gaps) expect(gap).toBeLessThanOrEqual(3000 + 100)
      expect(gaps.slice(2).every((gap) => gap >= 3000)).toBe(true)
    }))

  it.scoped("4xx is never retried", () =>
    Effect.gen(function*() {
      for (const answer of [json(404, { error: "Not found" }), json(401, { error: "Access denied" }), { status: 403 }]) {
        const server = yield* scripted(() => answer)
        const result = yield* getById.pipe(
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
          Effect.either
        )
        expect(Either.isLeft(result)).toBe(true)
        expect(server.requests).toHaveLength(1)
      }
    }))

  it.scoped("register is not replayed after a 500, a 502 or a dropped connection", () =>
    Effect.gen(function*() {
      for (const answer of [json(500, { error: "x" }), { status: 502 }, { status: 503 }, "drop" as const]) {
        const server = yield* scripted(() => answer)
        const result = yield* register.pipe(
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
          Effect.either
        )
        expect(Either.isLeft(result)).toBe(true)
        expect(server.requests).toHaveLength(1)
      }
    }))

  it.scoped("register is retried after a 429, waiting exactly Retry-After", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence(
        { status: 429, headers: { "retry-after": "4" } },
        json(200, user("u-1", "unverified"))
      ))
      const log = attemptLog()
      const fiber = yield* register.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.provide(log.layer),
        Effect.fork
      )
      const seenAt = yield* arrivalTimes(server, log, 2, "100 millis")
      expect((yield* Fiber.join(fiber)).status).toBe("unverified")
      // Retry-After: 4 replaces the 1 s backoff: exactly 4 s (one step of slack for noticing it).
      const [delay] = retryDelays(seenAt, log.failedAt)
      expect(delay).toBeGreaterThanOrEqual(4000)
      expect(delay).toBeLessThanOrEqual(4000 + 100)
    }))

  it.scoped("a Retry-After beyond maxDelay is honoured by not retrying, and reported", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 429, headers: { "retry-after": "120" } }))
      const error = yield* register.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "UnexpectedStatusError", status: 429, retryAfterSeconds: 120 })
      expect(error.message).toContain("120s")
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("a Retry-After date is counted on the Effect clock", () =>
    Effect.gen(function*() {
      // The test clock starts at 0: this date is 90 s after it (Date.now() would make it long past).
      const server = yield* scripted(() => ({ status: 429, headers: { "retry-after": new Date(90_000).toUTCString() } }))
      const error = yield* register.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "UnexpectedStatusError", status: 429, retryAfterSeconds: 90 })
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("a refused connection is retried even for register: the server never saw it", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const port = yield* Effect.promise(() =>
          new Promise<number>((resolve) => {
            const s = net.createServer().listen(0, "127.0.0.1", () => {
              const p = (s.address() as net.AddressInfo).port
              s.close(() => resolve(p))
            })
          })
        )
        const fiber = yield* register.pipe(
          Effect.provide(clientLayer({ baseUrl: `http://127.0.0.1:${port}/api/v0-1`, retry: policy })),
          Effect.flip,
          Effect.fork
        )
        for (let i = 0; i < 3; i++) {
          yield* settle
          yield* TestClock.adjust("10 seconds")
        }
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionRefused" })
        const span = recording.spans.find((s) => s.name === "Glowmarkt.addUser")!
        expect(span.attributes.get("glowmarkt.attempts")).toBe(4)
        expect(span.attributes.get("glowmarkt.outcome")).toBe("failure")
      })
    ))
})

describe("replayed deletes", () => {
  const remove = Effect.flatMap(Users.Users, (u) => u.delete("u-1")).pipe(Credentials.withAdmin(admin))
  const fast = { times: 2, baseDelay: "1 millis", maxDelay: "1 millis" } as const

  it.scopedLive("a delete whose answer was lost, then 404 on the replay, has deleted the user", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence("drop", json(404, { error: "Not found" })))
      yield* remove.pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: fast })))
      expect(server.requests.map((r) => r.method)).toEqual(["DELETE", "DELETE"])
    }))

  it.scopedLive("a delete that finds nothing the first time is not found", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(404, { error: "Not found" }))
      const error = yield* remove.pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: fast })), Effect.flip)
      expect(error._tag).toBe("NotFoundError")
      expect(server.requests).toHaveLength(1)
    }))
})

describe("timeouts", () => {
  it.scoped("an attempt that gets no answer times out at requestTimeout, and a read is retried", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence("hang", json(200, user())))
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({
          baseUrl: server.baseUrl,
          requestTimeout: "5 seconds",
          retry: { times: 1, baseDelay: "1 second", maxDelay: "1 second" }
        })),
        Effect.fork
      )
      yield* arrival(server)
      yield* TestClock.adjust("4900 millis")
      yield* settle
      expect(server.requests).toHaveLength(1)
      yield* TestClock.adjust("100 millis")
      yield* settle
      yield* TestClock.adjust("1200 millis")
      yield* arrival(server)
      expect((yield* Fiber.join(fiber)).userId).toBe("u-1")
    }))

  it.scoped("a register that times out is not replayed, and says the server may have acted", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      const fiber = yield* register.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, requestTimeout: "5 seconds", retry: policy })),
        Effect.flip,
        Effect.fork
      )
      yield* arrival(server)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", mayHaveReachedServer: true })
      expect(error.message).toContain("check before repeating")
      // The attempt was aborted, not abandoned: its connection is closed.
      yield* until(() => server.openConnections() === 0)
      expect(server.openConnections()).toBe(0)
      yield* TestClock.adjust("60 seconds")
      yield* settle
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("a call that is interrupted aborts its request", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      // The client layer outlives the call: closing it would close the connection anyway.
      yield* Effect.gen(function*() {
        const fiber = yield* Effect.fork(getById)
        yield* arrival(server)
        expect(server.openConnections()).toBe(1)
        yield* Fiber.interrupt(fiber)
        yield* until(() => server.openConnections() === 0)
        expect(server.openConnections()).toBe(0)
      }).pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })))
      expect(server.requests).toHaveLength(1)
    }))
})
