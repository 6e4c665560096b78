/**
 * `UndiciHttpClient`, the optional transport, on what differs from `NodeHttpClient.layerUndici`:
 * a body is read once, whichever accessors ask for it and however often; a failed read is a
 * `ResponseError`; a request under `RequestAbort` that no tracer records hands its abort over and
 * is aborted by it. (The client test files run on both transports: see test/support/transport.ts.)
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as fc from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as Queue from "effect/Queue"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as UndiciHttpClient from "../src/transport/UndiciHttpClient.js"
import { scripted } from "./support/scripted.js"

const client = HttpClient.HttpClient

describe("UndiciHttpClient", () => {
  it.scoped("reads a body once: text, json and concurrent readers see the same value", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{\"a\":1}", headers: { "content-type": "application/json" } }))
      const http = yield* client
      const response = yield* http.get(`${server.origin}/x`)
      const [text, json, again] = yield* Effect.all([response.text, response.json, response.text], { concurrency: "unbounded" })
      expect(text).toBe("{\"a\":1}")
      expect(json).toEqual({ a: 1 })
      expect(again).toBe(text)
      expect(response.status).toBe(200)
      expect(response.headers["content-type"]).toBe("application/json")
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("an empty body is null as json; bytes and streams are there", () =>
    Effect.gen(function*() {
      const server = yield* scripted((request) => request.url === "/empty" ? { status: 204 } : { status: 200, body: "abc" })
      const http = yield* client
      expect(yield* Effect.flatMap(http.get(`${server.origin}/empty`), (r) => r.json)).toBeNull()
      const bytes = yield* Effect.flatMap(http.get(`${server.origin}/b`), (r) => r.arrayBuffer)
      expect(Buffer.from(bytes).toString("utf8")).toBe("abc")
      const chunks = yield* http.get(`${server.origin}/s`).pipe(
        Effect.flatMap((r) => Stream.runCollect(r.stream))
      )
      expect(Buffer.concat(Chunk.toReadonlyArray(chunks)).toString("utf8")).toBe("abc")
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("sends the request body and headers", () =>
    Effect.gen(function*() {
      const server = yield* scripted((request) => ({ status: 200, body: request.body }))
      const http = yield* client
      const echoed = yield* http.execute(
        HttpClientRequest.post(`${server.origin}/echo`).pipe(HttpClientRequest.bodyUnsafeJson({ b: 2 }))
      ).pipe(Effect.flatMap((r) => r.json))
      expect(echoed).toEqual({ b: 2 })
      expect(server.requests[0]!.headers["content-type"]).toBe("application/json")
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("broken JSON is a ResponseError (Decode)", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{not json" }))
      const http = yield* client
      const error = yield* Effect.flip(Effect.flatMap(http.get(`${server.origin}/x`), (r) => r.json))
      expect(error._tag).toBe("ResponseError")
      expect(error.reason).toBe("Decode")
    }).pipe(Effect.provide(UndiciHttpClient.layer)))
})

describe("UndiciHttpClient: RequestAbort", () => {
  /** A `RequestAbort` that keeps the handles it is given. */
  const collecting = () => {
    const handles: Array<UndiciHttpClient.AbortHandle> = []
    return { handles, owner: { onRequest: (handle: UndiciHttpClient.AbortHandle) => void handles.push(handle) } }
  }
  /** The platform's client span off for the request, as the package's services run theirs. */
  const untraced = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.locally(effect, HttpClient.currentTracerDisabledWhen, () => true)

  it.scoped("aborting the handle fails the request and closes its connection, the client still open", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      const http = yield* client
      const { handles, owner } = collecting()
      const fiber = yield* http.get(`${server.origin}/x`).pipe(untraced, Effect.provideService(UndiciHttpClient.RequestAbort, owner), Effect.flip, Effect.fork)
      yield* Queue.take(server.arrivals)
      expect(handles).toHaveLength(1)
      expect(server.openConnections()).toBe(1)
      handles[0]!.abort()
      const error = yield* Fiber.join(fiber)
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
      yield* server.openConnectionsReach(0)
      // Once the request has ended, aborting again does nothing.
      handles[0]!.abort()
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("aborting the handle once the response has arrived fails the read of a body that never ends", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{\"a\":", headers: { "content-type": "application/json" }, stall: true }))
      const http = yield* client
      const { handles, owner } = collecting()
      const response = yield* http.get(`${server.origin}/x`).pipe(untraced, Effect.provideService(UndiciHttpClient.RequestAbort, owner))
      const read = yield* Effect.fork(Effect.flip(response.text))
      handles[0]!.abort()
      const error = yield* Fiber.join(read)
      expect(error).toMatchObject({ _tag: "ResponseError", reason: "Decode" })
      yield* server.openConnectionsReach(0)
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("interrupting the request aborts it", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => "hang")
      const http = yield* client
      const { owner } = collecting()
      const fiber = yield* http.get(`${server.origin}/x`).pipe(untraced, Effect.provideService(UndiciHttpClient.RequestAbort, owner), Effect.fork)
      yield* Queue.take(server.arrivals)
      yield* Fiber.interrupt(fiber)
      yield* server.openConnectionsReach(0)
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("a traced request takes the platform's path: its client span, no handle", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{}" }))
      const http = yield* client
      const spans: Array<string> = []
      const native = yield* Effect.tracer
      const tracer = Tracer.make({
        span: (name, parent, context, links, startTime, kind, options) => {
          spans.push(name)
          return native.span(name, parent, context, links, startTime, kind, options)
        },
        context: (f) => f()
      })
      const { handles, owner } = collecting()
      yield* Effect.flatMap(http.get(`${server.origin}/x`), (r) => r.json).pipe(
        Effect.provideService(UndiciHttpClient.RequestAbort, owner),
        Effect.withTracer(tracer)
      )
      expect(spans).toEqual(["http.client GET"])
      expect(handles).toHaveLength(0)
      expect(server.requests[0]!.headers.traceparent).toBeDefined()
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("only the module's own clients honour it; a derived client does not", () =>
    Effect.gen(function*() {
      const http = yield* client
      expect(UndiciHttpClient.honoursRequestAbort(http)).toBe(true)
      expect(UndiciHttpClient.honoursRequestAbort(HttpClient.mapRequest(http, HttpClientRequest.acceptJson))).toBe(false)
      expect(UndiciHttpClient.honoursRequestAbort(yield* Effect.provide(client, NodeHttpClient.layerUndici))).toBe(false)
    }).pipe(Effect.provide(UndiciHttpClient.layer)))

  it.scoped("undici options provided to the layer apply on both paths", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{}" }))
      const http = yield* client
      const { owner } = collecting()
      yield* http.get(`${server.origin}/traced`)
      yield* http.get(`${server.origin}/untraced`).pipe(untraced, Effect.provideService(UndiciHttpClient.RequestAbort, owner))
      // undici's `reset` closes the connection after the request, and says so on the wire.
      expect(server.requests.map((r) => [r.url, r.headers.connection])).toEqual([["/traced", "close"], ["/untraced", "close"]])
    }).pipe(
      Effect.provide(UndiciHttpClient.layer.pipe(
        Layer.provide(Layer.succeed(NodeHttpClient.UndiciRequestOptions, { reset: true } as NodeHttpClient.UndiciRequestOptions["Type"]))
      ))
    ))
  it.scoped("a stream body is sent on the RequestAbort path", () =>
    Effect.gen(function*() {
      const server = yield* scripted((request) => ({ status: 200, body: request.body }))
      const http = yield* client
      const { handles, owner } = collecting()
      const text = yield* http.execute(
        HttpClientRequest.post(`${server.origin}/echo`).pipe(
          HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("ab"), new TextEncoder().encode("cd")))
        )
      ).pipe(Effect.flatMap((r) => r.text), untraced, Effect.provideService(UndiciHttpClient.RequestAbort, owner))
      expect(text).toBe("abcd")
      expect(handles).toHaveLength(1)
    }).pipe(Effect.provide(UndiciHttpClient.layer)))
})

