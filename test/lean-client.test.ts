/**
 * The lean client (`src/services/internal/lean.ts`) against `HttpApiClient.group`, the client it
 * replaces: for every endpoint of the declaration, inputs generated from its schemas, and every
 * kind of answer (a valid body, a body of the wrong shape, an empty body, text that is not JSON,
 * each declared error, an undeclared status), both send the same request and end the same way:
 * the same value, or the same error (class, status, reason, and the same parse issues).
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { ConsentBulkReq, MpxnElem } from "../src/schema/ConsentModels.js"
import { GlowmarktApi } from "../src/schema/GlowmarktApi.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Lean from "../src/services/internal/lean.js"
import * as Users from "../src/services/Users.js"
import { scripted, user } from "./support/scripted.js"

interface Sent {
  readonly method: string
  readonly url: string
  readonly urlParams: string
  readonly headers: Record<string, string>
  readonly body: string
}

const sentOf = (request: HttpClientRequest.HttpClientRequest): Sent => ({
  method: request.method,
  url: request.url,
  urlParams: JSON.stringify(request.urlParams),
  // Trace headers differ by span: the rest must not.
  headers: Object.fromEntries(Object.entries(request.headers).filter(([name]) => name !== "b3" && name !== "traceparent")),
  body: request.body._tag === "Uint8Array"
    ? new TextDecoder().decode(request.body.body)
    : request.body._tag === "Empty"
    ? ""
    : request.body._tag
})

interface Current {
  readonly answer: { readonly status: number; readonly body: string }
  readonly theirs: Array<HttpClientRequest.HttpClientRequest>
  readonly ours: Array<HttpClientRequest.HttpClientRequest>
}

/** A client that records each request (into `current[into]`) and answers `current.answer`. */
const answering = (current: Current, into: "theirs" | "ours") =>
  HttpClient.make((request) =>
    Effect.sync(() => {
      const answer = current.answer
      current[into].push(request)
      return HttpClientResponse.fromWeb(
        request,
        new Response(answer.status === 204 ? null : answer.body, { status: answer.status })
      )
    })
  )

/** What an exit says, in terms a caller can see. */
const outcome = (exit: Exit.Exit<unknown, unknown>): unknown => {
  if (Exit.isSuccess(exit)) return { success: exit.value }
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) return { defect: Cause.pretty(exit.cause) }
  const error = failure.value
  if (ParseResult.isParseError(error)) {
    return { parseError: ParseResult.ArrayFormatter.formatErrorSync(error).map((i) => [i._tag, i.path.join(".")]) }
  }
  if (HttpClientError.isHttpClientError(error)) {
    return {
      httpClientError: error._tag,
      reason: error.reason,
      status: error._tag === "ResponseError" ? error.response.status : undefined
    }
  }
  return { failure: error }
}

const sample = <A, I>(schema: Schema.Schema<A, I, never>, seed: number): A =>
  FastCheck.sample(Arbitrary.make(schema), { numRuns: 1, seed })[0]!

/** A valid wire body of `schema`, from a generated value. */
const validBody = (schema: Schema.Schema<any, any, never>, seed: number): string => {
  const value = Schema.encodeSync(schema)(sample(schema, seed))
  return typeof value === "string" ? value : JSON.stringify(value)
}

/**
 * Meter point numbers are a pattern that random strings almost never match (generation would
 * spin): those inputs are given.
 */
const mpxn = "1234567" as MpxnElem["mpxn"]
const given = (name: string): Record<string, unknown> =>
  name.endsWith("Bulk")
    ? { payload: new ConsentBulkReq({ meterPoints: [new MpxnElem({ mpxn }), new MpxnElem({ mpxn: "1200000000000" as MpxnElem["mpxn"] })] }) }
    : name.endsWith("MeterPointConsent")
    ? { path: { mpxn } }
    : {}

const endpoints: Array<{ readonly group: string; readonly endpoint: any }> = []
HttpApi.reflect(GlowmarktApi, {
  onGroup: () => {},
  onEndpoint: ({ endpoint, group }) => {
    endpoints.push({ group: group.identifier, endpoint })
  }
})

