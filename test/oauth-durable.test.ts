/**
 * The OAuth connection as a durable workflow: `DurableOnboarding.startOAuthConnect` on the
 * SQLite engine, in this process. A first "process" (one build of the engine's layers on a file)
 * gets a code, sends the exchange (the server issues a token pair) and stops before the answer
 * is stored (its layers are torn down while the step hangs). A second one on the same file
 * resumes: the stored code is found spent, so it counts a lost exchange, gets a new code,
 * exchanges it, and revokes the pair the first process never stored. The simulator ends with
 * one live OAuth pair for the user, the one reported; the engine's file holds no password,
 * code or token in clear.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, layer } from "@effect/vitest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { jwtId } from "../src/workflows/internal/flows.js"
import { until, without } from "./support/waitFor.js"

const TestLive = Glowmarkt.layer.pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "oauth-durable" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const secretKey = Redacted.make("oauth-durable-test-key")

/** One "process": the durable service and its workflows on the SQLite file, with `oauth`. */
const processOn = (filename: string, oauth: OAuth.Service) =>
  DurableOnboarding.layer({ pollInterval: "20 millis", secretKey }).pipe(
    Layer.provide(Layer.succeed(OAuth.OAuth, oauth)),
    Layer.provide(DurableEngine.layerSqlite({ filename, pollInterval: "50 millis", lockExpiration: "2 seconds" }))
  )

const liveOAuthTokens = (username: string) =>
  Effect.map(Effect.flatMap(Simulator.Simulator, (s) => s.user(username)), (u) =>
    Option.match(u, { onNone: () => [], onSome: (user) => user.tokens.filter((t) => t.framework === "oauth").map((t) => t.tokenId) }))

layer(TestLive, { excludeTestServices: true })("durable OAuth connection", (it) => {
  it.effect("stopped after the exchange was sent, resumed by another process: the orphan pair revoked, one pair left, nothing in clear", () =>
    Effect.acquireUseRelease(
      Effect.sync(() => mkdtempSync(join(tmpdir(), "glowmarkt-oauth-"))),
      (dir) =>
        Effect.gen(function*() {
          const filename = join(dir, "durable.sqlite")
          const username = "durable-oauth@x.co"
          const password = Redacted.make("the durable oauth password")
          const users = yield* Users.Users
          yield* users.register({ name: "Ada", username, email: username, password })
          yield* users.verify({ username, password, code: (yield* Effect.flatMap(Inbox.Inbox, (i) => i.next(username))).code })
          const oauth = yield* OAuth.OAuth
          yield* Simulator.resetCounters

          // Process A: its exchange reaches the server, and A stops before storing the answer.
          const codes: Array<string> = []
          const issuedToA: Array<OAuth.OAuthTokens> = []
          const recording = (stopAfterExchange: boolean): OAuth.Service => ({
            ...oauth,
            authorize: (input) => Effect.tap(oauth.authorize(input), (g) => Effect.sync(() => codes.push(Redacted.value(g.code)))),
            exchange: (input) =>
              stopAfterExchange
                ? Effect.zipRight(Effect.tap(oauth.exchange(input), (t) => Effect.sync(() => issuedToA.push(t))), Effect.never)
                : oauth.exchange(input)
          })
          const scopeA = yield* Scope.make()
          const a = yield* Layer.buildWithScope(processOn(filename, recording(true)), scopeA).pipe(without(OAuth.OAuth))
          const onboardingA = Context.get(a, DurableOnboarding.DurableOnboarding)
          const flow = yield* onboardingA.startOAuthConnect({ username, password })
          yield* until("process A's exchange was handled", Effect.sync(() => issuedToA.length === 1 ? Option.some(true) : Option.none()))
          expect((yield* onboardingA.oauthConnectState(flow))._tag).toBe("Pending")
          const orphan = jwtId(issuedToA[0]!.accessToken)!
          expect(yield* liveOAuthTokens(username)).toEqual([orphan])
          yield* Scope.close(scopeA, Exit.void)

          // Process B, on the same file, with a working OAuth: the flow resumes and ends.
          const connection = yield* Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) => o.oauthConnectResult(flow)).pipe(
            Effect.provide(processOn(filename, recording(false))),
            without(OAuth.OAuth),
            Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error("the flow did not resume") })
          )
          expect(connection.connected).toMatchObject({
            username,
            codesIssued: 2,
            exchangesSent: 2,
            lostExchanges: 1,
            orphansRevoked: [orphan],
            reconciled: true
          })
          const ours = Option.getOrThrow(connection.connected.tokenId)
          expect(ours).toBe(jwtId(connection.tokens.accessToken))
          expect(yield* liveOAuthTokens(username)).toEqual([ours])
          expect((yield* oauth.validate(connection.tokens.accessToken)).active).toBe(true)
          const counters = yield* Simulator.counters
          // The first code was sent twice (by A, and by B's replay of the step, refused as spent).
          expect(counters.byOperation.exchangeAuthorizationCodeWithAccess).toMatchObject({ received: 3, succeeded: 2 })
          expect(counters.byOperation.deleteTokenById?.succeeded).toBe(1)
          expect(codes).toHaveLength(2)

          // The host can open a session on the tokens; a refresh works from them.
          const session = yield* connection.openSession()
          expect(Redacted.value(yield* session.accessToken)).toBe(Redacted.value(connection.tokens.accessToken))

          // The engine's file holds no secret in clear, nor in base64: the password, the codes,
          // the tokens of the result and of the orphan pair.
          const stored = Buffer.concat(
            readdirSync(dir).filter((f) => f.startsWith("durable.sqlite")).map((f) => readFileSync(join(dir, f)))
          ).toString("latin1")
          expect(stored).toContain(username)
          const secrets = [
            Redacted.value(password),
            ...codes,
            ...[connection.tokens, issuedToA[0]!].flatMap((t) => [
              Redacted.value(t.accessToken),
              // The JWT's signature: what makes the token unique.
              Redacted.value(t.accessToken).split(".")[2]!,
              ...Option.toArray(t.refreshToken).map(Redacted.value)
            ])
          ]
          for (const secret of secrets) {
            expect(stored).not.toContain(secret)
            expect(stored).not.toContain(Buffer.from(secret).toString("base64"))
          }
        }),
      (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
    ), { timeout: 90_000 })
})
