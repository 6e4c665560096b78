/**
 * A small seeded pseudo-random generator (sfc32 seeded by cyrb128), so that ids, keys, codes
 * and fault decisions are the same from one run to the next for the same seed.
 *
 * Not cryptographic: the simulator only needs repeatability.
 *
 * @internal
 */

/** A deterministic source of randomness. @internal */
export interface Prng {
  /** A uniformly distributed float in [0, 1). */
  readonly next: () => number
  /** An integer in [0, n). */
  readonly int: (n: number) => number
  /** `n` random bytes. */
  readonly bytes: (n: number) => Uint8Array
  /** `n` lowercase hex characters. */
  readonly hex: (n: number) => string
  /** A version-4 shaped UUID. */
  readonly uuid: () => string
  /** `n` decimal digits (leading zeros kept). */
  readonly digits: (n: number) => string
}

const cyrb128 = (str: string): [number, number, number, number] => {
  let h1 = 1779033703, h2 = 3144134277, h3 = 1013904242, h4 = 2773480762
  for (let i = 0; i < str.length; i++) {
    const k = str.charCodeAt(i)
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067)
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233)
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213)
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179)
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067)
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233)
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213)
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179)
  h1 ^= h2 ^ h3 ^ h4
  h2 ^= h1
  h3 ^= h1
  h4 ^= h1
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0]
}

/**
 * A generator for a seed; `stream` names an independent sequence (e.g. "state", "faults"), so
 * that changing the faults does not change the codes.
 *
 * @internal
 */
export const make = (seed: string | number, stream: string): Prng => {
  let [a, b, c, d] = cyrb128(`${String(seed)}/${stream}`)
  const nextUint32 = (): number => {
    a >>>= 0
    b >>>= 0
    c >>>= 0
    d >>>= 0
    let t = (a + b) | 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) | 0
    c = (c << 21) | (c >>> 11)
    d = (d + 1) | 0
    t = (t + d) | 0
    c = (c + t) | 0
    return t >>> 0
  }
  // Warm up: the first outputs of sfc32 are correlated with the seed.
  for (let i = 0; i < 15; i++) nextUint32()
  const next = () => nextUint32() / 4294967296
  const int = (n: number) => Math.floor(next() * n)
  const bytes = (n: number) => {
    const out = new Uint8Array(n)
    for (let i = 0; i < n; i++) out[i] = nextUint32() & 0xff
    return out
  }
  const toHex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")
  const hex = (n: number) => toHex(bytes(Math.ceil(n / 2))).slice(0, n)
  const uuid = () => {
    const b = bytes(16)
    b[6] = (b[6]! & 0x0f) | 0x40
    b[8] = (b[8]! & 0x3f) | 0x80
    const h = toHex(b)
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
  }
  const digits = (n: number) => {
    let s = ""
    for (let i = 0; i < n; i++) s += String(int(10))
    return s
  }
  return { next, int, bytes, hex, uuid, digits }
}
