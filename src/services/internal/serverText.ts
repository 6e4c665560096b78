/**
 * Text that came from the server, made fit for an error: the call's own secrets replaced by
 * `<redacted>` (a server, or a proxy, that echoes the request would otherwise put passwords,
 * tokens and Basic credentials into messages, logs and spans), then cut to a bounded length (a
 * 100 KB error page must not become a 100 KB message).
 *
 * @internal
 */
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"

/** How many characters of server text an error keeps. */
export const maxServerText = 300

const redactedMark = "<redacted>"

/** Values shorter than this are not searched for: "1" would redact every digit. */
const minSecretLength = 4

const forms = (secret: string): Array<string> => {
  const out = new Set<string>([secret])
  out.add(JSON.stringify(secret).slice(1, -1))
  try {
    out.add(encodeURIComponent(secret))
    // As a form field (`application/x-www-form-urlencoded`: space as `+`, `!'()~` encoded).
    out.add(new URLSearchParams([["f", secret]]).toString().slice(2))
  } catch {
    // a lone surrogate cannot be percent-encoded: then it was not sent that way either
  }
  return [...out].filter((s) => s.length >= minSecretLength)
}

/**
 * The secrets a request carries: its `Authorization` value (and, for Basic, the decoded
 * `id:secret` pair and the secret alone), its `token` header, and the `password`,
 * `newPassword` and `token` fields of a JSON body.
 */
export const secretsOf = (request: HttpClientRequest.HttpClientRequest | undefined): ReadonlyArray<string> => {
  if (request === undefined) return []
  const out: Array<string> = []
  const authorization = request.headers["authorization"]
  if (authorization !== undefined) {
    out.push(authorization)
    const basic = /^Basic\s+(.+)$/i.exec(authorization)
    if (basic !== null) {
      out.push(basic[1]!)
      const pair = Buffer.from(basic[1]!, "base64").toString("utf8")
      out.push(pair)
      const colon = pair.indexOf(":")
      if (colon !== -1) out.push(pair.slice(colon + 1))
    }
  }
  const token = request.headers["token"]
  if (token !== undefined) out.push(token)
  const body = request.body
  if (body._tag === "Uint8Array" && body.contentType.includes("json")) {
    try {
      const json: unknown = JSON.parse(new TextDecoder().decode(body.body))
      if (typeof json === "object" && json !== null) {
        for (const field of ["password", "newPassword", "oldPassword", "token"]) {
          const value = (json as Record<string, unknown>)[field]
          if (typeof value === "string") out.push(value)
        }
      }
    } catch {
      // not JSON after all: nothing to find in it
    }
  }
  // The OAuth exchange is form-encoded: its code, refresh token and client secret are secrets.
  if (body._tag === "Uint8Array" && body.contentType.includes("x-www-form-urlencoded")) {
    const form = new URLSearchParams(new TextDecoder().decode(body.body))
    for (const field of ["code", "refresh_token", "client_secret"]) {
      const value = form.get(field)
      if (value !== null) out.push(value)
    }
  }
  return out
}

/**
 * Server text fit for an error: every form of `secrets` (as sent, JSON-escaped, percent-
 * encoded) replaced by `<redacted>`, white space folded, at most {@link maxServerText}
 * characters, marked where it was cut.
 */
export const serverText = (text: string, secrets: ReadonlyArray<string>): string => {
  let out = text
  // Longest first, so a secret that contains another is replaced whole.
  const all = secrets.flatMap(forms).sort((a, b) => b.length - a.length)
  for (const secret of all) out = out.split(secret).join(redactedMark)
  out = out.replace(/\s+/g, " ").trim()
  return out.length > maxServerText ? `${out.slice(0, maxServerText)}... (cut: ${out.length} characters)` : out
}
