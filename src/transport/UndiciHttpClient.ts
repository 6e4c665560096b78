/**
 * An optional `HttpClient` on undici: `NodeHttpClient.layerUndici` with two changes, both measured
 * (BENCHMARKS.md, "UndiciHttpClient: the transport of this round" and "The abort without an
 * `AbortController`").
 *
 * - **Body reads.** `layerUndici` turns each body read into `Effect.tryPromise(...).pipe(
 *   Effect.cached, Effect.runSync)`: a fiber, a `Deferred`, a `Ref` and a FiberRefs diff per
 *   response, before the body is even read. Here the body's promise is memoised on the response
 *   and awaited with one `Effect.async`: the same once-only read, the same errors, without a
 *   fiber per response.
 * - **An abort without an `AbortController`**, for requests that run under {@link RequestAbort}
 *   and that no tracer records: the request gets an abort handle that undici accepts as its
 *   `signal` (its documented `EventEmitter` form), handed to the `RequestAbort` in context, and
 *   aborted when the request's fiber is interrupted. Nothing else aborts it: not the scope of
 *   `HttpClient.withScope` (its `AbortController` never reaches undici), and not the platform's
 *   `FinalizationRegistry` when a response whose body was never read is garbage-collected. An
 *   `AbortController`, its `EventTarget` listener and the `HttpClient.withScope` bookkeeping
 *   around it cost 13 µs of CPU per call at concurrency 64 and 27 µs at 1 on a loopback socket
 *   (`bench/transport.ts`, BENCHMARKS.md). This is how the package's own services call.
 *
 * Every other request takes the platform's path unchanged: the client is built with
 * `HttpClient.make`, so requests get the platform's `AbortSignal` (interruption and a
 * `HttpClient.withScope` scope abort the request), its spans when a tracer is on, its URL
 * building, and the same undici `Dispatcher` and request options (`NodeHttpClient.Dispatcher`,
 * `NodeHttpClient.UndiciRequestOptions`).
 *
 * ```ts
 * import * as UndiciHttpClient from "effect-glowmarkt/UndiciHttpClient"
 * Glowmarkt.layer.pipe(Layer.provide(config), Layer.provide(UndiciHttpClient.layer))
 * ```
 *
 * Any other `HttpClient` works as well; this one is only cheaper per call.
 *
 * @since 0.1.0
 */
import type * as Cookies from "@effect/platform/Cookies"
import * as CookiesModule from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as Body from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"

/** The key of `NodeHttpClient.UndiciRequestOptions`, read from the fiber's context as the platform does. */
const undiciOptionsKey = NodeHttpClient.UndiciRequestOptions.key

type RequestBody = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

/** A body as undici takes it, when it is not a stream. */
const plainBody = (body: Exclude<Body.HttpBody, Body.Stream>): RequestBody => {
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
    case "Raw":
      return body.body as Uint8Array
    case "FormData":
      return body.formData as Undici.FormData
  }
}

const convertBody = (body: Body.HttpBody): Effect.Effect<RequestBody> =>
  body._tag === "Stream" ? NodeStream.toReadable(body.stream) : Effect.succeed(plainBody(body))

const noopErrorHandler = (_: unknown) => {}

/**
 * Awaits a memoised body promise: one `Effect.async`, no fiber, no `Deferred`. A failure becomes
 * the same `ResponseError` (reason `Decode`) as the platform's. Interrupting the read destroys
 * the body, which aborts the request (the platform's responses abort their request then too).
 */
const awaitBody = <A>(response: UndiciResponse, read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> =>
  Effect.async<A, HttpClientError.ResponseError>((resume) => {
    read().then(
      (value) => resume(Effect.succeed(value)),
      (cause) =>
        resume(Effect.fail(new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })))
    )
    return Effect.sync(() => {
      response.source.body.destroy()
    })
  })

