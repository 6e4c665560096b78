/**
 * Plain HTTP over node:http, one connection per request (no pool, so a dropped connection
 * never poisons the next request): checks the simulator independently of the client.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Http from "node:http"

export interface PlainResponse {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly text: string
  /** The body parsed as JSON, or `undefined` if it is not JSON. */
  readonly json: any
}

export class PlainHttpError extends Data.TaggedError("PlainHttpError")<{ readonly cause: unknown }> {}

export interface PlainRequest {
  readonly method?: string
  readonly headers?: Record<string, string>
  /** A string is sent as is; anything else as JSON with `Content-Type: application/json`. */
  readonly body?: unknown
  /** Send the body with `Transfer-Encoding: chunked` (no `Content-Length`), in 64 KiB chunks. */
  readonly chunked?: boolean
}

export const request = (url: string, options: PlainRequest = {}): Effect.Effect<PlainResponse, PlainHttpError> =>
  Effect.async<PlainResponse, PlainHttpError>((resume) => {
    const headers: Record<string, string> = { ...options.headers }
    let payload: string | undefined
    if (options.body !== undefined) {
      if (typeof options.body === "string") payload = options.body
      else {
        payload = JSON.stringify(options.body)
        if (!Object.keys(headers).some((h) => h.toLowerCase() === "content-type")) {
          headers["content-type"] = "application/json"
        }
      }
      if (options.chunked !== true) headers["content-length"] = String(Buffer.byteLength(payload))
    }
    const req = Http.request(url, { method: options.method ?? "GET", headers, agent: false }, (res) => {
      const chunks: Array<Buffer> = []
      res.on("data", (c: Buffer) => chunks.push(c))
      res.on("error", (cause) => resume(Effect.fail(new PlainHttpError({ cause }))))
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8")
        let json: unknown = undefined
        try {
          json = JSON.parse(text)
        } catch {
          json = undefined
        }
        resume(Effect.succeed({ status: res.statusCode ?? 0, headers: res.headers, text, json }))
      })
    })
    req.on("error", (cause) => resume(Effect.fail(new PlainHttpError({ cause }))))
    if (payload !== undefined && options.chunked === true) {
      for (let i = 0; i < payload.length; i += 65536) req.write(payload.slice(i, i + 65536))
    } else if (payload !== undefined) req.write(payload)
    req.end()
    return Effect.sync(() => req.destroy())
  })

/** `Authorization: Basic` for a key id and secret. */
export const basic = (keyId: string, secret: string) => `Basic ${Buffer.from(`${keyId}:${secret}`).toString("base64")}`
