/**
 * `UndiciHttpClient`, the optional transport, on what differs from `NodeHttpClient.layerUndici`:
 * a body is read once, whichever accessors ask for it and however often; a failed read is a
 * `ResponseError`. (The client test files run on both transports: see test/support/transport.ts.)
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
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
