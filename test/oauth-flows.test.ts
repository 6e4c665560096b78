/**
 * The OAuth connect flow, one scenario suite for both engines: `Onboarding.connectOAuth` in
 * memory and `DurableOnboarding.startOAuthConnect` on the in-memory workflow engine, against the
 * simulator over loopback on the `TestClock`. Each outcome is checked against the simulator's
 * own view of the user's tokens (`Simulator.users`: the live tokens, by id and framework), not
 * only against the flow's report.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import { TokenDocument, TokenId } from "../src/schema/OAuthModels.js"
import * as Tokens from "../src/services/Tokens.js"
import * as Users from "../src/services/Users.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { Onboarding } from "../src/workflows/index.js"
import { jwtId } from "../src/workflows/internal/flows.js"
import { tick, waitFor } from "./support/waitFor.js"

// The client waits an hour for an answer: a scenario holds an exchange on the server (a latency
// fault on the TestClock) until its code has expired.
const TestLive = DurableOnboarding.layer({ pollInterval: "1 second" }).pipe(
  Layer.provideMerge(Glowmarkt.layer),
  Layer.provideMerge(DurableEngine.layerMemory),
  Layer.provideMerge(Simulator.layerTest({ seed: "oauth-flows", requestTimeout: "1 hour" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const password = Redacted.make("pw of the oauth flows")
let n = 0
const fresh = (label: string) => `${label}-${++n}@oauth-flows.example`

type Failure = { readonly _tag: string; readonly message: string }

/** An engine as the scenarios see it: start a connection; poll for its end. */
interface Harness {
  readonly name: string
  readonly connect: (
    input: Onboarding.OAuthConnectInput
  ) => Effect.Effect<Effect.Effect<Option.Option<Exit.Exit<Onboarding.OAuthConnection, Failure>>>, never, any>
}

const inMemory: Harness = {
  name: "in memory",
  connect: (input) =>
    Effect.map(
      Effect.forkScoped(Onboarding.connectOAuth(input)),
      (fiber) => Fiber.poll(fiber) as Effect.Effect<Option.Option<Exit.Exit<Onboarding.OAuthConnection, Failure>>>
    )
}

const durable: Harness = {
  name: "durable",
  connect: (input) =>
    Effect.gen(function*() {
      const o = yield* DurableOnboarding.DurableOnboarding
      const handle = yield* Effect.orDie(o.startOAuthConnect({ ...input, nonce: String(++n) }))
      return o.oauthConnectState(handle).pipe(
        Effect.orDie,
        Effect.map((s) =>
          s._tag === "Succeeded"
            ? Option.some(Exit.succeed<Onboarding.OAuthConnection>(s.result))
            : s._tag === "Failed"
            ? Option.some(Exit.fail<Failure>(s.error ?? { _tag: "Defect", message: s.cause }))
            : Option.none()
        )
      )
    })
}

const ended = <A>(poll: Effect.Effect<Option.Option<A>>) => waitFor("the flow ends", poll)

/** A registered, verified user. */
const activeUser = (username: string) =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    yield* users.register({ name: "Ada", username, email: username, password })
    const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(username))
    yield* users.verify({ username, password, code })
  })

/** The user's live OAuth tokens, as the simulator holds them. */
const liveOAuthTokens = (username: string) =>
  Effect.map(Effect.flatMap(Simulator.Simulator, (s) => s.user(username)), (u) =>
    Option.match(u, { onNone: () => [], onSome: (user) => user.tokens.filter((t) => t.framework === "oauth").map((t) => t.tokenId) }))

const counted = (op: string) => Effect.map(Simulator.counters, (c) => c.byOperation[op] ?? { received: 0, handled: 0 })

const withFaults = (faults: Faults.FaultsConfig) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(Simulator.setFaults(faults), () => self, () => Simulator.setFaults(Faults.none))

