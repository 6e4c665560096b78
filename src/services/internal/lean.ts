/**
 * A lean `HttpApiClient.group`: the same client, typed the same, derived from the same `HttpApi`
 * declaration, with everything that does not depend on the call done once, when the group is
 * built.
 *
 * Why our own: `HttpApiClient`'s per-call work (a generator, a `Context.merge` of the build
 * context into every call, a request object per part set, a `new TextDecoder()` and the
 * ArrayBuffer → string → JSON → schema composition decoded through `Effect` per response) was
 * 150-300 µs of the library's cost per call, against a bare `HttpClient` request + `.json` +
 * decode (BENCHMARKS.md, "The lean client"). Here each endpoint's method, URL template, encoders
 * and per-status decoders are read from `HttpApi.reflect` and compiled once; a call encodes its
 * parts (synchronously when the schemas are), builds one request, executes it through the
 * given `HttpClient`, and decodes the body with the precompiled decoder of its status.
 *
 * What it keeps of `HttpApiClient` (0.97), on purpose, so that callers see no difference:
 * - a declared success status decodes its schema (`HttpApiSchema` encodings Json, Text and
 *   UrlParams; an empty Json body is `undefined`, as `parseJsonOrVoid` reads it); a success
 *   without a schema (`Void`, `HttpApiSchema.Empty`) is `void`, and its body is not read;
 * - a declared error status decodes its schema(s) and fails with the value; one without a
 *   schema fails with a `ResponseError` "StatusCode", unread;
 * - any other status fails with a `ResponseError` "Decode" (no cause), unread;
 * - a body that does not match fails with a `ParseError`, a JSON body that does not parse with
 *   a `ParseError` "Could not parse JSON"; a request part that does not encode with a
 *   `ParseError` before anything is sent; transport failures are the `HttpClient`'s errors;
 * - payloads: JSON (`HttpBody.text`, the encoding's content type), UrlParams (form-urlencoded),
 *   Text, `Uint8Array`, a `FormData` instance as is; on methods without a body, the payload
 *   goes into the URL parameters;
 * - `withResponse: true` answers `[value, response]`.
 *
 * An endpoint this does not cover (middleware, a payload with several encodings, a response
 * with several encodings or a `Uint8Array` body) gets `HttpApiClient.endpoint` instead, so the
 * declaration may grow without this file.
 *
 * @internal
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import type * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import type * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpMethod from "@effect/platform/HttpMethod"
import * as UrlParams from "@effect/platform/UrlParams"
import type * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as AST from "effect/SchemaAST"

/** A compiled encoder or decoder: an `Either` when the schema is synchronous. */
type Parser = (input: unknown) => Effect.Effect<any, ParseResult.ParseError>

const toParseError = (issue: ParseResult.ParseIssue) => ParseResult.parseError(issue)

const compile = (parse: (u: unknown) => Effect.Effect<any, ParseResult.ParseIssue>): Parser => (input) => {
  const result = parse(input) as Effect.Effect<any, ParseResult.ParseIssue> | Either.Either<any, ParseResult.ParseIssue>
  if (Either.isEither(result)) {
    return Either.isLeft(result) ? Either.left(toParseError(result.left)) : result as Either.Either<any, never>
  }
  return Effect.mapError(result, toParseError)
}

const encoder = (schema: Schema.Schema.Any): Parser => compile(ParseResult.encodeUnknown(schema as Schema.Schema<any>))
/**
 * The decoder of a body's value. The members of a union are each behind a transformation, as
 * `HttpApiClient` composes each with its own JSON step: a union is then tried member by member
 * in the same order, with the same issues when none matches.
 */
const decoder = (ast: AST.AST): Parser =>
  compile(ParseResult.decodeUnknown(
    ast._tag === "Union"
      ? Schema.Union(...ast.types.map((member) => Schema.compose(Schema.Unknown, Schema.make(member))))
      : Schema.make(ast)
  ))

/** How a response of one status is read: not at all (`void` / an unread failure), or decoded. */
type Reader =
  | { readonly _tag: "Void" }
  | { readonly _tag: "StatusCode" }
  | { readonly _tag: "Decode"; readonly isError: boolean; readonly decode: (text: string) => Effect.Effect<any, ParseResult.ParseError> }

/** The one encoding of `ast` (each member of a union), or `undefined` when they differ. */
const oneEncoding = (ast: AST.AST, fallback?: HttpApiSchema.Encoding): HttpApiSchema.Encoding | undefined => {
  const encoding = HttpApiSchema.getEncoding(ast, fallback)
  if (ast._tag !== "Union") return encoding
  let kind: HttpApiSchema.Encoding | undefined
  for (const member of ast.types) {
    const own = oneEncoding(member, encoding)
    if (own === undefined || (kind !== undefined && own.kind !== kind.kind)) return undefined
    kind = own
  }
  return kind
}

