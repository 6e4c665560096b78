/**
 * HS256 JSON Web Tokens with node:crypto: enough to issue and check the simulator's tokens
 * without a dependency.
 *
 * @internal
 */
import { createHmac, timingSafeEqual } from "node:crypto"

/** The claims of a simulator token. @internal */
export interface Claims {
  readonly sub: string
  readonly accountId: string
  readonly applicationId: string
  /** Issued at, seconds since the epoch. */
  readonly iat: number
  /** Expires at, seconds since the epoch. */
  readonly exp: number
  readonly jti: string
}

const b64url = (input: Buffer | string): string => Buffer.from(input).toString("base64url")

const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }))

const sign = (secret: string, data: string): Buffer => createHmac("sha256", secret).update(data).digest()

/** Signs claims into a compact JWT. @internal */
export const encode = (secret: string, claims: Claims): string => {
  const body = `${header}.${b64url(JSON.stringify(claims))}`
  return `${body}.${sign(secret, body).toString("base64url")}`
}

const isClaims = (u: unknown): u is Claims => {
  if (typeof u !== "object" || u === null) return false
  const c = u as Record<string, unknown>
  return typeof c.sub === "string" && typeof c.accountId === "string" && typeof c.applicationId === "string" &&
    typeof c.iat === "number" && typeof c.exp === "number" && typeof c.jti === "string"
}

/**
 * Checks the signature and the shape (not the expiry: the caller has the clock). `undefined`
 * for anything that is not a token signed with `secret`.
 *
 * @internal
 */
export const decode = (secret: string, token: string): Claims | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3 || parts[0] !== header) return undefined
  const expected = sign(secret, `${parts[0]}.${parts[1]}`)
  const given = Buffer.from(parts[2]!, "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  try {
    const claims: unknown = JSON.parse(Buffer.from(parts[1]!, "base64url").toString("utf8"))
    return isClaims(claims) ? claims : undefined
  } catch {
    return undefined
  }
}
