/**
 * Passwords in a durable flow's payload are sealed (AES-256-GCM) before the engine stores them:
 * the engine's tables hold ciphertext, and only processes configured with the same secret key
 * can open it.
 *
 * @internal
 */
import * as Context from "effect/Context"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto"

const version = "gm1"

/** Seals and opens the secrets of flow payloads. */
export interface Sealer {
  readonly seal: (secret: Redacted.Redacted<string>) => string
  readonly open: (sealed: string) => Option.Option<Redacted.Redacted<string>>
}

/** The sealer of the running flows. */
export class FlowSecrets extends Context.Tag("effect-glowmarkt/durable/internal/FlowSecrets")<FlowSecrets, Sealer>() {}

/** A sealer keyed by `key` (any string: it is hashed to 256 bits), or by a random key of this process. */
export const makeSealer = (key: Option.Option<Redacted.Redacted<string>>): Sealer => {
  const bytes = Option.match(key, {
    onNone: () => randomBytes(32),
    onSome: (k) => createHash("sha256").update(`effect-glowmarkt/durable:${Redacted.value(k)}`).digest()
  })
  return {
    seal: (secret) => {
      const iv = randomBytes(12)
      const cipher = createCipheriv("aes-256-gcm", bytes, iv)
      const data = Buffer.concat([cipher.update(Redacted.value(secret), "utf8"), cipher.final()])
      return [version, iv, cipher.getAuthTag(), data].map((p) => typeof p === "string" ? p : p.toString("base64url"))
        .join(".")
    },
    open: (sealed) => {
      const [v, iv, tag, data] = sealed.split(".")
      if (v !== version || iv === undefined || tag === undefined || data === undefined) return Option.none()
      try {
        const decipher = createDecipheriv("aes-256-gcm", bytes, Buffer.from(iv, "base64url"))
        decipher.setAuthTag(Buffer.from(tag, "base64url"))
        const text = Buffer.concat([decipher.update(Buffer.from(data, "base64url")), decipher.final()]).toString("utf8")
        return Option.some(Redacted.make(text))
      } catch {
        return Option.none()
      }
    }
  }
}