/**
 * `HttpApiClient`'s JSON step (`parseJsonOrVoid`), run only for a body that `JSON.parse` refused,
 * so that the error is the one it gives.
 */
const parseJsonOrVoid = Schema.transformOrFail(Schema.String, Schema.Unknown, {
  strict: true,
  decode: (i, _, ast) =>
    i === ""
      ? ParseResult.succeed(undefined)
      : ParseResult.try({ try: () => JSON.parse(i), catch: () => new ParseResult.Type(ast, i, "Could not parse JSON") }),
  encode: (a) => ParseResult.succeed(JSON.stringify(a))
})

/** `HttpApiClient`'s own decoding of a JSON body (each union member with its JSON step). */
const exactJson = (ast: AST.AST): Parser =>
  compile(ParseResult.decodeUnknown(
    ast._tag === "Union"
      ? Schema.Union(...ast.types.map((member) => Schema.compose(parseJsonOrVoid, Schema.make(member))))
      : Schema.compose(parseJsonOrVoid, Schema.make(ast))
  ))

/** The decoder of one status's body text, or `undefined` when this client does not cover it. */
const bodyDecoder = (ast: AST.AST): ((text: string) => Effect.Effect<any, ParseResult.ParseError>) | undefined => {
  const encoding = oneEncoding(ast)
  if (encoding === undefined) return undefined
  switch (encoding.kind) {
    case "Json": {
      const decode = decoder(ast)
      const notJson = exactJson(ast)
      return (text) => {
        if (text === "") return decode(undefined)
        let json: unknown
        try {
          json = JSON.parse(text)
        } catch {
          // Not JSON: the error `HttpApiClient` gives (a rare path; it parses again).
          return notJson(text)
        }
        return decode(json)
      }
    }
    case "Text":
      return decoder(ast)
    case "UrlParams":
      return compile(ParseResult.decodeUnknown(UrlParams.schemaParse(Schema.make(ast) as any) as Schema.Schema<any, string>))
    case "Uint8Array":
      return undefined
  }
}

const readerOf = (
  ast: AST.AST | undefined,
  isError: boolean
): Reader | undefined => {
  if (ast === undefined) return isError ? { _tag: "StatusCode" } : { _tag: "Void" }
  const decode = bodyDecoder(ast)
  return decode === undefined ? undefined : { _tag: "Decode", isError, decode }
}

/** The request body of an encoded payload, by its encoding. */
const bodyOf = (encoding: HttpApiSchema.Encoding) => (encoded: unknown): Either.Either<HttpBody.HttpBody, ParseResult.ParseError> => {
  switch (encoding.kind) {
    case "Json":
      try {
        return Either.right(HttpBody.text(JSON.stringify(encoded), encoding.contentType))
      } catch {
        return Either.left(ParseResult.parseError(new ParseResult.Type(Schema.Unknown.ast, encoded, "Could not encode as JSON")))
      }
    case "Text":
      return typeof encoded === "string"
        ? Either.right(HttpBody.text(encoded, encoding.contentType))
        : Either.left(ParseResult.parseError(new ParseResult.Type(Schema.String.ast, encoded, "Expected a string")))
    case "UrlParams":
      return Either.right(HttpBody.urlParams(UrlParams.fromInput(encoded as UrlParams.Input)))
    case "Uint8Array":
      return encoded instanceof Uint8Array
        ? Either.right(HttpBody.uint8Array(encoded, encoding.contentType))
        : Either.left(ParseResult.parseError(new ParseResult.Type(Schema.Uint8ArrayFromSelf.ast, encoded, "Expected a Uint8Array")))
  }
}

const paramsRegex = /:(\w+)\??/g

/** The URL of a path template with its (encoded) parameters, as `HttpApiClient` builds it. */
const compileUrl = (prefix: string, path: string): (params: Record<string, string> | undefined) => string => {
  const segments = path.split(paramsRegex)
  if (segments.length === 1) {
    const url = prefix + path
    return () => url
  }
  return (params) => {
    // Without path parameters, `HttpApiClient` sends the template as it is.
    if (params === undefined) return prefix + path
    let url = prefix + segments[0]
    for (let i = 1; i < segments.length; i++) url += i % 2 === 0 ? segments[i] : params?.[segments[i]!]
    return url
  }
}

/** `flatMap` that stays an `Either` when its input is one. */
const andThen = <A, B>(
  self: Effect.Effect<A, ParseResult.ParseError>,
  f: (a: A) => Either.Either<B, ParseResult.ParseError>
): Effect.Effect<B, ParseResult.ParseError> => {
  const either = self as Effect.Effect<A, ParseResult.ParseError> | Either.Either<A, ParseResult.ParseError>
  return Either.isEither(either) ? Either.flatMap(either, f) : Effect.flatMap(either, f)
}