/** A response on an undici `ResponseData`; each body is read at most once, on first use. */
class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData
  ) {
    super()
    this[HttpIncomingMessage.TypeId] = HttpIncomingMessage.TypeId
    this[HttpClientResponse.TypeId] = HttpClientResponse.TypeId
    source.body.on("error", noopErrorHandler)
  }

  get status() {
    return this.source.statusCode
  }

  private cachedCookies?: Cookies.Cookies
  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.source.headers["set-cookie"]
    return this.cachedCookies = header === undefined
      ? CookiesModule.empty
      : CookiesModule.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get headers(): Headers.Headers {
    return Headers.fromInput(this.source.headers as Headers.Input)
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => this.source.body, (cause) =>
      new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause }))
  }

  private textPromise?: Promise<string>
  private readText = () => this.textPromise ??= this.source.body.text()
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return awaitBody(this, this.readText)
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.tryMap(this.text, {
      try: (text) => text === "" ? null : JSON.parse(text) as unknown,
      catch: (cause) => new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
    })
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
      }))
  }

  private formDataPromise?: Promise<FormData>
  private readFormData = () => this.formDataPromise ??= this.source.body.formData() as Promise<FormData>
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return awaitBody(this, this.readFormData)
  }

  private arrayBufferPromise?: Promise<ArrayBuffer>
  private readArrayBuffer = () => this.arrayBufferPromise ??= this.source.body.arrayBuffer()
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return awaitBody(this, this.readArrayBuffer)
  }

  override toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * Where a request made under it hands its abort: a caller that runs requests under a deadline of
 * its own provides it, and calls the handle's `abort` when the deadline passes. No
 * `AbortController` is made for such a request (the module's docs give the measured cost).
 *
 * Honoured for a request that no tracer records (`FiberRef.currentTracerEnabled` off, or
 * `HttpClient.currentTracerDisabledWhen` true for it): a traced request takes the platform's path,
 * where only interruption and `HttpClient.withScope` abort it, and its owner is never called. Each
 * request made under it hands over its own handle; interrupting the request's fiber aborts it as
 * well. `HttpClient.withScope` does not: closing its scope leaves such a request running, so a
 * caller that closes a scope to abort must abort the handles it was given too.
 *
 * @since 0.1.0
 * @category tags
 */
export class RequestAbort extends Context.Tag("effect-glowmarkt/UndiciHttpClient/RequestAbort")<RequestAbort, AbortOwner>() {}

/**
 * What takes the abort of each request made under {@link RequestAbort}: `onRequest` is called
 * once per request, synchronously on the request's fiber, before the request is sent. It must not
 * throw (a throw is a defect of the request). Keeping a handle keeps only the handle and, until
 * the request ends, undici's listener on it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AbortOwner {
  readonly onRequest: (handle: AbortHandle) => void
}

/**
 * One request's abort. Aborting it fails the request with a `RequestError` (reason `Transport`,
 * undici's `RequestAbortedError` as its cause), or, once its response has arrived, the read of
 * its body with a `ResponseError` (reason `Decode`), and closes its connection. Aborting it after
 * the request has ended (failed, or its body read to the end) does nothing.
 *
 * @since 0.1.0
 * @category models
 */
export interface AbortHandle {
  readonly abort: () => void
}

/**
 * What undici takes as a request's `signal` besides an `AbortSignal`: its documented
 * `EventEmitter` form (`aborted`, `reason`, `once` / `on` and `removeListener` of `"abort"`). undici
 * registers one listener per request and removes it when the request ends.
 */
class EmitterAbort implements AbortHandle {
  aborted = false
  reason: unknown = undefined
  private listener: (() => void) | undefined = undefined
  on(_event: "abort", listener: () => void): this {
    this.listener = listener
    return this
  }
  once(event: "abort", listener: () => void): this {
    return this.on(event, listener)
  }
  removeListener(_event: "abort", listener: () => void): this {
    if (this.listener === listener) this.listener = undefined
    return this
  }
  readonly abort = (): void => {
    if (this.aborted) return
    this.aborted = true
    const listener = this.listener
    this.listener = undefined
    listener?.()
  }
}

/** undici's options for one request (the caller's `UndiciRequestOptions` under ours). */
const requestOptions = (
  options: Undici.Dispatcher.RequestOptions | undefined,
  request: HttpClientRequest.HttpClientRequest,
  url: URL,
  signal: Undici.Dispatcher.RequestOptions["signal"],
  body: RequestBody
): Undici.Dispatcher.RequestOptions => ({
  ...options,
  signal,
  method: request.method,
  headers: request.headers,
  origin: url.origin,
  path: url.pathname + url.search + url.hash,
  body,
  // Timeouts are left to Effect, as the platform does.
  headersTimeout: 60 * 60 * 1000,
  bodyTimeout: 0
})

const transportError = (request: HttpClientRequest.HttpClientRequest) => (cause: unknown) =>
  new HttpClientError.RequestError({ request, reason: "Transport", cause })

const optionsOf = (context: Context.Context<never>): Undici.Dispatcher.RequestOptions | undefined =>
  context.unsafeMap.get(undiciOptionsKey)

/**
 * The client on an undici `Dispatcher` (e.g. an `Agent`). Built with `HttpClient.make`, like
 * `NodeHttpClient.makeUndici`; a request under {@link RequestAbort} that no tracer records is
 * sent without the platform's `AbortController`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient => makeIn(dispatcher, Context.empty())

/** Marks this module's clients: see {@link honoursRequestAbort}. */
const honours = Symbol.for("effect-glowmarkt/UndiciHttpClient/honoursRequestAbort")

/**
 * Whether a client is this module's own, as `make` or the layers return it, and so honours
 * {@link RequestAbort}. A client derived from it (`HttpClient.mapRequest`, `HttpClient.retry`, ...)
 * is another client, and `false`: give its requests an `HttpClient.withScope` to abort them.
 *
 * @since 0.1.0
 * @category guards
 */
export const honoursRequestAbort = (client: HttpClient.HttpClient): boolean => honours in client

/**
 * The client, with `built` (the context its layer was built in) under each request's context, as
 * `HttpClient.layerMergedContext` does, without a layer of `transformResponse` around it.
 */
const makeIn = (dispatcher: Undici.Dispatcher, built: Context.Context<never>): HttpClient.HttpClient => {
  const merged = built.unsafeMap.size > 0
  const inner = HttpClient.make((request, url, signal, fiber) =>
    Effect.flatMap(convertBody(request.body), (body) =>
      Effect.map(
        Effect.tryPromise({
          try: () => dispatcher.request(requestOptions(optionsOf(fiber.getFiberRef(FiberRef.currentContext)), request, url, signal, body)),
          catch: transportError(request)
        }),
        (response) => new UndiciResponse(request, response)
      ))
  )
  const platform = (request: HttpClientRequest.HttpClientRequest) =>
    merged ? Effect.mapInputContext(inner.execute(request), (input: Context.Context<never>) => Context.merge(built, input)) : inner.execute(request)
  const send = (
    request: HttpClientRequest.HttpClientRequest,
    url: URL,
    context: Context.Context<never>,
    owner: AbortOwner,
    body: RequestBody
  ) =>
    Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
      const abort = new EmitterAbort()
      owner.onRequest(abort)
      const options = optionsOf(context) ?? (merged ? optionsOf(built) : undefined)
      const failed = (cause: unknown) => resume(Effect.fail(transportError(request)(cause)))
      try {
        dispatcher.request(requestOptions(options, request, url, abort, body)).then(
          (response) => resume(Effect.succeed(new UndiciResponse(request, response))),
          failed
        )
      } catch (cause) {
        // A dispatcher whose `request` throws: a `RequestError`, as `Effect.tryPromise` makes it
        // on the platform's path.
        failed(cause)
      }
      return Effect.sync(abort.abort)
    })
  const client = HttpClient.makeWith<HttpClientError.HttpClientError, never, HttpClientError.HttpClientError, never>(
    (effect) =>
      Effect.flatMap(effect, (request) =>
        Effect.withFiberRuntime((fiber) => {
          const context = fiber.getFiberRef(FiberRef.currentContext)
          const owner: AbortOwner | undefined = context.unsafeMap.get(RequestAbort.key)
          const traced = fiber.getFiberRef(FiberRef.currentTracerEnabled) &&
            !fiber.getFiberRef(HttpClient.currentTracerDisabledWhen)(request)
          if (owner === undefined || traced) return platform(request)
          const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
          if (url._tag === "Left") {
            return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
          }
          const body = request.body
          return body._tag === "Stream"
            ? Effect.flatMap(convertBody(body), (converted) => send(request, url.right, context, owner, converted))
            : send(request, url.right, context, owner, plainBody(body))
        })),
    Effect.succeed
  )
  return Object.defineProperty(client, honours, { value: true })
}

/**
 * The client on the `NodeHttpClient.Dispatcher` in context (share one `Agent` with other clients).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Effect.context<NodeHttpClient.Dispatcher>(), (built) => makeIn(Context.get(built, NodeHttpClient.Dispatcher), built))
)

/**
 * The client on an undici `Agent` of its own, closed with the layer: a drop-in replacement for
 * `NodeHttpClient.layerUndici`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.provide(layerWithoutDispatcher, NodeHttpClient.dispatcherLayer)
