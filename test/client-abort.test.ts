/**
 * The per-attempt deadline aborts the attempt's request on every transport: proved over loopback
 * sockets, on both transports (`client:layerUndici`, `client:UndiciHttpClient`).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as TestClock from "effect/TestClock"
import * as Tracer from "effect/Tracer"
import * as Credentials from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Users from "../src/services/Users.js"
import { scripted, type Scripted, user } from "./support/scripted.js"
import * as Transport from "./support/transport.js"
import { waitFor } from "./support/waitFor.js"

const admin = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))
const getById = Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(Credentials.withAdmin(admin))

/** A condition as `waitFor` takes it. */
const when = (condition: () => boolean) => Effect.sync(() => (condition() ? Option.some(true) : Option.none()))

/** Waits until `n` sleeps are pending on the test clock. */
const sleepsReach = (n: number) =>
  waitFor(`${n} sleeps on the test clock`, Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length >= n ? Option.some(true) : Option.none()))

/** Waits until the server has received `n` requests. */
const requestsReach = (server: Scripted, n: number) => waitFor(`${n} requests at the server`, when(() => server.requests.length >= n))

/** Waits until the server sees no connection open (a defect naming it if that never happens). */
const connectionsClosed = (server: Scripted) => waitFor("every connection closed at the server", when(() => server.openConnections() === 0))

/**
 * The call ends with a `Timeout` once its deadline has passed, and the server sees its
 * connections closed while the client layer is still open. Both are waited for as conditions
 * (the event loop turns, no clock moves): a call that never ends is a defect that says so.
 */
const timesOutAndCloses = (fiber: Fiber.Fiber<unknown, unknown>, server: Scripted) =>
  Effect.gen(function*() {
    const exit = yield* waitFor("the call ends after its deadline", Fiber.poll(fiber))
    expect(Exit.isSuccess(exit) && exit.value).toMatchObject({ _tag: "TransportError", reason: "Timeout" })
    yield* connectionsClosed(server)
  })

/** The client on the run's transport, its `HttpClient` derived from the transport's by `f`. */
const clientOn = (
  baseUrl: string,
  f: (http: HttpClient.HttpClient) => HttpClient.HttpClient
) =>
  Glowmarkt.layer.pipe(
    Layer.provideMerge(GlowmarktConfig.layer({
      applicationId: "app-1",
      directoryId: "dir-1",
      baseUrl,
      requestTimeout: "5 seconds",
      retry: { times: 0, baseDelay: Duration.seconds(1), maxDelay: Duration.seconds(1) }
    })),
    Layer.provide(Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, f))),
    Layer.provide(Transport.layer),
    Layer.orDie
  )

describe("the deadline aborts the request", () => {
  it.scoped("a request sent after its attempt's deadline has passed is aborted, not left to hang", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      // A caller's middleware that takes longer than the timeout before the request is sent; its
      // sleep is on the TestClock (moved below), no real time passes.
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) =>
        HttpClient.mapRequestEffect(http, (request) => Effect.as(Effect.sleep("6 seconds"), request))))
      const fiber = yield* getById.pipe(Effect.provide(client), Effect.flip, Effect.fork)
      // The deadline watcher and the middleware are asleep.
      yield* sleepsReach(2)
      yield* TestClock.adjust("6 seconds")
      yield* timesOutAndCloses(fiber, server)
    }))
  it.scoped("an attempt that dies (a caller's client's defect) aborts its request", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 502, body: "Bad gat", headers: { "content-type": "text/plain" }, stall: true }))
      // A caller's `HttpClient` that dies on the response, before its body (which never ends) is read.
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) => HttpClient.tap(http, () => Effect.die("boom"))))
      const exit = yield* Effect.exit(getById.pipe(Effect.provide(client)))
      expect(Exit.isFailure(exit) && exit.cause._tag).toBe("Die")
      // The client layer is still open: the attempt closed its connection.
      yield* connectionsClosed(server)
    }))
  it.scoped("a caller's retrying client: the retry of an aborted request is aborted too", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      // A caller's `HttpClient` that retries transport errors (an abort is one).
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) => HttpClient.retry(http, { times: 2 })))
      const fiber = yield* getById.pipe(Effect.provide(client), Effect.flip, Effect.fork)
      yield* requestsReach(server, 1)
      yield* TestClock.adjust("5 seconds")
      yield* timesOutAndCloses(fiber, server)
    }))
  it.scoped("a body that never ends: the deadline aborts its read and closes its connection", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{\"userId\":", headers: { "content-type": "application/json" }, stall: true }))
      // The caller's client notes the response's arrival: the deadline then falls during the body's read.
      let answered = false
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) =>
        HttpClient.tap(http, () =>
          Effect.sync(() => {
            answered = true
          }))))
      const fiber = yield* getById.pipe(Effect.provide(client), Effect.flip, Effect.fork)
      yield* waitFor("the response's headers at the client", when(() => answered))
      yield* TestClock.adjust("5 seconds")
      yield* timesOutAndCloses(fiber, server)
    }))
})

