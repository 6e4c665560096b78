/**
 * An optional `HttpClient` on undici: `NodeHttpClient.layerUndici` with one change, the way a
 * response body is read.
 *
 * `layerUndici` turns each body read into `Effect.tryPromise(...).pipe(Effect.cached,
 * Effect.runSync)`: a fiber, a `Deferred`, a `Ref` and a FiberRefs diff per response, before the
 * body is even read. Here the body's promise is memoised on the response and awaited with one
 * `Effect.async`: the same once-only read, the same errors, without a fiber per response
 * (BENCHMARKS.md gives the measured gain). Everything else is the platform's: the client is built
 * with `HttpClient.make`, so requests get the platform's `AbortSignal` (interruption and a closed
 * request scope abort the request), its spans when a tracer is on, its URL building, and the
 * same undici `Dispatcher` and request options (`NodeHttpClient.Dispatcher`,
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
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"

/** The key of `NodeHttpClient.UndiciRequestOptions`, read from the fiber's context as the platform does. */
const undiciOptionsKey = NodeHttpClient.UndiciRequestOptions.key

const convertBody = (
  body: Body.HttpBody
): Effect.Effect<Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>> => {
  switch (body._tag) {
    case "Empty":
      return Effect.succeed(null)
    case "Uint8Array":
    case "Raw":
      return Effect.succeed(body.body as Uint8Array)
    case "FormData":
      return Effect.succeed(body.formData as Undici.FormData)
    case "Stream":
      return NodeStream.toReadable(body.stream)
  }
}

const noopErrorHandler = (_: unknown) => {}

/**
 * Awaits a memoised body promise: one `Effect.async`, no fiber, no `Deferred`. A failure becomes
 * the same `ResponseError` (reason `Decode`) as the platform's.
 */
const awaitBody = <A>(response: UndiciResponse, read: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> =>
  Effect.async<A, HttpClientError.ResponseError>((resume) => {
    read().then(
      (value) => resume(Effect.succeed(value)),
      (cause) =>
        resume(Effect.fail(new HttpClientError.ResponseError({ request: response.request, response, reason: "Decode", cause })))
    )
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
 * The client on an undici `Dispatcher` (e.g. an `Agent`), built with `HttpClient.make` like
 * `NodeHttpClient.makeUndici`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal, fiber) => {
    const options: Undici.Dispatcher.RequestOptions | undefined = fiber.getFiberRef(FiberRef.currentContext).unsafeMap.get(
      undiciOptionsKey
    )
    return Effect.flatMap(convertBody(request.body), (body) =>
      Effect.map(
        Effect.tryPromise({
          try: () =>
            dispatcher.request({
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
            }),
          catch: (cause) => new HttpClientError.RequestError({ request, reason: "Transport", cause })
        }),
        (response) => new UndiciResponse(request, response)
      ))
  })

/**
 * The client on the `NodeHttpClient.Dispatcher` in context (share one `Agent` with other clients).
 *
 * @since 0.1.0
 * @category layers
 */
export const layerWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> = HttpClient
  .layerMergedContext(Effect.map(NodeHttpClient.Dispatcher, make))

/**
 * The client on an undici `Agent` of its own, closed with the layer: a drop-in replacement for
 * `NodeHttpClient.layerUndici`.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.provide(layerWithoutDispatcher, NodeHttpClient.dispatcherLayer)
