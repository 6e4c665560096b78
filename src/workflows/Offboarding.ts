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
import { type GlowmarktError, InvalidInputError } from "../schema/GlowmarktError.js"
import type { AccountId } from "../schema/Identifiers.js"
import type * as Consent from "../services/Consent.js"
import type { AdminAuth } from "../services/Credentials.js"
import type * as Users from "../services/Users.js"
import * as Flows from "./internal/flows.js"

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

/**
 * Offboards one user by id (see the module's description). The flow is the same as the durable
 * one (`DurableOnboarding.startOffboarding`): here each step runs as is.
 *
 * @since 0.1.0
 */
export const offboard = (
  userId: string,
  options?: OffboardOptions
): Effect.Effect<OffboardReport, OffboardError, Users.Users | Consent.Consent | AdminAuth> =>
  Effect.flatMap(Effect.context<Flows.OffboardStepContext>(), (context) => {
    const rounds = options?.rounds ?? 4
    // A whole number of rounds, as the durable flow's payload requires: NaN or 2.5 would never
    // reach the last round.
    return Number.isInteger(rounds) && rounds >= 1 && rounds <= 20
      ? Flows.offboard({ step: (_name, _success, effect) => Effect.provide(effect, context) }, userId, rounds)
      : Effect.fail(
        new InvalidInputError({ operation: "offboard", field: "options.rounds", problem: "must be a whole number from 1 to 20" })
      )
  }).pipe(Effect.withSpan("Glowmarkt.flow.offboard", { attributes: { "glowmarkt.userId": userId } }))