describe("the deadline aborts every request of the attempt", () => {
  // `withScope` tags only the request it is given: on `layerUndici` the redirect's own request is
  // left to interruption alone, and this call hangs there (the platform's limit, not ours).
  it.scoped.skipIf(Transport.name !== "UndiciHttpClient")(
    "a caller's client that follows a redirect: the redirect's body and its target are both aborted",
    () =>
      Effect.gen(function*() {
        const server = yield* scripted((request) =>
          request.url.startsWith("/elsewhere")
            ? "hang"
            : { status: 302, body: "moved", headers: { location: "/elsewhere" }, stall: true }
        )
        const client = yield* Layer.build(clientOn(server.baseUrl, (http) => HttpClient.followRedirects(http)))
        const fiber = yield* getById.pipe(Effect.provide(client), Effect.flip, Effect.fork)
        yield* requestsReach(server, 2)
        expect(server.openConnections()).toBe(2)
        yield* TestClock.adjust("5 seconds")
        yield* timesOutAndCloses(fiber, server)
      })
  )
})

describe("the deadline aborts a traced request", () => {
  /** A tracer of the caller's: every span is recorded, so the platform would make a client span. */
  const tracer = Effect.map(Effect.tracer, (native) =>
    Tracer.make({ span: (...args) => native.span(...args), context: (f) => f() }))

  for (const [name, f] of [
    ["the transport's client", (http: HttpClient.HttpClient) => http],
    ["a client whose requests the caller traces", (http: HttpClient.HttpClient) => HttpClient.withTracerDisabledWhen(http, () => false)]
  ] as const) {
    it.scoped(`a request that gets no answer, under a tracer: ${name}`, () =>
      Effect.gen(function*() {
        const server = yield* scripted(() => "hang")
        const client = yield* Layer.build(clientOn(server.baseUrl, f))
        const fiber = yield* getById.pipe(Effect.provide(client), Effect.withTracer(yield* tracer), Effect.flip, Effect.fork)
        yield* requestsReach(server, 1)
        yield* TestClock.adjust("5 seconds")
        yield* timesOutAndCloses(fiber, server)
      }))
  }
})

describe("undici options reach the request", () => {
  const answer = () => ({ status: 200, body: JSON.stringify({ userId: "u-1", status: "active", active: true, applications: [], createdAt: "2026-01-01T00:00:00.000Z", updatedAt: "2026-01-01T00:00:00.000Z" }), headers: { "content-type": "application/json" } })
  const reset = { reset: true } as NodeHttpClient.UndiciRequestOptions["Type"]

  it.scoped("provided to the call", () =>
    Effect.gen(function*() {
      const server = yield* scripted(answer)
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) => http))
      yield* getById.pipe(Effect.provideService(NodeHttpClient.UndiciRequestOptions, reset), Effect.provide(client))
      expect(server.requests[0]!.headers.connection).toBe("close")
    }))

  it.scoped("provided to the client layer", () =>
    Effect.gen(function*() {
      const server = yield* scripted(answer)
      const client = yield* Layer.build(clientOn(server.baseUrl, (http) => http).pipe(
        Layer.provide(Layer.succeed(NodeHttpClient.UndiciRequestOptions, reset))
      ))
      yield* getById.pipe(Effect.provide(client))
      expect(server.requests[0]!.headers.connection).toBe("close")
    }))
})

describe("an attempt that succeeds closes what its other requests left open", () => {
  // On `layerUndici` the attempt's requests are aborted by closing its scope, which a successful
  // attempt leaves open (closing it costs every call an `AbortController` abort): the 503 keeps
  // its connection there.
  it.scoped.skipIf(Transport.name !== "UndiciHttpClient")(
    "a caller's retrying client: the first answer's stalled body is aborted when the retry succeeds",
    () =>
      Effect.gen(function*() {
        const server = yield* scripted((_, index) =>
          index === 0
            ? { status: 503, body: "Unavail", headers: { "content-type": "text/plain" }, stall: true }
            : { status: 200, body: JSON.stringify(user()), headers: { "content-type": "application/json" } }
        )
        // A caller's `HttpClient` that retries a non-2xx answer without reading its body.
        const client = yield* Layer.build(clientOn(server.baseUrl, (http) => HttpClient.retry(HttpClient.filterStatusOk(http), { times: 1 })))
        const found = yield* getById.pipe(Effect.provide(client))
        expect(found.userId).toBe("u-1")
        expect(server.requests).toHaveLength(2)
        // The 503's connection closes after the call (its body never ends).
        yield* connectionsClosed(server)
      })
  )
})
