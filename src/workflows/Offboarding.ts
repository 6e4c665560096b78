/**
 * Offboarding for an erasure request, as an administrator of the application: revoke consent
 * for every meter point of the user that still has it, then delete the user (which removes all
 * their accounts, and the tokens issued to them), and say exactly what this run removed.
 *
 * Rerunnable: each step reads the server's state first and acts only on what is still there, so
 * a rerun after a failure (or after success) removes nothing twice and reports what it found
 * (`alreadyRevoked`, `found: false`). Reconciles before it reports: after a revocation or a
 * delete whose answer was lost, it asks the server what holds before deciding what happened.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type { AccountId } from "../schema/Identifiers.js"
import { type UserMeterPointConsentRes } from "../schema/ConsentModels.js"
import { type GlowmarktError, mayHaveActed, UnexpectedResponseError } from "../schema/GlowmarktError.js"
import * as Consent from "../services/Consent.js"
import type { AdminAuth } from "../services/Credentials.js"
import * as Users from "../services/Users.js"

/**
 * What happened to one meter point's consent.
 *
 * - `revoked`: this run revoked it (the server confirmed it no longer holds);
 * - `alreadyRevoked`: it did not hold when this run looked (revoked before, or expired).
 *
 * @since 0.1.0
 */
export interface MeterPointOutcome {
  readonly mpxn: string
  readonly outcome: "revoked" | "alreadyRevoked"
}

/**
 * What one run of {@link offboard} did.
 *
 * @since 0.1.0
 */
export interface OffboardReport {
  readonly userId: string
  /** Whether the user was there when this run started; `false`: nothing to do, nothing done. */
  readonly found: boolean
  /** Every meter point the user had, and what this run did to it. */
  readonly meterPoints: ReadonlyArray<MeterPointOutcome>
  /** The accounts the user had, removed with the user by this run. */
  readonly accountsRemoved: ReadonlyArray<AccountId>
  /** Whether this run deleted the user (confirmed by a look-up that finds nothing). */
  readonly userDeleted: boolean
  /** Revocation requests sent (a bulk request counts once). */
  readonly revocationRequests: number
}

/**
 * What offboarding can fail with: any error of the calls it makes that it could not resolve by
 * asking the server (a credential refused, the server down for longer than the retries). Run it
 * again: it picks up where the server's state says it is.
 *
 * @category errors
 * @since 0.1.0
 */
export type OffboardError = Exclude<GlowmarktError, { readonly _tag: "InvalidConfigError" }>

/**
 * Options of {@link offboard}.
 *
 * @since 0.1.0
 */
export interface OffboardOptions {
  /** Revocation rounds at most: each re-reads the status and revokes what still holds (default 4). */
  readonly rounds?: number | undefined
}

const chunks = <A>(all: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size))
  return out
}

/**
 * Offboards one user by id (see the module's description).
 *
 * @since 0.1.0
 */
export const offboard = (
  userId: string,
  options?: OffboardOptions
): Effect.Effect<OffboardReport, OffboardError, Users.Users | Consent.Consent | AdminAuth> =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const consent = (yield* Consent.Consent).forUser(userId)
    const rounds = Math.max(1, options?.rounds ?? 4)
    const nothing = { userId, found: false, meterPoints: [], accountsRemoved: [], userDeleted: false, revocationRequests: 0 }

    const user = yield* Effect.option(users.getById(userId).pipe(Effect.catchTag("NotFoundError", () => Effect.fail(undefined))))
    if (user._tag === "None") return nothing satisfies OffboardReport
    const accounts = user.value.applications.flatMap((a) => (a.accountId === undefined ? [] : [a.accountId]))

    // Consent: what holds now; revoke it; re-read; again for what still holds.
    const consented = (status: UserMeterPointConsentRes) =>
      status.meterPointVerification.filter((m) => m.isVerified === true).map((m) => m.mpxn)
    const first = yield* consent.status()
    const all = first.meterPointVerification.map((m) => m.mpxn)
    const holding = consented(first)
    let pending = holding
    let revocationRequests = 0
    for (let round = 0; pending.length > 0; round++) {
      const last = round === rounds - 1
      for (const batch of chunks(pending, 100)) {
        revocationRequests++
        yield* consent.revokeAll(batch).pipe(
          // A lost answer, a refusal to start: the next status read says what holds. In the last
          // round, the error is the caller's (who can run the whole offboarding again).
          Effect.catchIf(
            (e) => !last && (mayHaveActed(e) || e._tag === "TransportError" || e._tag === "UnexpectedStatusError"),
            () => Effect.void
          )
        )
      }
      pending = consented(yield* consent.status())
      if (last && pending.length > 0) {
        return yield* new UnexpectedResponseError({
          operation: "renewMeterPointConsentRevokeBulk",
          status: 200,
          problem: `consent still holds for ${pending.length} meter point(s) after the revocation was accepted`
        })
      }
    }
    const meterPoints: Array<MeterPointOutcome> = all.map((mpxn) => ({
      mpxn,
      outcome: holding.includes(mpxn) ? "revoked" as const : "alreadyRevoked" as const
    }))

    // The user, with all their accounts and tokens. A delete whose answer was lost is replayed by
    // the client (a 404 on the replay means the first attempt deleted it); a look-up confirms.
    const deleted = yield* users.delete(userId).pipe(
      Effect.as(true),
      Effect.catchTag("NotFoundError", () => Effect.succeed(false)),
      Effect.catchIf((e) => mayHaveActed(e), () => Effect.succeed(undefined))
    )
    const gone = yield* users.getById(userId).pipe(Effect.as(false), Effect.catchTag("NotFoundError", () => Effect.succeed(true)))
    if (!gone) {
      // The delete did not happen (its answer was an error and the user is still there): again.
      yield* users.delete(userId)
    }
    return {
      userId,
      found: true,
      meterPoints,
      accountsRemoved: accounts,
      userDeleted: deleted !== false,
      revocationRequests
    } satisfies OffboardReport
  }).pipe(Effect.withSpan("Glowmarkt.flow.offboard", { attributes: { "glowmarkt.userId": userId } }))