/**
 * The body text without a leading UTF-8 byte order mark. `HttpApiClient` decodes the body's bytes
 * with a `TextDecoder`, which drops it; undici's and fetch's `text` drop it too, but node:http's
 * (`NodeHttpClient.layer`) keeps it, and `JSON.parse` then refuses the body.
 */
const withoutBom = (text: string): string => text.charCodeAt(0) === 0xfeff ? text.slice(1) : text

const undeclared = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.fail(new HttpClientError.ResponseError({ reason: "Decode", request: response.request, response }))

const statusCode = (response: HttpClientResponse.HttpClientResponse) =>
  Effect.fail(new HttpClientError.ResponseError({ reason: "StatusCode", request: response.request, response }))

export interface Options<E, R> {
  readonly group: string
  readonly httpClient: HttpClient.HttpClient.With<E, R>
  /** Prepended to every endpoint's path (the origin of the configured base URL). */
  readonly baseUrl?: string | undefined
  /** Headers every request starts with (before the endpoint's own). */
  readonly headers?: Record<string, string> | undefined
  /**
   * Called with each response, before its body is read, with the calling fiber's context
   * (where `call.ts` finds the attempt to record the status into).
   */
  readonly onResponse?: ((response: HttpClientResponse.HttpClientResponse, context: Context.Context<never>) => void) | undefined
}

interface Request {
  readonly path?: unknown
  readonly urlParams?: unknown
  readonly payload?: unknown
  readonly headers?: unknown
  readonly withResponse?: boolean
}

/**
 * The client of one group of `api`, typed as `HttpApiClient.group`'s. Groups with middleware
 * are not covered (ours have none): their endpoints fall back to `HttpApiClient.endpoint`.
 */
export const group = <
  ApiId extends string,
  Groups extends HttpApiGroup.HttpApiGroup.Any,
  ApiError,
  ApiR,
  const GroupName extends HttpApiGroup.HttpApiGroup.Name<Groups>,
  E,
  R
>(
  api: HttpApi.HttpApi<ApiId, Groups, ApiError, ApiR>,
  options: Options<E, R> & { readonly group: GroupName }
): Effect.Effect<HttpApiClient.Client.Group<Groups, GroupName, ApiError | E, R>> =>
  Effect.suspend(() => {
    const client: Record<string, (request: Request) => Effect.Effect<any, any, any>> = {}
    const fallbacks: Array<Effect.Effect<void>> = []
    const { httpClient, onResponse } = options
    const prefix = options.baseUrl ?? ""
    const startHeaders = options.headers ?? {}
    HttpApi.reflect(api as any, {
      predicate: ({ group }) => group.identifier === options.group,
      onGroup: () => {},
      onEndpoint: ({ endpoint, errors, middleware, payloads, successes }) => {
        const readers = new Map<number, Reader>()
        let covered = middleware.size === 0 && payloads.size <= 1
        errors.forEach(({ ast }, status) => {
          const reader = readerOf(ast._tag === "Some" ? ast.value : undefined, true)
          if (reader === undefined) covered = false
          else readers.set(status, reader)
        })
        successes.forEach(({ ast }, status) => {
          const reader = readerOf(ast._tag === "Some" ? ast.value : undefined, false)
          if (reader === undefined) covered = false
          else readers.set(status, reader)
        })
        if (!covered) {
          fallbacks.push(Effect.map(
            HttpApiClient.endpoint(api as any, {
              group: options.group as never,
              endpoint: endpoint.name as never,
              httpClient: forFallback(httpClient, startHeaders, onResponse),
              baseUrl: prefix
            }) as Effect.Effect<any>,
            (fn) => {
              client[endpoint.name] = fn
            }
          ))
          return
        }
        client[endpoint.name] = makeEndpoint(endpoint as unknown as HttpApiEndpoint.HttpApiEndpoint.AnyWithProps, readers, payloads, prefix, startHeaders, httpClient, onResponse)
      }
    })
    return Effect.as(Effect.all(fallbacks, { discard: true }), client as any)
  })

/**
 * The given `HttpClient` as the lean client would use it, for the endpoints left to
 * `HttpApiClient`: the start headers under the endpoint's own, and `onResponse`.
 */
const forFallback = <E, R>(
  httpClient: HttpClient.HttpClient.With<E, R>,
  startHeaders: Record<string, string>,
  onResponse: Options<E, R>["onResponse"]
): HttpClient.HttpClient.With<E, R> => {
  const withHeaders = HttpClient.mapRequest(
    httpClient,
    (request) => HttpClientRequest.setHeaders(request, { ...startHeaders, ...request.headers })
  )
  return onResponse === undefined ? withHeaders : HttpClient.tap(withHeaders, (response) =>
    Effect.contextWith((context: Context.Context<never>) => {
      onResponse(response, context)
    }))
}

