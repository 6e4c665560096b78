/**
 * A measuring device, not part of the library: the smallest `HttpClient` on undici that the
 * library runs on. It reads each body whole before it answers (fine for this API's small JSON
 * bodies), and skips what the platform's `NodeHttpClient.layerUndici` does per request for
 * streaming bodies (a `URL` and an `AbortController` per request, a `FinalizationRegistry` entry,
 * a cached text body run with `Effect.runSync`). The overhead benchmark runs the library on both,
 * to show how much of the library's cost is the transport; BENCHMARKS.md says why the library
 * still defaults to the platform's client.
 */
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Effect from "effect/Effect"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import { Agent, type Dispatcher } from "undici"

/** A response whose body has been read whole. */
class BufferedResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly status: number,
    private readonly rawHeaders: Record<string, string | Array<string> | undefined>,
    private readonly body: Buffer
  ) {
    super()
  }
  private cachedHeaders?: Headers.Headers
  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.rawHeaders as Headers.Input)
  }
  get cookies(): Cookies.Cookies {
    const header = this.rawHeaders["set-cookie"]
    return header === undefined ? Cookies.empty : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }
  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }
  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return Effect.succeed(this.body.toString("utf8"))
  }
  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.try({
      try: () => this.body.length === 0 ? null : JSON.parse(this.body.toString("utf8")) as unknown,
      catch: (cause) => new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
    })
  }
  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.succeed(UrlParams.fromInput(new URLSearchParams(this.body.toString("utf8"))))
  }
  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return Effect.fail(
      new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", description: "not supported" })
    )
  }
  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return Effect.sync(() =>
      this.body.buffer.slice(this.body.byteOffset, this.body.byteOffset + this.body.byteLength) as ArrayBuffer
    )
  }
  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return Stream.succeed(new Uint8Array(this.body))
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

const bodyOf = (request: HttpClientRequest.HttpClientRequest): string | Uint8Array | null => {
  const body = request.body
  switch (body._tag) {
    case "Empty":
      return null
    case "Uint8Array":
      return body.body
    case "Raw":
      return body.body as any
    default:
      throw new Error(`bench buffered client: a ${body._tag} body is not supported`)
  }
}

/** The client on a dispatcher. */
export const make = (dispatcher: Dispatcher): HttpClient.HttpClient =>
  HttpClient.makeWith(
    (requestEffect) =>
      Effect.flatMap(requestEffect, (request) => {
        const url = UrlParams.makeUrl(request.url, request.urlParams, request.hash)
        if (url._tag === "Left") {
          return Effect.fail(new HttpClientError.RequestError({ request, reason: "InvalidUrl", cause: url.left }))
        }
        return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume, signal) => {
          dispatcher.request({
            origin: url.right.origin,
            path: url.right.pathname + url.right.search,
            method: request.method,
            headers: request.headers,
            body: bodyOf(request),
            signal
          }).then(
            (res) =>
              res.body.arrayBuffer().then(
                (ab) => resume(Effect.succeed(new BufferedResponse(request, res.statusCode, res.headers, Buffer.from(ab)))),
                (cause) =>
                  resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
              ),
            (cause) => resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause })))
          )
        })
      }),
    Effect.succeed as HttpClient.HttpClient.Preprocess<never, never>
  )

/** The client on an `Agent` of its own, as `NodeHttpClient.layerUndici` makes. */
export const layer = Layer.scoped(
  HttpClient.HttpClient,
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Agent()), (agent) => Effect.promise(() => agent.destroy())),
    make
  )
)
