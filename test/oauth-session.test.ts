/**
 * `OAuthSession`: concurrent callers of an expiring access token share one refresh. Against the
 * simulator over loopback, on the `TestClock`; the simulator's counters show exactly one
 * exchange request for 25 callers, and its refresh tokens are single-use, so a second refresh
 * with the same token would have been refused.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import * as OAuthSession from "../src/services/OAuthSession.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"

const TestLive = Glowmarkt.layer.pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "oauth-session", retry: { times: 0 } })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const exchanges = Effect.map(Simulator.counters, (c) => c.byOperation.exchangeAuthorizationCodeWithAccess?.received ?? 0)

/** A verified user and the tokens of one authorization. */
const tokensFor = (username: string) =>
  Effect.gen(function*() {
    const pw = Redacted.make("pw-oauth-session")
    const users = yield* Users.Users
    const oauth = yield* OAuth.OAuth
    yield* users.register({ name: "T", username, email: username, password: pw })
    const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(username))
    yield* users.verify({ username, password: pw, code })
    const grant = yield* oauth.authorize({ username, password: pw })
    return yield* oauth.exchange({ code: grant.code })
  })

describe("OAuthSession", () => {
  it.scoped("25 concurrent callers of an expiring token: exactly one exchange request, one new token for all", () =>
    Effect.gen(function*() {
      const oauth = yield* OAuth.OAuth
      const tokens = yield* tokensFor("single-flight@x.co")
      expect(Option.isSome(tokens.refreshToken)).toBe(true)
      const session = yield* OAuthSession.make({ tokens })
      const before = yield* exchanges

      // Still fresh: no request.
      expect(Redacted.value(yield* session.accessToken)).toBe(Redacted.value(tokens.accessToken))
      expect(yield* exchanges).toBe(before)

      // Within the margin of its expiry: every caller at once.
      yield* TestClock.setTime(tokens.expiresAt.getTime() - 30_000)
      const got = yield* Effect.all(Array.from({ length: 25 }, () => session.accessToken), { concurrency: "unbounded" })
      expect(yield* exchanges).toBe(before + 1)
      const values = new Set(got.map(Redacted.value))
      expect(values.size).toBe(1)
      const fresh = [...values][0]!
      expect(fresh).not.toBe(Redacted.value(tokens.accessToken))
      expect((yield* session.expiresAt).getTime()).toBeGreaterThan(tokens.expiresAt.getTime())
      expect((yield* oauth.validate(Redacted.make(fresh))).active).toBe(true)

      // The spent refresh token is refused: a second, concurrent refresh would have failed.
      const spent = yield* Effect.flip(oauth.refresh({ refreshToken: Option.getOrThrow(tokens.refreshToken) }))
      expect(spent._tag).toBe("CodeRejectedError")
    }).pipe(Effect.provide(TestLive)))

  it.scoped("no refresh token held: a refresh that is due fails with TokenRejectedError, nothing sent", () =>
    Effect.gen(function*() {
      const tokens = yield* tokensFor("no-refresh@x.co")
      const session = yield* OAuthSession.make({ tokens: { ...tokens, refreshToken: Option.none() } })
      const before = yield* exchanges
      yield* TestClock.setTime(tokens.expiresAt.getTime())
      expect((yield* Effect.flip(session.accessToken))._tag).toBe("TokenRejectedError")
      expect(yield* exchanges).toBe(before)
    }).pipe(Effect.provide(TestLive)))
})
