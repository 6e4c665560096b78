/**
 * Reading a caller's `Redacted` without throwing.
 *
 * @internal
 */
import * as Redacted from "effect/Redacted"

/**
 * What a `Redacted` holds, or `undefined` when it holds nothing: `Redacted.value` throws on one
 * that was wiped (`Redacted.unsafeWipe`) or that carries the type id without being in Effect's
 * registry, and a check must refuse it, not throw.
 */
export const heldValue = (r: Redacted.Redacted<unknown>): unknown => {
  try {
    return Redacted.value(r)
  } catch {
    return undefined
  }
}
