/**
 * Offboarding against the simulator, over loopback: consent revoked, the user's tokens revoked
 * by id (with the user's credentials) or ended with the accounts and the user, the accounts
 * removed one by one, the user deleted; each report field checked against the simulator's admin
 * views (users, accounts, tokens); rerunnable; and under 20 % injected faults, 0 users lost, 0
 * revocations duplicated, 0 reports that the server contradicts.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Accounts from "../src/services/Accounts.js"
import * as Auth from "../src/services/Auth.js"
import * as Consent from "../src/services/Consent.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Tokens from "../src/services/Tokens.js"
import * as Users from "../src/services/Users.js"
import type { TokenDocument } from "../src/schema/OAuthModels.js"
import * as Offboarding from "../src/workflows/Offboarding.js"
import * as Faults from "../src/testing/Faults.js"
import * as Simulator from "../src/testing/Simulator.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, Simulator.layerAdmin("appKeys")).pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "offboarding", retry: { times: 2, baseDelay: "2 millis", maxDelay: "20 millis" } })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const meterPoints = (i: number) => [`${1000000 + i}`, `${1200023300000 + i}`, `${100000000000000000000n + BigInt(i)}`]

/** A user (admin-created) with three meter points consented, and one more whose consent was revoked. */
const householdUser = (username: string, i: number) =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const consent = yield* Consent.Consent
    const user = yield* users.create({ username })
    const own = consent.forUser(user.userId)
    yield* own.renewAll(meterPoints(i))
    const old = `${2000000 + i}`
    yield* own.renew(old)
    yield* own.revoke(old)
    return { userId: user.userId, consented: meterPoints(i), revoked: [old] }
  })

const pw = Redacted.make("pw-offboard-1")

const snapshotOf = (userId: string) => Effect.map(Simulator.users, (all) => all.find((u) => u.userId === userId))

/** The admin view of a user's accounts removed by `DELETE /account/{id}`. */
const accountsDeletedOf = (userId: string) =>
  Effect.map(Simulator.accounts, (all) =>
    all.filter((a) => a.userId === userId && a.removedBy === "deleteAccount").map((a) => a.accountId))

/** The admin view of a user's tokens. */
const tokensOf = (userId: string) => Effect.map(Simulator.tokens, (all) => all.filter((t) => t.userId === userId))

/** A user who registered and verified, with a password (to ask for their own erasure). */
const selfRegistered = (username: string) =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const registered = yield* users.register({ name: "T", username, email: username, password: pw })
    const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next(username, { timeout: "5 seconds" }))
    yield* users.verify({ username, password: pw, code })
    return registered.userId
  })

