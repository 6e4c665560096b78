/**
 * Outcomes that are true under faults. The simulator runs as a separate process with every
 * fault kind at 20 % on every operation (5xx, 429, connections dropped before and after the
 * request was handled, broken JSON, and latency); 200 register -> verify flows and a
 * 1,000-user bulk import run against it, for three fault seeds. Then the faults are lifted and
 * each report is checked against the simulator's own admin view of its users:
 *
 * - nothing lost: every flow and every record has exactly one report;
 * - nothing duplicated: one user per username, created once;
 * - nothing misreported: `verified` / `created` / `existing` only for users the server has
 *   (active, with the reported id), `failed` only for users it does not have; a failure for
 *   which the server could not be asked is reported as such (`unknown`, or an error for which
 *   `GlowmarktError.mayHaveActed` holds), never as a failure that surely did not happen.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Stream from "effect/Stream"
import { NodeContext } from "@effect/platform-node"
import { mayHaveActed } from "../src/schema/GlowmarktError.js"
import * as Credentials from "../src/services/Credentials.js"
import type { UserSnapshot } from "../src/testing/Simulator.js"
import { BulkImport, CodeSource, Onboarding } from "../src/workflows/index.js"
import { clientOf, control, everyFault, inboxOf, simulatorProcess } from "./support/simulatorProcess.js"

const flows = 200
const records = 1000

const run = (seed: string) =>
  Effect.gen(function*() {
    const info = yield* simulatorProcess(seed)
    const admin = Credentials.AdminCredential.appKeys(info.appKeys).pipe(
      (e) => (e._tag === "Right" ? e.right : (() => {
        throw e.left
      })())
    )
    // The codes, read from the simulator's inbox over HTTP: the newest of the right kind.
    const inbox = inboxOf(info)
    const ClientLive = clientOf(info)

    yield* control(info, "/faults", { method: "PUT", body: everyFault })

    // 200 flows.
    const emails = Array.from({ length: flows }, (_, i) => `flow-${i}@soak.example`)
    const flowExits = yield* Effect.forEach(
      emails,
      (email) =>
        Onboarding.registerAndVerify({ name: "Soak", username: email, email, password: Redacted.make(`pw of ${email}`) }).pipe(
          Effect.provideService(CodeSource.CodeSource, inbox),
          Effect.exit
        ),
      { concurrency: 25 }
    ).pipe(Effect.provide(ClientLive), Credentials.withAdmin(admin))

    // A 1,000-user import.
    const importResults = yield* BulkImport.stream(
      Stream.range(0, records - 1).pipe(Stream.map((i) => ({ username: `import-${i}@soak.example` }))),
      { concurrency: 8, ratePerSecond: 100_000, retry: { baseDelay: "5 millis", maxDelay: "20 millis" } }
    ).pipe(Stream.runCollect, Effect.map(Chunk.toReadonlyArray), Effect.provide(ClientLive), Credentials.withAdmin(admin), Effect.provide(NodeContext.layer))

    yield* control(info, "/faults", { method: "PUT", body: {} })
    const users: ReadonlyArray<UserSnapshot> = yield* control(info, "/users")
    const counters = yield* control(info, "/counters")
    return { emails, flowExits, importResults, users, counters }
  }).pipe(Effect.scoped)

describe("outcomes that are true, every fault at 20 %, the simulator in its own process", () => {
  for (const seed of ["soak-1", "soak-2", "soak-3"]) {
    it.live(`seed ${seed}: 200 flows and a 1,000-user import, checked against the server's users`, () =>
      Effect.gen(function*() {
        const { counters, emails, flowExits, importResults, users } = yield* run(seed)
        const byName = new Map<string, Array<UserSnapshot>>()
        for (const u of users) byName.set(u.username, [...(byName.get(u.username) ?? []), u])
        const one = (username: string) => byName.get(username) ?? []

        // Nothing duplicated: one user per username.
        for (const [username, same] of byName) expect(same, username).toHaveLength(1)
        expect(counters.faults.dropAfter).toBeGreaterThan(100)

        // The flows: nothing lost, nothing misreported.
        expect(flowExits).toHaveLength(flows)
        const tally = { verified: 0, alreadyVerified: 0, unknown: 0, failed: 0 }
        flowExits.forEach((exit, i) => {
          const [user] = one(emails[i]!)
          if (Exit.isSuccess(exit)) {
            tally[exit.value.outcome]++
            expect(user?.status, emails[i]).toBe("active")
            expect(Option.getOrNull(exit.value.userId), emails[i]).toBe(user?.userId)
            return
          }
          const error = Option.getOrThrow(Exit.causeOption(exit).pipe(Option.flatMap((c) => Option.fromNullable(c._tag === "Fail" ? c.error : undefined))))
          if (mayHaveActed(error)) {
            tally.unknown++
          } else {
            tally.failed++
            // A failure that says the work surely was not done: the server agrees.
            expect(user?.status, `${emails[i]}: ${error._tag}`).not.toBe("active")
          }
        })
        // A flow that verified the user does not come back as "already verified".
        expect(tally.alreadyVerified).toBe(0)

        // The import: every record exactly once, each outcome as the server has it.
        expect(importResults).toHaveLength(records)
        expect(new Set(importResults.map((r) => r.record)).size).toBe(records)
        const outcome = { Created: 0, Existing: 0, Failed: 0, Unknown: 0, Skipped: 0 }
        for (const r of importResults) {
          outcome[r._tag]++
          if (r._tag === "Created" || r._tag === "Existing") {
            const [user] = one(r.username)
            expect(user, r.username).toBeDefined()
            if (Option.isSome(r.userId)) expect(r.userId.value).toBe(user?.userId)
          }
          if (r._tag === "Failed") {
            expect(Option.isSome(r.username) ? one(r.username.value) : [], `record ${r.record}: ${r.error._tag}`).toHaveLength(0)
          }
        }
        // Every user the import made was reported as made (created, or unknown: to check).
        const imported = users.filter((u) => u.username.startsWith("import-")).length
        expect(imported).toBeGreaterThanOrEqual(outcome.Created + outcome.Existing)
        expect(imported).toBeLessThanOrEqual(outcome.Created + outcome.Existing + outcome.Unknown)
        console.log(`[soak ${seed}] flows ${JSON.stringify(tally)}; import ${JSON.stringify(outcome)}; users ${users.length}`)
      }), 240_000)
  }
})
