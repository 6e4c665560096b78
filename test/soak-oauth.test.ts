/**
 * OAuth connections that are true under faults, with the harness of `soak.test.ts`: the
 * simulator in its own process with every fault kind at 20 % on every operation (5xx, 429,
 * connections dropped before and after the request was handled, broken JSON, latency). Users
 * are made first, without faults; then OAuth connections run in memory (`Onboarding.connectOAuth`)
 * and durably (`DurableOnboarding.startOAuthConnect` on the memory engine), three fault seeds.
 * Then the faults are lifted and each report is checked against the simulator's own admin view
 * of the user's live tokens:
 *
 * - nothing lost: every flow has exactly one outcome;
 * - nothing duplicated: a connected user has exactly one live OAuth token, the one reported, and
 *   its access token works; none of the reported orphans is live;
 * - nothing misreported: a failure that says nothing was left (`OAuthNotConnectedError`, or an
 *   error for which `GlowmarktError.mayHaveActed` does not hold) leaves no live OAuth token; a
 *   failure for which the server could not be asked is counted `unknown`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import { mayHaveActed } from "../src/schema/GlowmarktError.js"
import * as OAuth from "../src/services/OAuth.js"
import type { UserSnapshot } from "../src/testing/Simulator.js"
import { CodeSource, Onboarding } from "../src/workflows/index.js"
import { clientOf, control, everyFault, inboxOf, simulatorProcess } from "./support/simulatorProcess.js"

const inMemoryFlows = 60
const durableFlows = 30

const passwordOf = (email: string) => Redacted.make(`pw of ${email}`)

type Outcome = Exit.Exit<Onboarding.OAuthConnection, { readonly _tag: string }>

const run = (seed: string) =>
  Effect.gen(function*() {
    const info = yield* simulatorProcess(seed)
    const inbox = inboxOf(info)
    const ClientLive = clientOf(info)
    const DurableLive = DurableOnboarding.layer({ pollInterval: "20 millis" }).pipe(
      Layer.provide(DurableEngine.layerMemory),
      Layer.provideMerge(ClientLive),
      Layer.orDie
    )

    // The users, without faults.
    const memoryEmails = Array.from({ length: inMemoryFlows }, (_, i) => `oauth-${i}@soak.example`)
    const durableEmails = Array.from({ length: durableFlows }, (_, i) => `oauth-durable-${i}@soak.example`)
    yield* Effect.forEach(
      [...memoryEmails, ...durableEmails],
      (email) =>
        Onboarding.registerAndVerify({ name: "Soak", username: email, email, password: passwordOf(email) }).pipe(
          Effect.provideService(CodeSource.CodeSource, inbox),
          Effect.orDie
        ),
      { concurrency: 10, discard: true }
    ).pipe(Effect.provide(ClientLive))

    yield* control(info, "/faults", { method: "PUT", body: everyFault })
    const [memoryExits, durableExits] = yield* Effect.all([
      Effect.forEach(
        memoryEmails,
        (email) => Effect.exit(Onboarding.connectOAuth({ username: email, password: passwordOf(email) })),
        { concurrency: 10 }
      ),
      Effect.flatMap(DurableOnboarding.DurableOnboarding, (o) =>
        Effect.forEach(
          durableEmails,
          (email) =>
            Effect.flatMap(Effect.orDie(o.startOAuthConnect({ username: email, password: passwordOf(email) })), (flow) =>
              Effect.exit(o.oauthConnectResult(flow))),
          { concurrency: 10 }
        ))
    ], { concurrency: 2 }).pipe(Effect.provide(DurableLive))
    yield* control(info, "/faults", { method: "PUT", body: {} })

    const users: ReadonlyArray<UserSnapshot> = yield* control(info, "/users")
    const counters = yield* control(info, "/counters")
    // Every reported access token works, asked without faults.
    const valid = yield* Effect.forEach(
      [...memoryExits, ...durableExits] as ReadonlyArray<Outcome>,
      (exit) =>
        Exit.isSuccess(exit)
          ? Effect.flatMap(OAuth.OAuth, (o) => o.validate(exit.value.tokens.accessToken)).pipe(
            Effect.map((v) => Option.some(v.userId as string)),
            Effect.orElseSucceed(() => Option.none<string>())
          )
          : Effect.succeed(Option.none<string>()),
      { concurrency: 10 }
    ).pipe(Effect.provide(ClientLive))
    return {
      emails: [...memoryEmails, ...durableEmails],
      exits: [...memoryExits, ...durableExits] as ReadonlyArray<Outcome>,
      valid,
      users,
      counters
    }
  }).pipe(Effect.scoped)

describe("OAuth connections that are true, every fault at 20 %, the simulator in its own process", () => {
  for (const seed of ["soak-oauth-1", "soak-oauth-2", "soak-oauth-3"]) {
    it.live(`seed ${seed}: ${inMemoryFlows} in-memory and ${durableFlows} durable connections, checked against the server's tokens`, () =>
      Effect.gen(function*() {
        const { counters, emails, exits, users, valid } = yield* run(seed)
        const byName = new Map(users.map((u) => [u.username, u]))
        expect(counters.faults.dropAfter).toBeGreaterThan(20)

        // Nothing lost: one outcome per flow.
        expect(exits).toHaveLength(emails.length)
        const tally = { connected: 0, lostExchanges: 0, orphansRevoked: 0, unreconciled: 0, notConnected: 0, failed: 0, unknown: 0 }
        let duplicated = 0
        let misreported = 0
        // Every token pair the server issued: held by a flow, revoked by one, or said to may remain.
        let revokedTotal = 0
        let mayRemainTotal = 0
        let liveTotal = 0
        exits.forEach((exit, i) => {
          const email = emails[i]!
          const user = byName.get(email)
          expect(user, email).toBeDefined()
          const live = user!.tokens.filter((t) => t.framework === "oauth").map((t) => t.tokenId)
          liveTotal += live.length
          if (Exit.isSuccess(exit)) {
            const { connected } = exit.value
            tally.connected++
            tally.lostExchanges += connected.lostExchanges
            tally.orphansRevoked += connected.orphansRevoked.length
            if (!connected.reconciled) tally.unreconciled++
            // The report's token is the live one, and it works.
            if (Option.getOrNull(connected.tokenId) === null || !live.includes(Option.getOrThrow(connected.tokenId))) misreported++
            if (Option.getOrNull(valid[i]!) !== user!.userId) misreported++
            // The orphans it reports revoked are not live.
            if (connected.orphansRevoked.some((id) => live.includes(id))) misreported++
            // One live pair per flow; a report that says it could not finish reconciling may
            // leave the orphans it did not revoke, and no more.
            const mayRemain = connected.reconciled ? 0 : connected.lostExchanges - connected.orphansRevoked.length
            revokedTotal += connected.orphansRevoked.length
            mayRemainTotal += mayRemain
            if (live.length > 1 + mayRemain) duplicated++
            return
          }
          const error = Option.getOrThrow(Exit.causeOption(exit).pipe(
            Option.flatMap((c) => Option.fromNullable(c._tag === "Fail" ? c.error : undefined))
          ))
          if (mayHaveActed(error)) {
            tally.unknown++
            return
          }
          if (error._tag === "OAuthNotConnectedError") {
            const e = error as unknown as { readonly reconciled: boolean; readonly lostExchanges: number; readonly orphansRevoked: ReadonlyArray<string> }
            tally.notConnected++
            revokedTotal += e.orphansRevoked.length
            if (!e.reconciled) mayRemainTotal += e.lostExchanges - e.orphansRevoked.length
            if (e.orphansRevoked.some((id) => live.includes(id))) misreported++
            // Nothing left, or, when it says it could not finish, no more than it says may remain.
            if (e.reconciled ? live.length > 0 : live.length > e.lostExchanges - e.orphansRevoked.length) misreported++
            if (!e.reconciled) tally.unreconciled++
            return
          }
          tally.failed++
          // A failure that says nothing was done: the server agrees.
          if (live.length > 0) misreported++
        })
        console.log(
          `[soak-oauth ${seed}] ${JSON.stringify(tally)}; lost 0, duplicated ${duplicated}, misreported ${misreported}; ` +
            `pairs issued ${counters.byOperation.exchangeAuthorizationCodeWithAccess.succeeded}, live ${liveTotal}`
        )
        expect(duplicated).toBe(0)
        expect(misreported).toBe(0)
        // Nothing issued goes unaccounted for: each pair the server issued is the one a flow
        // reported, or an orphan a flow revoked, or one a flow said may remain.
        const issued = counters.byOperation.exchangeAuthorizationCodeWithAccess.succeeded
        expect(issued).toBeGreaterThanOrEqual(tally.connected + revokedTotal)
        expect(issued).toBeLessThanOrEqual(tally.connected + revokedTotal + mayRemainTotal)
        expect(liveTotal).toBeGreaterThanOrEqual(tally.connected)
        expect(liveTotal).toBeLessThanOrEqual(tally.connected + mayRemainTotal)
        // The faults did their work: some exchanges were lost, and their orphans revoked.
        expect(tally.lostExchanges).toBeGreaterThan(0)
        expect(tally.orphansRevoked).toBeGreaterThan(0)
      }), 240_000)
  }
})
