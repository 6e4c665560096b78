/**
 * Decides, request by request, which fault (if any) to inject.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import type { Chance, FaultRule, FaultsConfig } from "../Faults.js"
import * as Prng from "./prng.js"

type ChanceField = "serverError" | "rateLimit" | "dropBefore" | "dropAfter" | "malformedJson"

/** @internal */
export class FaultEngine {
  private config: FaultsConfig
  private readonly prng: Prng.Prng
  private readonly used = new Map<string, number>()

  constructor(seed: string | number, config: FaultsConfig) {
    this.prng = Prng.make(seed, "faults")
    this.config = config
  }

  get current(): FaultsConfig {
    return this.config
  }

  /** Replaces the faults; the `times` budgets start again. */
  set(config: FaultsConfig): void {
    this.config = config
    this.used.clear()
  }

  private field<K extends keyof FaultRule>(operationId: string | undefined, key: K): { value: FaultRule[K]; source: string } | undefined {
    const rules = this.config.operations as Readonly<Record<string, FaultRule | undefined>> | undefined
    const own = operationId === undefined ? undefined : rules?.[operationId]?.[key]
    if (own !== undefined) return { value: own, source: operationId! }
    const all = this.config.all?.[key]
    return all === undefined ? undefined : { value: all, source: "*" }
  }

  /** The latency to add, if any. */
  latency(operationId: string | undefined): Duration.Duration | undefined {
    const f = this.field(operationId, "latency")
    if (f === undefined || f.value === undefined) return undefined
    const d = Duration.decodeUnknown(f.value)
    return Option.isSome(d) && Duration.greaterThan(d.value, Duration.zero) ? d.value : undefined
  }

  /** Whether to inject the fault `kind` on this request (consumes the `times` budget). */
  roll(operationId: string | undefined, kind: ChanceField): boolean {
    const f = this.field(operationId, kind)
    if (f === undefined || f.value === undefined) return false
    const chance: Chance = f.value
    const rate = typeof chance === "number" ? chance : chance.rate
    const times = typeof chance === "number" ? undefined : chance.times
    if (rate <= 0) return false
    const key = `${f.source}/${kind}`
    const used = this.used.get(key) ?? 0
    if (times !== undefined && used >= times) return false
    const hit = rate >= 1 || this.prng.next() < rate
    if (hit) this.used.set(key, used + 1)
    return hit
  }

  /** The status of a server error. */
  serverErrorStatus(operationId: string | undefined): number {
    const statuses = this.field(operationId, "serverErrorStatuses")?.value ?? [500, 502, 503]
    return statuses[this.prng.int(statuses.length)] ?? 500
  }

  /** The `Retry-After` of a 429, in seconds. */
  retryAfter(operationId: string | undefined): number {
    return this.field(operationId, "retryAfter")?.value ?? 1
  }
}