describe("the lean client does what HttpApiClient does", () => {
  it("covers every endpoint of the declaration", () => {
    expect(endpoints.length).toBe(43)
  })

  for (const { endpoint, group } of endpoints) {
    it.effect(`${group}.${endpoint.name}`, () =>
      Effect.gen(function*() {
        const seed = endpoint.name.length
        const request: Record<string, unknown> = {}
        const fixed = given(endpoint.name)
        if (Option.isSome(endpoint.pathSchema) && !("path" in fixed)) request.path = sample(endpoint.pathSchema.value, seed)
        if (Option.isSome(endpoint.urlParamsSchema)) request.urlParams = sample(endpoint.urlParamsSchema.value, seed)
        if (Option.isSome(endpoint.headersSchema)) request.headers = sample(endpoint.headersSchema.value, seed)
        if (Option.isSome(endpoint.payloadSchema) && !("payload" in fixed)) request.payload = sample(endpoint.payloadSchema.value, seed)
        Object.assign(request, fixed)
        const answers = [
          { status: 200, body: validBody(endpoint.successSchema, seed) },
          { status: 200, body: JSON.stringify({ unexpected: true }) },
          { status: 200, body: "" },
          { status: 200, body: "<html>not json</html>" },
          { status: 204, body: "" },
          { status: 400, body: JSON.stringify({ error: "missing elements" }) },
          { status: 400, body: JSON.stringify({ valid: false }) },
          { status: 400, body: JSON.stringify({ _tag: "HttpApiDecodeError", issues: [], message: "bad" }) },
          { status: 401, body: JSON.stringify({ valid: false }) },
          { status: 401, body: "Unauthorized" },
          { status: 404, body: "Not found" },
          { status: 404, body: "" },
          { status: 500, body: JSON.stringify({ error: "An error has occurred" }) },
          { status: 500, body: "oops" },
          { status: 502, body: "bad gateway" }
        ]
        const current = { answer: answers[0]!, theirs: [] as Array<HttpClientRequest.HttpClientRequest>, ours: [] as Array<HttpClientRequest.HttpClientRequest> }
        const reference = yield* HttpApiClient.group(GlowmarktApi, {
          group: group as any,
          httpClient: answering(current, "theirs"),
          baseUrl: "http://example.test"
        })
        const lean = yield* Lean.group(GlowmarktApi, {
          group: group as any,
          httpClient: answering(current, "ours"),
          baseUrl: "http://example.test"
        })
        for (const answer of answers) {
          const theirs: Array<HttpClientRequest.HttpClientRequest> = []
          const ours: Array<HttpClientRequest.HttpClientRequest> = []
          Object.assign(current, { answer, theirs, ours })
          const expected = yield* Effect.exit((reference as any)[endpoint.name](request) as Effect.Effect<unknown, unknown>)
          const actual = yield* Effect.exit((lean as any)[endpoint.name](request) as Effect.Effect<unknown, unknown>)
          const label = `${endpoint.name} answered ${answer.status} ${answer.body.slice(0, 40)}`
          expect(outcome(actual), label).toEqual(outcome(expected))
          expect(ours.map(sentOf), label).toEqual(theirs.map(sentOf))
        }
      }))
  }

  it.effect("with withResponse: the value and the response", () =>
    Effect.gen(function*() {
      const lean = yield* Lean.group(GlowmarktApi, {
        group: "session",
        httpClient: answering({ answer: { status: 200, body: JSON.stringify({ valid: true }) }, theirs: [], ours: [] }, "ours"),
        baseUrl: "http://example.test"
      })
      const [value, response] = yield* lean.deleteToken({ withResponse: true })
      expect(value).toEqual({ valid: true })
      expect(response.status).toBe(200)
    }))

  it.effect("an endpoint it does not cover is left to HttpApiClient, with the same headers and onResponse", () =>
    Effect.gen(function*() {
      // A `Uint8Array` answer is not covered by the lean client.
      const Api = HttpApi.make("fallback").add(
        HttpApiGroup.make("files").add(
          HttpApiEndpoint.get("download", "/files/:name")
            .setPath(Schema.Struct({ name: Schema.String }))
            .addSuccess(HttpApiSchema.Uint8Array())
        )
      )
      const current: Current = { answer: { status: 200, body: "bytes" }, theirs: [], ours: [] }
      const seen: Array<number> = []
      const lean = yield* Lean.group(Api, {
        group: "files",
        httpClient: answering(current, "ours"),
        baseUrl: "http://example.test",
        headers: { accept: "application/octet-stream" },
        onResponse: (response) => {
          seen.push(response.status)
        }
      })
      const body = yield* lean.download({ path: { name: "a b" } })
      expect(new TextDecoder().decode(body)).toBe("bytes")
      expect(seen).toEqual([200])
      expect(current.ours.map(sentOf)).toEqual([{
        method: "GET",
        url: "http://example.test/files/a b",
        urlParams: "[]",
        headers: { accept: "application/octet-stream" },
        body: ""
      }])
    }))
})