layer(TestLive)("OAuth connect", (it) => {
  for (const engine of [inMemory, durable]) {
    describe(engine.name, () => {
      it.scoped("the right path: one code, one exchange, one live token pair that works, nothing revoked", () =>
        Effect.gen(function*() {
          const username = fresh("right")
          yield* activeUser(username)
          yield* Simulator.resetCounters
          const connection = yield* Effect.flatten(ended(yield* engine.connect({ username, password })))
          expect(connection.connected).toMatchObject({
            username,
            codesIssued: 1,
            exchangesSent: 1,
            lostExchanges: 0,
            orphansRevoked: [],
            reconciled: true
          })
          const tokenId = Option.getOrThrow(connection.connected.tokenId)
          expect(yield* liveOAuthTokens(username)).toEqual([tokenId])
          expect(Option.isSome(connection.tokens.refreshToken)).toBe(true)
          const oauth = yield* OAuth.OAuth
          expect((yield* oauth.validate(connection.tokens.accessToken)).active).toBe(true)
          const session = yield* connection.openSession()
          expect(Redacted.value(yield* session.accessToken)).toBe(Redacted.value(connection.tokens.accessToken))
          expect((yield* counted("exchangeAuthorizationCodeWithAccess")).handled).toBe(1)
          expect((yield* counted("deleteTokenById")).received).toBe(0)
          // Nothing secret in the report.
          expect(JSON.stringify(connection.connected)).not.toContain(Redacted.value(connection.tokens.accessToken))
        }))

      it.scoped("a lost exchange answer: a new code, and the orphan pair it issued revoked; an earlier connection untouched", () =>
        Effect.gen(function*() {
          const username = fresh("lost-exchange")
          yield* activeUser(username)
          // An earlier connection of the user, made before the flow: not the flow's to revoke.
          const oauth = yield* OAuth.OAuth
          yield* oauth.exchange({ code: (yield* oauth.authorize({ username, password })).code })
          const [earlier] = yield* liveOAuthTokens(username)
          yield* Simulator.resetCounters
          const connection = yield* Effect.flatten(
            Effect.flatMap(engine.connect({ username, password }), ended).pipe(
              withFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { dropAfter: { rate: 1, times: 1 } } }))
            )
          )
          expect(connection.connected).toMatchObject({ codesIssued: 2, exchangesSent: 2, lostExchanges: 1, reconciled: true })
          expect(connection.connected.orphansRevoked).toHaveLength(1)
          const tokenId = Option.getOrThrow(connection.connected.tokenId)
          expect(connection.connected.orphansRevoked).not.toContain(tokenId)
          expect(connection.connected.orphansRevoked).not.toContain(earlier)
          // The server agrees: the earlier pair and the flow's; the orphan is gone.
          expect((yield* liveOAuthTokens(username)).sort()).toEqual([earlier, tokenId].sort())
          expect(yield* counted("exchangeAuthorizationCodeWithAccess")).toMatchObject({ received: 2, handled: 2 })
          expect((yield* counted("deleteTokenById")).handled).toBe(1)
        }))

      it.scoped("a wrong password: InvalidCredentialsError before any code, nothing issued", () =>
        Effect.gen(function*() {
          const username = fresh("wrong-password")
          yield* activeUser(username)
          yield* Simulator.resetCounters
          const exit = yield* ended(yield* engine.connect({ username, password: Redacted.make("not the password") }))
          const error = yield* Effect.flip(exit)
          expect(error._tag).toBe("InvalidCredentialsError")
          expect(error.message).not.toContain("not the password")
          expect((yield* counted("generateOAuthorizationCode")).received).toBe(0)
          expect((yield* counted("exchangeAuthorizationCodeWithAccess")).received).toBe(0)
          expect(yield* liveOAuthTokens(username)).toEqual([])
        }))

      it.scoped("an expired code: the exchange is refused, a new code is exchanged; not counted as lost", () =>
        Effect.gen(function*() {
          const username = fresh("expired")
          yield* activeUser(username)
          yield* Simulator.resetCounters
          // The first exchange is held on the server past the code's 10 minutes.
          yield* Simulator.setFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { latency: "11 minutes" } }))
          const poll = yield* engine.connect({ username, password })
          yield* waitFor("the exchange is held", Effect.map(Simulator.counters, (c) => c.faults.latency >= 1 ? Option.some(true) : Option.none()))
          yield* Simulator.setFaults(Faults.none)
          for (let i = 0; i < 20; i++) yield* tick
          yield* TestClock.adjust("11 minutes")
          const connection = yield* Effect.flatten(ended(poll))
          expect(connection.connected).toMatchObject({ codesIssued: 2, exchangesSent: 2, lostExchanges: 0, orphansRevoked: [], reconciled: true })
          expect(yield* liveOAuthTokens(username)).toEqual([Option.getOrThrow(connection.connected.tokenId)])
        }))

      it.scoped("a confidential client: the session opened on the connection refreshes with the client's secret", () =>
        Effect.gen(function*() {
          const username = fresh("confidential")
          yield* activeUser(username)
          const clientSecret = Redacted.make("the client's secret")
          const connection = yield* Effect.flatten(ended(yield* engine.connect({ username, password, clientSecret })))
          // The refresh as the session sends it, recorded on its way to the real service.
          const oauth = yield* OAuth.OAuth
          const refreshes: Array<OAuth.RefreshInput> = []
          const recording: OAuth.Service = {
            ...oauth,
            refresh: (input) => Effect.zipRight(Effect.sync(() => refreshes.push(input)), oauth.refresh(input))
          }
          const session = yield* connection.openSession().pipe(Effect.provideService(OAuth.OAuth, recording))
          yield* TestClock.setTime(connection.tokens.expiresAt.getTime() - 30_000)
          const next = yield* session.accessToken
          expect(Redacted.value(next)).not.toBe(Redacted.value(connection.tokens.accessToken))
          expect(refreshes).toHaveLength(1)
          expect(refreshes[0]!.clientId).toBe(connection.connected.clientId)
          expect(refreshes[0]!.clientSecret && Redacted.value(refreshes[0]!.clientSecret)).toBe(Redacted.value(clientSecret))
        }))

      it.scoped("bad input: InvalidInputError naming the field, nothing sent", () =>
        Effect.gen(function*() {
          yield* Simulator.resetCounters
          const error = engine.name === "durable"
            ? yield* Effect.flip(Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) =>
              o.startOAuthConnect({ username: "someone@x.co", password, clientId: "bad\nclient" })))
            : yield* Effect.flip(Onboarding.connectOAuth({ username: "someone@x.co", password, clientId: "bad\nclient" }))
          expect(error).toMatchObject({ _tag: "InvalidInputError", field: "clientId" })
          expect((yield* Simulator.counters).received).toBe(0)
        }))
    })
  }

  it.scoped("durable: a connection is named by its user, client and nonce, never by another's whose parts join the same", () =>
    Effect.gen(function*() {
      const o = yield* DurableOnboarding.DurableOnboarding
      const username = fresh("keyed")
      yield* activeUser(username)
      const handle = yield* o.startOAuthConnect({ username, password, nonce: "n/m" })
      const connection = yield* ended(Effect.map(
        Effect.orDie(o.oauthConnectState(handle)),
        (s) => s._tag === "Succeeded" ? Option.some(s.result) : Option.none()
      ))
      // Another user ("<username>/n", a valid username) with nonce "m": no connection of theirs
      // was started, and the first user's is not theirs.
      const other = { username: `${username}/n`, nonce: "m" }
      expect((yield* o.oauthConnectState(other))._tag).toBe("Pending")
      const joined = yield* o.startOAuthConnect({ ...other, password: Redacted.make("not their password") })
      expect(joined.executionId).not.toBe(handle.executionId)
      expect(yield* liveOAuthTokens(username)).toEqual([Option.getOrThrow(connection.connected.tokenId)])
    }))

  it.scoped("a server whose token list does not show the access token's jti: after a lost exchange the flow revokes nothing, its own token stays live, reconciled false", () =>
    Effect.gen(function*() {
      const username = fresh("other-ids")
      yield* activeUser(username)
      // The token list names tokens by ids of its own (the spec does not say they are the jti).
      const tokens = yield* Tokens.Tokens
      const otherIds: Tokens.Service = {
        list: () => Effect.map(tokens.list(), (docs) => docs.map((d) => new TokenDocument({ ...d, tokenId: TokenId.make(`id-${d.tokenId}`) }))),
        revoke: (id) => tokens.revoke(id.replace(/^id-/, ""))
      }
      const connection = yield* Onboarding.connectOAuth({ username, password }).pipe(
        Effect.provideService(Tokens.Tokens, otherIds),
        withFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { dropAfter: { rate: 1, times: 1 } } }))
      )
      // The token it hands over works: the flow did not revoke it.
      const oauth = yield* OAuth.OAuth
      expect((yield* oauth.validate(connection.tokens.accessToken)).active).toBe(true)
      expect(yield* liveOAuthTokens(username)).toContain(Option.getOrThrow(connection.connected.tokenId))
      // It could not tell its token from the orphan: it says so.
      expect(connection.connected).toMatchObject({ lostExchanges: 1, orphansRevoked: [], reconciled: false })
    }))

  it.scoped("another connection of the user refreshes while the flow reconciles a lost exchange: its refreshed token is not taken for an orphan", () =>
    Effect.gen(function*() {
      const username = fresh("other-refresh")
      yield* activeUser(username)
      const oauth = yield* OAuth.OAuth
      // An earlier connection (another application's, made before the flow), with its own session.
      const earlier = yield* oauth.exchange({ code: (yield* oauth.authorize({ username, password })).code })
      // It refreshes while the flow runs (as the other application does when it will): after the
      // flow's first code, before its second.
      let refreshed: OAuth.OAuthTokens | undefined
      let codes = 0
      const refreshingMeanwhile: OAuth.Service = {
        ...oauth,
        authorize: (input) =>
          Effect.zipRight(
            ++codes === 2
              ? Effect.orDie(Effect.map(oauth.refresh({ refreshToken: Option.getOrThrow(earlier.refreshToken) }), (t) => {
                refreshed = t
              }))
              : Effect.void,
            oauth.authorize(input)
          )
      }
      const connection = yield* Onboarding.connectOAuth({ username, password }).pipe(
        Effect.provideService(OAuth.OAuth, refreshingMeanwhile),
        withFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { dropAfter: { rate: 1, times: 1 } } }))
      )
      expect(connection.connected).toMatchObject({ lostExchanges: 1, reconciled: true })
      expect(connection.connected.orphansRevoked).toHaveLength(1)
      // The other application's refreshed token still works; the flow's too.
      expect((yield* oauth.validate(refreshed!.accessToken)).active).toBe(true)
      expect((yield* oauth.validate(connection.tokens.accessToken)).active).toBe(true)
      expect((yield* liveOAuthTokens(username)).sort()).toEqual(
        [jwtId(earlier.accessToken)!, jwtId(refreshed!.accessToken)!, Option.getOrThrow(connection.connected.tokenId)].sort()
      )
    }))

  it.scoped("every exchange answer lost: OAuthNotConnectedError, every orphan revoked, no token left", () =>
    Effect.gen(function*() {
      const username = fresh("all-lost")
      yield* activeUser(username)
      const exit = yield* Effect.exit(
        Onboarding.connectOAuth({ username, password }).pipe(
          withFaults(Faults.on({ exchangeAuthorizationCodeWithAccess: { dropAfter: 1 } }))
        )
      )
      const error = yield* Effect.flip(exit)
      expect(error).toMatchObject({ _tag: "OAuthNotConnectedError", stage: "exchange", exchangesSent: 10, lostExchanges: 10, reconciled: true })
      expect(error.message).toContain("none remains")
      if (error._tag === "OAuthNotConnectedError") expect(error.orphansRevoked).toHaveLength(10)
      expect(yield* liveOAuthTokens(username)).toEqual([])
    }))
})
