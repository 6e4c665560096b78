/**
 * `OAuthSession`: concurrent callers of an expiring access token share one refresh. Against the
 * simulator over loopback, on the `TestClock`; the simulator's counters show exactly one
 * exchange request for 25 callers, and its refresh tokens are single-use, so a second refresh
 * with the same token would have been refused.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import * as OAuthSession from "../src/services/OAuthSession.js"
import * as Users from "../src/services/Users.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { tick, waitFor } from "./support/waitFor.js"

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

  it.scoped("a lost refresh answer, 25 callers at expiry: one refresh sent, every caller told to re-authorize, nothing sent again", () =>
    Effect.gen(function*() {
      const tokens = yield* tokensFor("lost-refresh@x.co")
      const session = yield* OAuthSession.make({ tokens })
      const before = yield* exchanges
      yield* TestClock.setTime(tokens.expiresAt.getTime() - 30_000)
      // The server takes the refresh (its refresh token is spent) and the answer is lost.
      yield* Simulator.setFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { dropAfter: { rate: 1, times: 1 } } }))
      const errors = yield* Effect.all(
        Array.from({ length: 25 }, () => Effect.flip(session.accessToken)),
        { concurrency: "unbounded" }
      ).pipe(Effect.ensuring(Simulator.setFaults(Faults.none)))
      expect(yield* exchanges).toBe(before + 1)
      for (const e of errors) expect(e).toMatchObject({ _tag: "ReauthorizationRequiredError", reason: "lost" })
      expect(errors[0]!.message).toContain("authorize again")
      // The session remembers: no request with the spent token.
      expect(yield* Effect.flip(session.accessToken)).toMatchObject({ _tag: "ReauthorizationRequiredError" })
      expect(yield* exchanges).toBe(before + 1)
      // It was spent indeed: the server refuses it.
      const oauth = yield* OAuth.OAuth
      expect((yield* Effect.flip(oauth.refresh({ refreshToken: Option.getOrThrow(tokens.refreshToken) })))._tag).toBe("CodeRejectedError")
    }).pipe(Effect.provide(TestLive)))

  it.scoped("a refresh refused before it reached the server: one refresh for all callers, its error shared; the token stays, the next caller refreshes once", () =>
    Effect.gen(function*() {
      const tokens = yield* tokensFor("refused-refresh@x.co")
      const session = yield* OAuthSession.make({ tokens })
      yield* TestClock.setTime(tokens.expiresAt.getTime() - 30_000)
      const before = yield* exchanges
      yield* Simulator.setFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { rateLimit: 1, retryAfter: 0 } }))
      const first = yield* Effect.all(Array.from({ length: 10 }, () => Effect.flip(session.accessToken)), { concurrency: "unbounded" })
      for (const e of first) expect(e).toMatchObject({ _tag: "UnexpectedStatusError", status: 429 })
      // One refresh for the ten callers (the client's own retries of a 429 included), its token not spent.
      const tried = (yield* exchanges) - before
      expect(tried).toBe(1)
      yield* Simulator.setFaults(Faults.none)
      const got = yield* Effect.all(Array.from({ length: 10 }, () => session.accessToken), { concurrency: "unbounded" })
      expect(new Set(got.map(Redacted.value)).size).toBe(1)
      expect(Redacted.value(got[0]!)).not.toBe(Redacted.value(tokens.accessToken))
      expect(yield* exchanges).toBe(before + tried + 1)
    }).pipe(Effect.provide(TestLive)))

  it.scoped("a refused refresh token: ReauthorizationRequiredError (refused), and nothing sent after", () =>
    Effect.gen(function*() {
      const oauth = yield* OAuth.OAuth
      const tokens = yield* tokensFor("spent-refresh@x.co")
      // Spent elsewhere (another holder of the same pair).
      yield* oauth.refresh({ refreshToken: Option.getOrThrow(tokens.refreshToken) })
      const session = yield* OAuthSession.make({ tokens })
      yield* TestClock.setTime(tokens.expiresAt.getTime())
      const before = yield* exchanges
      expect(yield* Effect.flip(session.accessToken)).toMatchObject({ _tag: "ReauthorizationRequiredError", reason: "refused" })
      expect(yield* Effect.flip(session.accessToken)).toMatchObject({ _tag: "ReauthorizationRequiredError", reason: "refused" })
      expect(yield* exchanges).toBe(before + 1)
    }).pipe(Effect.provide(TestLive)))

  it.scoped("the caller that sent the refresh is interrupted: the refresh still ends, and the others get its token", () =>
    Effect.gen(function*() {
      const tokens = yield* tokensFor("interrupted-refresh@x.co")
      const session = yield* OAuthSession.make({ tokens })
      yield* TestClock.setTime(tokens.expiresAt.getTime() - 30_000)
      const before = yield* exchanges
      // The refresh is held on the server for a second (of the TestClock).
      yield* Simulator.setFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { latency: "1 second" } }))
      const first = yield* Effect.fork(session.accessToken)
      yield* waitFor("the refresh is on the server", Effect.map(exchanges, (n) => n > before ? Option.some(true) : Option.none()))
      const others = yield* Effect.fork(Effect.all(Array.from({ length: 5 }, () => session.accessToken), { concurrency: "unbounded" }))
      for (let i = 0; i < 20; i++) yield* tick
      const interrupted = yield* Effect.fork(Fiber.interrupt(first))
      for (let i = 0; i < 20; i++) yield* tick
      yield* Simulator.setFaults(Faults.none)
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(interrupted)
      const got = yield* Fiber.join(others)
      expect(new Set(got.map(Redacted.value)).size).toBe(1)
      expect(Redacted.value(got[0]!)).not.toBe(Redacted.value(tokens.accessToken))
      expect(yield* exchanges).toBe(before + 1)
    }).pipe(Effect.provide(TestLive)))
})