describe("the lean client reads bodies as HttpApiClient reads them, over a real socket", () => {
  // `HttpApiClient` decodes the body's bytes with a `TextDecoder`, which drops a UTF-8 byte order
  // mark; undici's and fetch's `text` drop it too, node:http's does not.
  const transports = {
    "NodeHttpClient.layer (node:http)": NodeHttpClient.layer,
    "NodeHttpClient.layerUndici": NodeHttpClient.layerUndici,
    "FetchHttpClient.layer": FetchHttpClient.layer
  }
  for (const [name, transport] of Object.entries(transports)) {
    it.scoped(`a body that starts with a byte order mark, on ${name}`, () =>
      Effect.gen(function*() {
        const bom = "\uFEFF"
        const server = yield* scripted((request) =>
          request.url.endsWith("/u-1")
            ? { status: 200, body: bom + JSON.stringify(user("u-1")), headers: { "content-type": "application/json; charset=utf-8" } }
            : { status: 404, body: bom + "Not found", headers: { "content-type": "text/plain; charset=utf-8" } }
        )
        const httpClient = Context.get(yield* Layer.build(transport), HttpClient.HttpClient)
        const reference = yield* HttpApiClient.group(GlowmarktApi, { group: "admin", httpClient, baseUrl: server.origin })
        const lean = yield* Lean.group(GlowmarktApi, { group: "admin", httpClient, baseUrl: server.origin })
        for (const userId of ["u-1", "u-2"]) {
          const request = { path: { userId } } as any
          const expected = yield* Effect.exit(reference.getUserbyId(request))
          const actual = yield* Effect.exit(lean.getUserbyId(request))
          expect(outcome(actual), userId).toEqual(outcome(expected))
        }
        // What HttpApiClient gives, so that the comparison is not vacuous.
        const found = yield* reference.getUserbyId({ path: { userId: "u-1" } } as any)
        expect(found.userId).toBe("u-1")
      }))
  }
})

describe("the context the client layer was built in", () => {
  // `HttpApiClient` runs every call under the context its layer was built in: a transport's
  // options provided to `Glowmarkt.layer` (not to each call) reach the request. Here undici's
  // `reset` (close the connection after the request), which undici announces on the wire.
  const layerWith = (baseUrl: string, options: Layer.Layer<never>) =>
    Glowmarkt.layer.pipe(
      Layer.provideMerge(GlowmarktConfig.layer({ baseUrl, applicationId: "app-1", directoryId: "dir-1", retry: { times: 0 } })),
      Layer.provide(Layer.merge(NodeHttpClient.layerUndici, options)),
      Layer.orDie
    )
  const admin = Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "app-secret-xyz" }).pipe(Either.getOrThrow)

  it.scoped("reaches the transport: undici request options provided to the layer apply to its calls", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => ({ status: 200, body: JSON.stringify(user()), headers: { "content-type": "application/json" } }))
      const getById = Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(Credentials.withAdmin(admin))
      yield* getById.pipe(Effect.provide(layerWith(server.baseUrl, Layer.empty)))
      yield* getById.pipe(
        Effect.provide(layerWith(server.baseUrl, // The platform types these as a whole request's options; the transport sets path and method.
        Layer.succeed(NodeHttpClient.UndiciRequestOptions, { reset: true } as NodeHttpClient.UndiciRequestOptions["Type"])))
      )
      expect(server.requests.map((r) => r.headers.connection)).toEqual(["keep-alive", "close"])
    }))
})
