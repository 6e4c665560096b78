/**
 * Retries and timeouts, proved with TestClock and the server's request count: transient
 * failures are retried with capped, jittered exponential backoff and `Retry-After`; 4xx never;
 * a request whose replay could repeat a side effect is not replayed once it may have reached
 * the server.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Equal from "effect/Equal"
import * as Fiber from "effect/Fiber"
import type * as FiberId from "effect/FiberId"
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

/** Waits for the server to receive the next request (the clock stands still meanwhile). */
const arrival = (server: Scripted) => Queue.take(server.arrivals)

const register = Effect.flatMap(Users.Users, (u) =>
  u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make("pw-123") }))
const getById = Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(Credentials.withAdmin(admin))

/** What the client does that a test waits for, in the order its fibers do it. */
type ClientEvent =
  | { readonly _tag: "Failed"; readonly fiber: FiberId.FiberId; readonly line: string }
  | { readonly _tag: "Sleep"; readonly fiber: FiberId.FiberId; readonly at: number; readonly millis: number }

/**
 * Watches the client: its "attempt n failed" debug lines, and every sleep it asks of the clock
 * (the test clock, wrapped), on one queue. The retry schedule logs the line after reading the
 * clock and then, in the same fiber and with no I/O in between, sleeps for the retry's delay:
 * the next sleep of the fiber that logged a failure is that retry's delay, and the test knows it
 * once the client is asleep.
 */
const watchClient = Effect.gen(function*() {
  const events = yield* Queue.unbounded<ClientEvent>()
  const clock = yield* Effect.clock
  const watched: Clock.Clock = {
    [Clock.ClockTypeId]: Clock.ClockTypeId,
    unsafeCurrentTimeMillis: () => clock.unsafeCurrentTimeMillis(),
    unsafeCurrentTimeNanos: () => clock.unsafeCurrentTimeNanos(),
    currentTimeMillis: clock.currentTimeMillis,
    currentTimeNanos: clock.currentTimeNanos,
    sleep: (duration) =>
      Effect.flatMap(Effect.fiberId, (fiber) => {
        const at = clock.unsafeCurrentTimeMillis()
        Queue.unsafeOffer(events, { _tag: "Sleep", fiber, at, millis: Duration.toMillis(duration) })
        return clock.sleep(duration)
      })
  }
  const layer = Layer.mergeAll(
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ fiberId, message }) => {
        const line = String(message)
        if (/attempt \d+ failed/.test(line)) Queue.unsafeOffer(events, { _tag: "Failed", fiber: fiberId, line })
      })
    ),
    Logger.minimumLogLevel(LogLevel.Debug),
    Layer.setClock(watched)
  )
  /** The next failure the client logs (sleeps of other fibers before it are skipped). */
  const failure = Effect.gen(function*() {
    while (true) {
      const event = yield* Queue.take(events)
      if (event._tag === "Failed") return event
    }
  })
  /**
   * The test clock's sleeps are registered just after the event: waits (yielding to the client's
   * fibers, no I/O involved) until this one is, so that moving the clock wakes it.
   */
  const registered = (event: Extract<ClientEvent, { _tag: "Sleep" }>) =>
    Effect.gen(function*() {
      for (let i = 0; i < 1000; i++) {
        if (Chunk.some(yield* TestClock.sleeps(), (wake) => wake === event.at + event.millis)) return event
        yield* Effect.yieldNow()
      }
      return yield* Effect.dieMessage("a sleep the client asked for never reached the test clock")
    })
  /** The retry after `failed`: the next sleep of the fiber that logged it, once it has begun. */
  const retrySleep = (failed: { readonly fiber: FiberId.FiberId }) =>
    Effect.gen(function*() {
      while (true) {
        const event = yield* Queue.take(events)
        if (event._tag === "Failed") return yield* Effect.dieMessage(`a failure instead of a retry: ${event.line}`)
        if (Equal.equals(event.fiber, failed.fiber)) return yield* registered(event)
      }
    })
  /** The next sleep the client asks of the clock, from any fiber, once it has begun. */
  const sleep = Effect.gen(function*() {
    while (true) {
      const event = yield* Queue.take(events)
      if (event._tag === "Sleep") return yield* registered(event)
    }
  })
  return { layer, failure, retrySleep, sleep }
})

type Watch = Effect.Effect.Success<typeof watchClient>

/**
 * Drives `count` retries on the test clock: for each, waits for the client to log the failure
 * and to fall asleep before the retry, moves the clock by exactly that delay and waits for the
 * retry to reach the server. Returns each retry's delay and the failure lines.
 */
