/**
 * The error bodies of the User System, exactly as the wire carries them.
 *
 * Upstream answers `{"error": "..."}` without a `_tag`, a failed login `{"valid": false}`,
 * and a 404 as text, as `{"error":"Not found"}` or empty. Each schema here decodes every such
 * shape into a small tagged class annotated with its status, so the same declaration serves the
 * client (decoding) and the simulator (encoding). Callers never see these classes: the services
 * turn them into the errors of `GlowmarktError`, which carry the operation as well. Not part of
 * the public entry points.
 *
 * @internal
 */
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Data from "effect/Data"
import * as Schema from "effect/Schema"

const ErrorBody = Schema.Struct({ error: Schema.String })

/**
 * 400: `{"error":"missing elements"}`, `{"error":"incorrect elements"}`, ...; or, where the spec
 * declares it (deleteToken), `{"valid": false}`.
 *
 * @since 0.1.0
 */
export class WireBadRequest extends Data.TaggedError("WireBadRequest")<{
  /** The server's message; absent when the body was `{"valid":false}`. */
  readonly message: string | undefined
}> {}

/** @since 0.1.0 */
export const WireBadRequestBody = Schema.transform(ErrorBody, Schema.instanceOf(WireBadRequest), {
  strict: true,
  decode: ({ error }) => new WireBadRequest({ message: error }),
  encode: ({ message }) => ({ error: message ?? "valid: false" })
}).annotations(HttpApiSchema.annotations({ status: 400, identifier: "MissingElementsError" }))

/**
 * deleteToken's 400: the spec's `{"valid": false}`; the usual `{"error": ...}` is read too.
 *
 * @since 0.1.0
 */
export const WireInvalidTokenBody = Schema.transform(
  Schema.Struct({ valid: Schema.optional(Schema.Boolean), error: Schema.optional(Schema.String) }),
  Schema.instanceOf(WireBadRequest),
  {
    strict: true,
    decode: ({ error }) => new WireBadRequest({ message: error }),
    encode: ({ message }) => (message === undefined ? { valid: false } : { error: message })
  }
).annotations(HttpApiSchema.annotations({ status: 400, identifier: "InvalidTokenError" }))

/**
 * 401: `{"error":"Access denied"}`, or `{"valid":false}` for a failed login.
 *
 * @since 0.1.0
 */
export class WireAccessDenied extends Data.TaggedError("WireAccessDenied")<{
  /** The server's message; absent when the body was `{"valid":false}`. */
  readonly message: string | undefined
}> {}

/** @since 0.1.0 */
export const WireAccessDeniedBody = Schema.transform(
  Schema.Struct({ error: Schema.optional(Schema.String), valid: Schema.optional(Schema.Boolean) }),
  Schema.instanceOf(WireAccessDenied),
  {
    strict: true,
    decode: ({ error }) => new WireAccessDenied({ message: error }),
    encode: ({ message }) => (message === undefined ? { valid: false } : { error: message })
  }
).annotations(HttpApiSchema.annotations({ status: 401, identifier: "AccessDeniedError" }))

/**
 * 404, whatever the body: text, `{"error":"Not found"}` or nothing.
 *
 * @since 0.1.0
 */
export class WireNotFound extends Data.TaggedError("WireNotFound")<{ readonly message: string }> {}

const notFoundMessage = (body: string): string => {
  const text = body.trim()
  if (text === "" || text === "null") return "Not found"
  try {
    const json: unknown = JSON.parse(text)
    if (typeof json === "object" && json !== null && "error" in json && typeof json.error === "string") {
      return json.error
    }
    if (typeof json === "string" && json.length > 0) return json
  } catch {
    // plain text
  }
  return text
}

/** @since 0.1.0 */
export const WireNotFoundBody = Schema.transform(Schema.String, Schema.instanceOf(WireNotFound), {
  strict: true,
  decode: (body) => new WireNotFound({ message: notFoundMessage(body) }),
  // The spec's 404 is a JSON string (`produces: application/json`, `type: string`).
  encode: ({ message }) => JSON.stringify(message)
}).pipe(
  HttpApiSchema.withEncoding({ kind: "Text", contentType: "application/json" }),
  Schema.annotations(HttpApiSchema.annotations({ status: 404, identifier: "NotFoundError" }))
)

/**
 * 500: `{"error":"An error has occurred"}`.
 *
 * @since 0.1.0
 */
export class WireInternalServerError
  extends Data.TaggedError("WireInternalServerError")<{ readonly message: string }>
{}

/** @since 0.1.0 */
export const WireInternalServerErrorBody = Schema.transform(ErrorBody, Schema.instanceOf(WireInternalServerError), {
  strict: true,
  decode: ({ error }) => new WireInternalServerError({ message: error }),
  encode: ({ message }) => ({ error: message })
}).annotations(HttpApiSchema.annotations({ status: 500, identifier: "InternalServerError" }))
