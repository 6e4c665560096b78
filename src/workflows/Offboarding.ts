/**
 * Offboarding for an erasure request, as an administrator of the application: revoke consent
 * for every meter point of the user that still has it, revoke the user's tokens (when the user's
 * own credentials are given: listing a user's tokens takes the user's token), remove each of the
 * user's accounts, then delete the user, and say exactly what this run removed.
 *
 * Rerunnable: each step reads the server's state first and acts only on what is still there, so
 * a rerun after a failure (or after success) removes nothing twice and reports what it found
 * (`alreadyRevoked`, `found: false`). Reconciles before it reports: after a revocation or a
 * delete whose answer was lost, it asks the server what holds before deciding what happened.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import { type GlowmarktError, InvalidInputError } from "../schema/GlowmarktError.js"
import * as Schema from "effect/Schema"
import type { AccountId } from "../schema/Identifiers.js"
import { ApplicationId, PasswordFromSelf, Username } from "../schema/Identifiers.js"
import type * as Accounts from "../services/Accounts.js"
import type { Auth } from "../services/Auth.js"
import type * as Consent from "../services/Consent.js"
import type { AdminAuth } from "../services/Credentials.js"
import type { GlowmarktConfig } from "../services/GlowmarktConfig.js"
import { decodeInput } from "../services/internal/input.js"
import type * as Tokens from "../services/Tokens.js"
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
  /**
   * How the user's tokens ended:
   *
   * - `revokedById`: this run listed them with the user's own credentials and revoked each by
   *   id (`tokensRevoked`; the token this run logged in with to list them is among them, and the
   *   one it logged in with to revoke them was revoked too). A token issued after the listing
   *   (among them the login of a revoking attempt that was tried again) ended with its account;
   * - `endedWithAccounts`: no credentials were given (or the user had no account left to log in
   *   with): each token ended with the removal of its account, and the server accepts no token
   *   of a deleted user;
   * - `untouched`: the user was not there (`found: false`).
   */
  readonly tokens: "revokedById" | "endedWithAccounts" | "untouched"
  /** The ids of the tokens this run revoked by id (with `tokens: "revokedById"`). */
  readonly tokensRevoked: ReadonlyArray<string>
  /**
   * The accounts this run removed (`DELETE /account/{id}`, confirmed by a look-up when its
   * answer was lost): the user's accounts in the credential's application. An account of
   * another application, which the credential cannot see, goes with the user.
   */
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
  /**
   * The user's own username and password, when the user asked for the erasure: the tokens of a
   * user can only be listed and revoked as the user. Without them, the tokens end with the
   * accounts and the user (see {@link OffboardReport.tokens}). Checked to be the offboarded
   * user's before anything is changed.
   */
  readonly credentials?: OffboardCredentials | undefined
}

/**
 * The user's own credentials (see {@link OffboardOptions.credentials}).
 *
 * @since 0.1.0
 */
export interface OffboardCredentials {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Defaults to the configured one. */
  readonly applicationId?: string | undefined
}

/**
 * What {@link OffboardCredentials} must hold, checked before anything is sent.
 *
 * @since 0.1.0
 */
export const OffboardCredentialsInput = Schema.Struct({
  username: Username,
  password: PasswordFromSelf,
  applicationId: Schema.optional(ApplicationId)
})

const CredentialsOption = Schema.Struct({ credentials: OffboardCredentialsInput })

/**
 * What {@link offboard} needs: the services (`Glowmarkt.layer`), `GlowmarktConfig`, and an
 * administrator credential.
 *
 * @since 0.1.0
 */
export type OffboardContext =
  | Users.Users
  | Consent.Consent
  | Accounts.Accounts
  | Tokens.Tokens
  | Auth
  | GlowmarktConfig
  | AdminAuth

/**
 * Offboards one user by id (see the module's description). The flow is the same as the durable
 * one (`DurableOnboarding.startOffboarding`): here each step runs as is.
 *
 * @since 0.1.0
 */
export const offboard = (
  userId: string,
  options?: OffboardOptions
): Effect.Effect<OffboardReport, OffboardError, OffboardContext> =>
  Effect.flatMap(Effect.context<Flows.OffboardStepContext>(), (context) => {
    const rounds = options?.rounds ?? 4
    // A whole number of rounds, as the durable flow's payload requires: NaN or 2.5 would never
    // reach the last round.
    if (!(Number.isInteger(rounds) && rounds >= 1 && rounds <= 20)) {
      return Effect.fail(
        new InvalidInputError({ operation: "offboard", field: "options.rounds", problem: "must be a whole number from 1 to 20" })
      )
    }
    const engine: Pick<Flows.Engine<never, Flows.OffboardStepContext>, "step"> = {
      step: (_name, _success, effect) => Effect.provide(effect, context)
    }
    return options?.credentials === undefined
      ? Flows.offboard(engine, { userId, rounds })
      : Effect.flatMap(
        decodeInput("offboard", CredentialsOption, { credentials: options.credentials }),
        ({ credentials }) => Flows.offboard(engine, { userId, rounds, credentials })
      )
  }).pipe(Effect.withSpan("Glowmarkt.flow.offboard", { attributes: { "glowmarkt.userId": userId } }))