const driveRetries = (server: Scripted, watch: Watch, count: number) =>
  Effect.gen(function*() {
    const delays: Array<number> = []
    const lines: Array<string> = []
    yield* arrival(server)
    for (let n = 1; n <= count; n++) {
      const failed = yield* watch.failure
      lines.push(failed.line)
      const sleep = yield* watch.retrySleep(failed)
      // Asleep, and nothing was sent before it fell asleep.
      expect(server.requests).toHaveLength(n)
      yield* TestClock.adjust(Duration.millis(sleep.millis))
      yield* arrival(server)
      delays.push(sleep.millis)
    }
    return { delays, lines }
  })

const sequence = (...answers: ReadonlyArray<Answer>) => (_: unknown, i: number) => answers[Math.min(i, answers.length - 1)]!

describe("retries", () => {
  it.scoped("an idempotent read is retried on 503 with exponential backoff, then succeeds", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence({ status: 503 }, { status: 503 }, json(200, user())))
      const watch = yield* watchClient
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.provide(watch.layer),
        Effect.fork
      )
      const { delays, lines } = yield* driveRetries(server, watch, 2)
      expect((yield* Fiber.join(fiber)).userId).toBe("u-1")
      expect(server.requests).toHaveLength(3)
      expect(lines).toEqual([
        "glowmarkt getUserbyId: attempt 1 failed (UnexpectedStatusError)",
        "glowmarkt getUserbyId: attempt 2 failed (UnexpectedStatusError)"
      ])
      // 1 s, then 2 s, each ±20 % jitter.
      const [first, second] = delays as [number, number]
      expect(first).toBeGreaterThanOrEqual(800)
      expect(first).toBeLessThanOrEqual(1200)
      expect(second).toBeGreaterThanOrEqual(1600)
      expect(second).toBeLessThanOrEqual(2400)
    }))

  it.scoped("retries stop after `times`, and delays are capped at maxDelay", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(500, { error: "An error has occurred" }))
      const watch = yield* watchClient
      const retry = { times: 5, baseDelay: "1 second", maxDelay: "3 seconds" } as const
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry })),
        Effect.provide(watch.layer),
        Effect.either,
        Effect.fork
      )
      const { delays } = yield* driveRetries(server, watch, 5)
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left._tag).toBe("ServerError")
      expect(server.requests).toHaveLength(6)
      // Delays 1, 2, 4, 8, 16 seconds (±20 %) before the cap; from the third on, the cap: 3 s.
      const [first, second, ...capped] = delays as [number, number, ...Array<number>]
      expect(first).toBeGreaterThanOrEqual(800)
      expect(first).toBeLessThanOrEqual(1200)
      expect(second).toBeGreaterThanOrEqual(1600)
      expect(second).toBeLessThanOrEqual(2400)
      expect(capped).toEqual([3000, 3000, 3000])
    }))

  it.scoped("4xx is never retried", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Answer, object]> = [
        [json(404, { error: "Not found" }), { _tag: "NotFoundError" }],
        [json(401, { error: "Access denied" }), { _tag: "AccessDeniedError" }],
        [{ status: 403 }, { _tag: "UnexpectedStatusError", status: 403 }]
      ]
      for (const [answer, expected] of cases) {
        const server = yield* scripted(() => answer)
        const error = yield* getById.pipe(
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
          Effect.flip
        )
        expect(error).toMatchObject(expected)
        expect(server.requests).toHaveLength(1)
      }
    }))

  it.scoped("register is not replayed after a 500, a 502 or a dropped connection", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [Answer, object]> = [
        [json(500, { error: "x" }), { _tag: "ServerError" }],
        [{ status: 502 }, { _tag: "UnexpectedStatusError", status: 502 }],
        [{ status: 503 }, { _tag: "UnexpectedStatusError", status: 503 }],
        ["drop", { _tag: "TransportError", mayHaveReachedServer: true }]
      ]
      for (const [answer, expected] of cases) {
        const server = yield* scripted(() => answer)
        const error = yield* register.pipe(
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
          Effect.flip
        )
        expect(error).toMatchObject(expected)
        expect(server.requests).toHaveLength(1)
      }
    }))

  it.scoped("register is retried after a 429, waiting exactly Retry-After", () =>
    Effect.gen(function*() {
      const server = yield* scripted(sequence(
        { status: 429, headers: { "retry-after": "4" } },
        json(200, user("u-1", "unverified"))
      ))
      const watch = yield* watchClient
      const fiber = yield* register.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })),
        Effect.provide(watch.layer),
        Effect.fork
      )
      const { delays } = yield* driveRetries(server, watch, 1)
      expect((yield* Fiber.join(fiber)).status).toBe("unverified")
      expect(server.requests.map((r) => r.method)).toEqual(["POST", "POST"])
      // Retry-After: 4 replaces the jittered 1 s backoff: exactly 4 s.
      expect(delays).toEqual([4000])
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
        const watch = yield* watchClient
        const fiber = yield* register.pipe(
          Effect.provide(clientLayer({ baseUrl: `http://127.0.0.1:${port}/api/v0-1`, retry: policy })),
          Effect.provide(watch.layer),
          Effect.flip,
          Effect.fork
        )
        // Each failure: the retry goes to sleep; wake it.
        for (let n = 1; n <= policy.times; n++) {
          const failed = yield* watch.failure
          expect(failed.line).toBe(`glowmarkt addUser: attempt ${n} failed (TransportError)`)
          yield* TestClock.adjust(Duration.millis((yield* watch.retrySleep(failed)).millis))
        }
        const error = yield* Fiber.join(fiber)
        expect(error).toMatchObject({ _tag: "TransportError", reason: "ConnectionRefused" })
        // The last failure ends the call: logged by the schedule, which then stops.
        expect((yield* watch.failure).line).toBe(`glowmarkt addUser: attempt 4 failed (TransportError)`)
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
      const watch = yield* watchClient
      const retry = { times: 1, baseDelay: "1 second", maxDelay: "1 second" } as const
      const fiber = yield* getById.pipe(
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, requestTimeout: "5 seconds", retry })),
        Effect.provide(watch.layer),
        Effect.fork
      )
      yield* arrival(server)
      // The one thing the client waits for on the clock: the attempt's deadline, 5 s from now.
      const deadline = yield* watch.sleep
      expect(deadline.at + deadline.millis).toBe(5000)
      yield* TestClock.adjust("5 seconds")
      const failed = yield* watch.failure
      expect(failed.line).toBe("glowmarkt getUserbyId: attempt 1 failed (TransportError)")
      // Then the retry waits its 1 s (jittered by ±20 %, capped at maxDelay: 0.8 s to 1 s).
      const { millis } = yield* watch.retrySleep(failed)
      expect(millis).toBeGreaterThanOrEqual(800)
      expect(millis).toBeLessThanOrEqual(1000)
      expect(server.requests).toHaveLength(1)
      yield* TestClock.adjust(Duration.millis(millis))
      yield* arrival(server)
      expect((yield* Fiber.join(fiber)).userId).toBe("u-1")
      expect(server.requests).toHaveLength(2)
    }))

  it.scoped("a register that times out is not replayed, and says the server may have acted", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      // The client layer outlives the call: closing it would close the connection anyway.
      const client = yield* Layer.build(clientLayer({ baseUrl: server.baseUrl, requestTimeout: "5 seconds", retry: policy }))
      const fiber = yield* register.pipe(Effect.provide(client), Effect.flip, Effect.fork)
      yield* arrival(server)
      yield* TestClock.adjust("5 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "TransportError", reason: "Timeout", mayHaveReachedServer: true })
      expect(error.message).toContain("check before repeating")
      // The call has ended after one request: nothing replays it later.
      expect(server.requests).toHaveLength(1)
      // The attempt was aborted, not abandoned: its connection closes while the client layer is
      // still open (the test waits for it).
      yield* server.openConnectionsReach(0)
    }))

  // An undeclared status is reported with an excerpt of its body, read for at most 2 s after the
  // attempt: a body that never ends must not keep its connection open once the call is over.
  const stalled: Answer = { status: 502, body: "Bad gat", headers: { "content-type": "text/plain" }, stall: true }
  /** Waits until the client reads the error body (the 2 s bound on that read is asleep). */
  const readingErrorBody = (watch: Watch) =>
    Effect.gen(function*() {
      while (true) {
        const sleep = yield* watch.sleep
        if (sleep.millis === 2000) return
      }
    })

  it.scoped("an error whose body never ends: the call ends, and its connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => stalled)
      const watch = yield* watchClient
      // The client layer stays open after the call (closing it would close the connection anyway);
      // the call runs on the watched clock, to know when it reads the error body.
      const client = yield* Layer.build(clientLayer({ baseUrl: server.baseUrl, retry: { times: 0 } }))
      const fiber = yield* getById.pipe(Effect.flip, Effect.provide(client), Effect.provide(watch.layer), Effect.fork)
      yield* arrival(server)
      yield* readingErrorBody(watch)
      yield* TestClock.adjust("2 seconds")
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "UnexpectedStatusError", status: 502 })
      // The call is over, the client layer still open: the call closed its connection.
      yield* server.openConnectionsReach(0)
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("a call interrupted while it reads an error body aborts its request", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => stalled)
      const watch = yield* watchClient
      const client = yield* Layer.build(clientLayer({ baseUrl: server.baseUrl, retry: { times: 0 } }))
      const fiber = yield* getById.pipe(Effect.provide(client), Effect.provide(watch.layer), Effect.fork)
      yield* arrival(server)
      yield* readingErrorBody(watch)
      yield* Fiber.interrupt(fiber)
      yield* server.openConnectionsReach(0)
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
        // Aborted: its connection closes while the client layer is still open (the test waits for it).
        yield* server.openConnectionsReach(0)
      }).pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: policy })))
      expect(server.requests).toHaveLength(1)
    }))
})
