/**
 * A lazy token bucket: `ratePerSecond` tokens a second, bursts of up to `burst`.
 *
 * Not `effect/RateLimiter`: its token bucket (effect 3.22) rounds the time per token up to whole
 * milliseconds (300 a second becomes 4 ms a token, 250 a second; nothing above 1,000 a second)
 * and refills from a fiber that wakes once per token. This one keeps no fiber and counts in
 * fractions of a token: each taker computes from the `Clock` when its token is due, reserves it
 * (the balance may go below zero) and sleeps until then. Takers are served in the order they
 * ask; the `Clock` makes it testable with `TestClock`.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

/** Wraps an effect so that it starts only when a token is available. */
export type Limit = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

/** No limit. */
export const unlimited: Limit = (effect) => effect

/** A token bucket. `ratePerSecond` must be positive and finite. */
export const tokenBucket = (ratePerSecond: number, burst: number = Math.max(1, ratePerSecond)): Effect.Effect<Limit> =>
  Effect.map(Clock.currentTimeMillis, (start) => {
    const perMilli = ratePerSecond / 1000
    let tokens = burst
    let last = start
    const take = Effect.flatMap(Clock.currentTimeMillis, (now) => {
      tokens = Math.min(burst, tokens + (now - last) * perMilli)
      last = now
      tokens -= 1
      return tokens >= 0 ? Effect.void : Effect.sleep(Duration.millis(-tokens / perMilli))
    })
    return (effect) => Effect.zipRight(take, effect)
  })