const makeEndpoint = (
  endpoint: HttpApiEndpoint.HttpApiEndpoint.AnyWithProps,
  readers: ReadonlyMap<number, Reader>,
  payloads: ReadonlyMap<string, { readonly encoding: HttpApiSchema.Encoding; readonly ast: AST.AST }>,
  prefix: string,
  startHeaders: Record<string, string>,
  httpClient: HttpClient.HttpClient.With<any, any>,
  onResponse: Options<any, any>["onResponse"]
) => {
  const method = endpoint.method as HttpMethod.HttpMethod
  const makeUrl = compileUrl(prefix, endpoint.path)
  const encodePath = endpoint.pathSchema._tag === "Some" ? encoder(endpoint.pathSchema.value) : undefined
  const encodeUrlParams = endpoint.urlParamsSchema._tag === "Some" ? encoder(endpoint.urlParamsSchema.value) : undefined
  const encodeHeaders = endpoint.headersSchema._tag === "Some" ? encoder(endpoint.headersSchema.value) : undefined
  const hasBody = HttpMethod.hasBody(method)
  const payload = endpoint.payloadSchema._tag === "Some" ? endpoint.payloadSchema.value : undefined
  const encodePayload = payload === undefined ? undefined : encoder(payload)
  const payloadEncoding = [...payloads.values()][0]?.encoding ?? HttpApiSchema.getEncoding(payload?.ast ?? Schema.Unknown.ast)
  const toBody = bodyOf(payloadEncoding)

  const decode = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<any, any> => {
    const reader = readers.get(response.status)
    if (reader === undefined) return undeclared(response)
    switch (reader._tag) {
      case "Void":
        return Effect.void
      case "StatusCode":
        return statusCode(response)
      case "Decode":
        return Effect.flatMap(response.text, (text) => {
          const value = reader.decode(withoutBom(text))
          return reader.isError ? Effect.flatMap(value, Effect.fail) : value
        })
    }
  }

  /** Builds the request from the encoded parts: one `HttpClientRequest`. */
  const build = (
    path: Record<string, string> | undefined,
    urlParams: UrlParams.Input | undefined,
    headers: Record<string, string> | undefined,
    body: HttpBody.HttpBody | undefined,
    queryPayload: UrlParams.Input | undefined
  ) => {
    let request = HttpClientRequest.make(method as "POST")(makeUrl(path), {
      headers: headers === undefined ? startHeaders : { ...startHeaders, ...headers },
      ...(body === undefined ? {} : { body })
    })
    if (queryPayload !== undefined) request = HttpClientRequest.setUrlParams(request, queryPayload)
    if (urlParams !== undefined) request = HttpClientRequest.appendUrlParams(request, urlParams)
    return request
  }

  const send = (request: Request | undefined, httpRequest: HttpClientRequest.HttpClientRequest) =>
    Effect.flatMap(httpClient.execute(httpRequest), (response) => {
      const decoded = onResponse === undefined
        ? decode(response)
        : Effect.withFiberRuntime<any, any>((fiber) => {
          onResponse(response, fiber.currentContext)
          return decode(response)
        })
      return request?.withResponse === true ? Effect.map(decoded, (value) => [value, response]) : decoded
    })

  return (request: Request | undefined): Effect.Effect<any, any, any> => {
    // Each part is encoded by its precompiled encoder; with synchronous schemas (all of ours)
    // each answer is an `Either`, read here without a fiber step.
    const parts: Array<Effect.Effect<any, ParseResult.ParseError>> = [
      request?.path && encodePath !== undefined ? encodePath(request.path) : Either.right(request?.path || undefined),
      encodeUrlParams === undefined ? Either.right(undefined) : encodeUrlParams(request?.urlParams),
      encodeHeaders === undefined ? Either.right(undefined) : encodeHeaders(request?.headers),
      request?.payload instanceof FormData
        ? Either.right(HttpBody.formData(request.payload))
        : encodePayload === undefined
        ? Either.right(undefined)
        : hasBody
        ? andThen(encodePayload(request?.payload), toBody)
        : encodePayload(request?.payload)
    ]
    const withParts = ([path, urlParams, headers, last]: Array<any>) => {
      const body = hasBody || request?.payload instanceof FormData ? last : undefined
      const query = hasBody || request?.payload instanceof FormData ? undefined : last
      return send(request, build(path, urlParams, headers, body, query))
    }
    if (parts.every(Either.isEither)) {
      const values: Array<unknown> = []
      for (const part of parts as Array<Either.Either<unknown, ParseResult.ParseError>>) {
        if (Either.isLeft(part)) return part
        values.push(part.right)
      }
      return withParts(values)
    }
    return Effect.flatMap(Effect.all(parts), withParts)
  }
}
