/**
 * Passwords of durable flows are stored sealed: only the same key opens them.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { makeSealer } from "../src/durable/internal/seal.js"

describe("sealed secrets", () => {
  const secret = Redacted.make("correct horse battery")

  it("round-trips with the same key, and never shows the secret", () => {
    const sealer = makeSealer(Option.some(Redacted.make("key-1")))
    const sealed = sealer.seal(secret)
    expect(sealed).not.toContain("correct")
    expect(sealed).not.toContain(Buffer.from("correct horse battery").toString("base64"))
    expect(sealed).not.toBe(sealer.seal(secret)) // a fresh IV each time
    const opened = sealer.open(sealed)
    expect(Option.map(opened, Redacted.value)).toEqual(Option.some("correct horse battery"))
  })

  it("another key, or a tampered value, opens nothing", () => {
    const sealed = makeSealer(Option.some(Redacted.make("key-1"))).seal(secret)
    expect(Option.isNone(makeSealer(Option.some(Redacted.make("key-2"))).open(sealed))).toBe(true)
    expect(Option.isNone(makeSealer(Option.none()).open(sealed))).toBe(true)
    const tampered = sealed.slice(0, -2) + (sealed.endsWith("A") ? "BB" : "AA")
    expect(Option.isNone(makeSealer(Option.some(Redacted.make("key-1"))).open(tampered))).toBe(true)
    expect(Option.isNone(makeSealer(Option.some(Redacted.make("key-1"))).open("-"))).toBe(true)
  })
})