layer(TestLive, { excludeTestServices: true })("Offboarding against the simulator", (it) => {
  describe("one user", () => {
    it.effect("revokes every consent, deletes the user with its accounts; a rerun finds nothing to do", () =>
      Effect.gen(function*() {
        const { consented, revoked, userId } = yield* householdUser("erase-me@x.co", 1)
        const before = (yield* snapshotOf(userId))!
        expect(before.meterPoints.filter((m) => m.consented).map((m) => m.mpxn)).toEqual(consented)
        const report = yield* Offboarding.offboard(userId)
        expect(report).toMatchObject({ userId, found: true, userDeleted: true, revocationRequests: 1 })
        expect(report.meterPoints).toEqual([
          ...consented.map((mpxn) => ({ mpxn, outcome: "revoked" })),
          ...revoked.map((mpxn) => ({ mpxn, outcome: "alreadyRevoked" }))
        ])
        expect(report.accountsRemoved).toEqual(before.accounts.map((a) => a.accountId))
        // Each account was removed by its own delete, as the report says; then the user.
        expect(report.accountsRemoved).toEqual(yield* accountsDeletedOf(userId))
        expect(report.tokens).toBe("endedWithAccounts")
        expect(report.tokensRevoked).toEqual([])
        expect(yield* snapshotOf(userId)).toBeUndefined()
        const again = yield* Offboarding.offboard(userId)
        expect(again).toEqual({
          userId,
          found: false,
          meterPoints: [],
          tokens: "untouched",
          tokensRevoked: [],
          accountsRemoved: [],
          userDeleted: false,
          revocationRequests: 0
        })
      }))

    it.effect("the user's tokens, JWT and OAuth, stop working with the user", () =>
      Effect.gen(function*() {
        const users = yield* Users.Users
        const auth = yield* Auth.Auth
        const oauth = yield* OAuth.OAuth
        const registered = yield* users.register({ name: "T", username: "tokens-gone@x.co", email: "tokens-gone@x.co", password: pw })
        const { code } = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next("tokens-gone@x.co", { timeout: "5 seconds" }))
        yield* users.verify({ username: "tokens-gone@x.co", password: pw, code })
        const jwt = yield* auth.login({ username: "tokens-gone@x.co", password: pw })
        const grant = yield* oauth.authorize({ username: "tokens-gone@x.co", password: pw })
        const access = yield* oauth.exchange({ code: grant.code })
        expect((yield* snapshotOf(registered.userId))!.tokens).toHaveLength(2)
        const report = yield* Offboarding.offboard(registered.userId)
        expect(report).toMatchObject({ found: true, userDeleted: true, tokens: "endedWithAccounts", tokensRevoked: [] })
        // The admin view: none of the user's tokens is valid; each ended with its account (the
        // JWT's and the OAuth token's, both issued for the user's account).
        const tokens = yield* tokensOf(registered.userId)
        expect(tokens).toHaveLength(2)
        expect(tokens.map((t) => [t.live, t.endedBy])).toEqual([[false, "accountDeleted"], [false, "accountDeleted"]])
        // And the server says so to whoever presents them.
        expect((yield* Effect.flip(auth.check(jwt.token)))._tag).toBe("TokenRejectedError")
        expect((yield* Effect.flip(oauth.validate(access.accessToken)))._tag).toBe("TokenRejectedError")
        expect((yield* Effect.flip(oauth.refresh({ refreshToken: Option.getOrThrow(access.refreshToken) })))._tag).toBe(
          "CodeRejectedError"
        )
      }))

    it.effect("with the user's own credentials: every token revoked by id, exactly as reported", () =>
      Effect.gen(function*() {
        const auth = yield* Auth.Auth
        const oauth = yield* OAuth.OAuth
        const consent = yield* Consent.Consent
        const userId = yield* selfRegistered("self-erase@x.co")
        yield* consent.forUser(userId).renewAll(meterPoints(7))
        const jwt1 = yield* auth.login({ username: "self-erase@x.co", password: pw })
        yield* auth.login({ username: "self-erase@x.co", password: pw })
        const grant = yield* oauth.authorize({ username: "self-erase@x.co", password: pw })
        const access = yield* oauth.exchange({ code: grant.code })
        const liveBefore = (yield* tokensOf(userId)).filter((t) => t.live).map((t) => t.tokenId)
        expect(liveBefore).toHaveLength(3)
        const accounts = (yield* snapshotOf(userId))!.accounts.map((a) => a.accountId)

        const report = yield* Offboarding.offboard(userId, { credentials: { username: "self-erase@x.co", password: pw } })
        expect(report).toMatchObject({ userId, found: true, userDeleted: true, tokens: "revokedById", revocationRequests: 1 })
        expect(report.meterPoints.map((m) => m.outcome)).toEqual(["revoked", "revoked", "revoked"])
        const after = yield* tokensOf(userId)
        // Exactly the tokens the report names were revoked by id: the three the user had, and
        // the one the run logged in with to list them.
        expect([...report.tokensRevoked].sort()).toEqual(after.filter((t) => t.endedBy === "deleteTokenById").map((t) => t.tokenId).sort())
        expect(report.tokensRevoked).toHaveLength(4)
        for (const id of liveBefore) expect(report.tokensRevoked).toContain(id)
        // The session the revocations were made with revoked its own token; nothing is left.
        expect(after.filter((t) => t.endedBy === "deleteToken")).toHaveLength(1)
        expect(after.filter((t) => t.live)).toEqual([])
        expect(report.accountsRemoved).toEqual(accounts)
        expect(yield* accountsDeletedOf(userId)).toEqual(accounts)
        expect(yield* snapshotOf(userId)).toBeUndefined()
        expect((yield* Effect.flip(auth.check(jwt1.token)))._tag).toBe("TokenRejectedError")
        expect((yield* Effect.flip(oauth.validate(access.accessToken)))._tag).toBe("TokenRejectedError")
      }))

    it.effect("another user's credentials are refused before anything is changed", () =>
      Effect.gen(function*() {
        const consent = yield* Consent.Consent
        const victim = yield* selfRegistered("victim@x.co")
        yield* selfRegistered("other@x.co")
        yield* consent.forUser(victim).renewAll(meterPoints(8))
        const error = yield* Effect.flip(
          Offboarding.offboard(victim, { credentials: { username: "other@x.co", password: pw } })
        )
        expect(error).toMatchObject({ _tag: "InvalidInputError", field: "credentials" })
        const still = (yield* snapshotOf(victim))!
        expect(still.meterPoints.every((m) => m.consented)).toBe(true)
        expect(still.accounts).toHaveLength(1)
        // A wrong password is refused by the login, before anything is changed too.
        const wrong = yield* Effect.flip(
          Offboarding.offboard(victim, { credentials: { username: "victim@x.co", password: Redacted.make("wrong-pw-1") } })
        )
        expect(wrong._tag).toBe("InvalidCredentialsError")
        expect((yield* snapshotOf(victim))!.meterPoints.every((m) => m.consented)).toBe(true)
      }))

    it.effect("a server whose token documents leave out the userId: another user's credentials are still refused, nothing changed", () =>
      Effect.gen(function*() {
        const consent = yield* Consent.Consent
        const tokens = yield* Tokens.Tokens
        const victim = yield* selfRegistered("victim-2@x.co")
        const other = yield* selfRegistered("other-2@x.co")
        yield* consent.forUser(victim).renewAll(meterPoints(9))
        const otherLive = (yield* tokensOf(other)).filter((t) => t.live).map((t) => t.tokenId)
        // The spec's TokenDocument has every field optional: a server may list tokens without
        // the userId they belong to.
        const withoutUserIds: Tokens.Service = {
          ...tokens,
          list: () => Effect.map(tokens.list(), (documents) => documents.map(({ userId: _, ...rest }) => rest as TokenDocument))
        }
        const error = yield* Effect.flip(
          Offboarding.offboard(victim, { credentials: { username: "other-2@x.co", password: pw } }).pipe(
            Effect.provideService(Tokens.Tokens, withoutUserIds)
          )
        )
        expect(error).toMatchObject({ _tag: "InvalidInputError", field: "credentials" })
        // The admin views: the victim untouched, and none of the other user's tokens revoked.
        const still = (yield* snapshotOf(victim))!
        expect(still.meterPoints.every((m) => m.consented)).toBe(true)
        expect(still.accounts).toHaveLength(1)
        expect(yield* accountsDeletedOf(victim)).toEqual([])
        const otherAfter = yield* tokensOf(other)
        expect(otherAfter.filter((t) => t.endedBy === "deleteTokenById" || t.endedBy === "deleteToken")).toEqual([])
        for (const id of otherLive) expect(otherAfter.find((t) => t.tokenId === id)?.live).toBe(true)
        // The user's own credentials still work with such a server.
        const report = yield* Offboarding.offboard(victim, { credentials: { username: "victim-2@x.co", password: pw } }).pipe(
          Effect.provideService(Tokens.Tokens, withoutUserIds)
        )
        expect(report).toMatchObject({ found: true, tokens: "revokedById", userDeleted: true })
        expect((yield* tokensOf(victim)).filter((t) => t.live)).toEqual([])
      }))

    it.effect("a rerun after the accounts were removed deletes the user; the tokens ended with the accounts", () =>
      Effect.gen(function*() {
        const accountsService = yield* Accounts.Accounts
        const userId = yield* selfRegistered("half-done@x.co")
        const [account] = (yield* snapshotOf(userId))!.accounts
        // An earlier run that removed the account and stopped there.
        yield* accountsService.delete(account!.accountId)
        const report = yield* Offboarding.offboard(userId, { credentials: { username: "half-done@x.co", password: pw } })
        expect(report).toMatchObject({ found: true, accountsRemoved: [], tokens: "endedWithAccounts", userDeleted: true })
        expect(yield* snapshotOf(userId)).toBeUndefined()
      }))

    it.effect("rounds that are not a whole number from 1 to 20 are refused before anything is sent", () =>
      Effect.gen(function*() {
        yield* Simulator.resetCounters
        for (const rounds of [Number.NaN, 2.5, Number.POSITIVE_INFINITY, 0, 21]) {
          const error = yield* Effect.flip(Offboarding.offboard("someone", { rounds }))
          expect(error, String(rounds)).toMatchObject({ _tag: "InvalidInputError", field: "options.rounds" })
        }
        expect((yield* Simulator.counters).received).toBe(0)
      }))

    it.effect("a user without meter points is deleted without a revocation request", () =>
      Effect.gen(function*() {
        const users = yield* Users.Users
        const user = yield* users.create({ username: "no-meters@x.co" })
        const report = yield* Offboarding.offboard(user.userId)
        expect(report).toMatchObject({ found: true, meterPoints: [], userDeleted: true, revocationRequests: 0 })
        expect(yield* snapshotOf(user.userId)).toBeUndefined()
      }))
  })

  describe("under 20 % faults", () => {
    it.effect("30 users: 0 lost, 0 revocations duplicated, 0 reports the server contradicts", () =>
      Effect.gen(function*() {
        const people = yield* Effect.forEach(
          Array.from({ length: 30 }, (_, i) => i),
          (i) => householdUser(`faulty-${i}@x.co`, 100 + i),
          { concurrency: 4 }
        )
        const accountsOf = new Map<string, ReadonlyArray<string>>()
        for (const p of people) accountsOf.set(p.userId, (yield* snapshotOf(p.userId))!.accounts.map((a) => a.accountId))
        yield* Simulator.resetCounters
        yield* Simulator.setFaults(Faults.everywhere({
          serverError: 0.05,
          serverErrorStatuses: [500, 502, 503],
          rateLimit: 0.05,
          retryAfter: 0,
          dropBefore: 0.05,
          dropAfter: 0.05
        }))
        // The caller reruns a run that failed, as an operator would: each successful run's report is kept.
        const reports = yield* Effect.forEach(people, (p) =>
          Effect.gen(function*() {
            const runs: Array<Offboarding.OffboardReport> = []
            let failures = 0
            while (runs.length === 0) {
              const exit = yield* Effect.either(Offboarding.offboard(p.userId))
              if (exit._tag === "Right") runs.push(exit.right)
              else if (++failures > 20) return yield* Effect.die(exit.left)
            }
            return { person: p, report: runs[0]!, failures }
          }), { concurrency: 4 })
        yield* Simulator.setFaults(Faults.none)
        const counters = yield* Simulator.counters
        expect(counters.faults.serverError + counters.faults.dropAfter + counters.faults.dropBefore).toBeGreaterThan(0)

        // 0 lost: every user is gone from the admin view.
        const remaining = yield* Simulator.users
        for (const { person } of reports) expect(remaining.find((u) => u.userId === person.userId)).toBeUndefined()
        // 0 duplicated: one accepted bulk revocation per user (each had consents to revoke).
        expect(counters.byOperation.renewMeterPointConsentRevokeBulk?.succeeded).toBe(people.length)
        // 0 misreported: what a report claims is what the server's state allowed.
        for (const { failures, person, report } of reports) {
          if (!report.found) {
            // An earlier run deleted the user and failed after: the report says nothing was done.
            expect(report).toMatchObject({ meterPoints: [], accountsRemoved: [], userDeleted: false })
            continue
          }
          for (const m of report.meterPoints) {
            if (m.outcome === "revoked") expect(person.consented).toContain(m.mpxn)
            else expect([...person.revoked, ...person.consented]).toContain(m.mpxn)
          }
          expect(report.meterPoints.map((m) => m.mpxn).sort()).toEqual([...person.consented, ...person.revoked].sort())
          expect(report.userDeleted).toBe(true)
          // Every account the report names was removed by its delete; a first run that
          // succeeded removed them all (a run after a failed one may find them gone already).
          const deleted = yield* accountsDeletedOf(person.userId)
          expect(deleted).toEqual(accountsOf.get(person.userId))
          for (const a of report.accountsRemoved) expect(deleted).toContain(a)
          if (failures === 0) expect(report.accountsRemoved).toEqual(deleted)
        }
      }), { timeout: 60_000 })
  })
})