describe("UndiciHttpClient: both paths send the same request", () => {
  const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,11}$/)
  // Printable ASCII values without surrounding spaces (a header value as any client sends it).
  const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,18}[!-~])?$/)
  const text = fc.string({ unit: "grapheme", maxLength: 30 })
  const arbitraryRequest = fc.record({
    method: fc.constantFrom<"GET" | "POST" | "PUT" | "PATCH" | "DELETE">("GET", "POST", "PUT", "PATCH", "DELETE"),
    segments: fc.array(text, { minLength: 1, maxLength: 3 }),
    urlParams: fc.array(fc.tuple(token, text), { maxLength: 3 }),
    hash: fc.option(token, { nil: undefined }),
    headers: fc.dictionary(token.filter((name) => !["host", "connection", "content-length", "transfer-encoding", "keep-alive", "upgrade", "expect", "te"].includes(name)), headerValue, { maxKeys: 3 }),
    body: fc.option(text, { nil: undefined })
  })

  it.scoped("a request under RequestAbort and the same request on the platform's path reach the server alike", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: "{}" }))
      const http = yield* client
      const owner = { onRequest: () => {} }
      const context = yield* Effect.context<never>()
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(arbitraryRequest, (r) => {
            const base = HttpClientRequest.make(r.method)(`${server.origin}/${r.segments.map(encodeURIComponent).join("/")}`, {
              urlParams: r.urlParams,
              headers: r.headers,
              ...(r.hash === undefined ? {} : { hash: r.hash })
            })
            const request = r.body === undefined || r.method === "GET" ? base : HttpClientRequest.bodyText(base, r.body)
            const send = Effect.flatMap(http.execute(request), (response) => response.text)
            return Effect.runPromise(Effect.gen(function*() {
              const before = server.requests.length
              // The platform's path: no `RequestAbort`, its span off.
              yield* Effect.locally(send, HttpClient.currentTracerDisabledWhen, () => true)
              // The path without an `AbortController`.
              yield* send.pipe(Effect.provideService(UndiciHttpClient.RequestAbort, owner), Effect.locally(HttpClient.currentTracerDisabledWhen, () => true))
              const [platform, lean] = server.requests.slice(before)
              expect(lean).toEqual(platform)
            }).pipe(Effect.provide(context)))
          }),
          { numRuns: 60 }
        )
      )
    }).pipe(Effect.provide(UndiciHttpClient.layer)))
})

describe("UndiciHttpClient: a dispatcher that throws", () => {
  // A `Dispatcher` whose `request` throws instead of rejecting: the platform's path catches it
  // (`Effect.tryPromise`) as a `RequestError`; the path under `RequestAbort` must too.
  const throwing = {
    request: () => {
      throw new Error("refused")
    }
  } as unknown as Parameters<typeof UndiciHttpClient.make>[0]
  const get = UndiciHttpClient.make(throwing).get("http://127.0.0.1:1/x")

  it.effect("a synchronous throw is a RequestError (Transport), not a defect: the platform's path", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(get)).toMatchObject({ _tag: "RequestError", reason: "Transport" })
    }))
  it.effect("a synchronous throw is a RequestError (Transport), not a defect: under RequestAbort", () =>
    Effect.gen(function*() {
      const error = yield* get.pipe(
        Effect.provideService(UndiciHttpClient.RequestAbort, { onRequest: () => {} }),
        Effect.locally(HttpClient.currentTracerDisabledWhen, () => true),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "RequestError", reason: "Transport" })
    }))
})
