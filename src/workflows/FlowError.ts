/**
 * The errors of the flows, the same for both engines (in memory and durable): what went wrong
 * in terms of the flow, each with a `message` that tells the caller what to do next. None
 * holds a password, code or token.
 *
 * Beyond these, a flow fails with the errors of the calls it makes, as the services report
 * them: `UsernameTakenError`, `UnknownUserError`, `InvalidCredentialsError`, `InvalidInputError`,
 * and the `CallError`s when the API could not be reached (then `GlowmarktError.mayHaveActed`
 * tells whether the last step may have happened: check before running the flow again).
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Schema from "effect/Schema"

/**
 * What a code is for: verifying a registration, or resetting a password. Glowmarkt sends both
 * as 4-digit codes by email; a `CodeSource` may use it to word its question.
 *
 * @category models
 * @since 0.1.0
 */
export const Purpose = Schema.Literal("verification", "passwordReset")
/** @category models @since 0.1.0 */
export type Purpose = typeof Purpose.Type

const what = (purpose: Purpose) => purpose === "verification" ? "verification code" : "password-reset code"

/**
 * Why no usable code arrived:
 *
 * - `timeout`: no code was entered within the wait, for every code the policy allowed;
 * - `expired`: the codes that were sent expired or were voided before a right one came;
 * - `cancelled`: the person closed the prompt;
 * - `unavailable`: the code source itself failed.
 *
 * @category models
 * @since 0.1.0
 */
export const NotReceivedReason = Schema.Literal("timeout", "expired", "cancelled", "unavailable")
/** @category models @since 0.1.0 */
export type NotReceivedReason = typeof NotReceivedReason.Type

/**
 * No usable code arrived. The flow has stopped waiting; running it again asks for a new code
 * and resumes where it was.
 *
 * @category errors
 * @since 0.1.0
 */
export class CodeNotReceivedError extends Schema.TaggedError<CodeNotReceivedError>()("CodeNotReceivedError", {
  username: Schema.String,
  purpose: Purpose,
  reason: NotReceivedReason,
  /** How many codes were sent in all (0 when the source failed before any wait). */
  codesSent: Schema.optional(Schema.Number),
  /** How long each wait lasted, for `timeout`. */
  waitedMillis: Schema.optional(Schema.Number),
  /** What the source said, for `unavailable` (never a code). */
  detail: Schema.optional(Schema.String)
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const sent = this.codesSent === undefined ? "" : ` (${this.codesSent} sent)`
    const why = this.reason === "timeout"
      ? `none was entered within ${Duration.format(Duration.millis(this.waitedMillis ?? 0))} of each code${sent}`
      : this.reason === "expired"
      ? `every code${sent} expired or was voided before a right one was entered`
      : this.reason === "cancelled"
      ? "waiting was cancelled"
      : `the code source failed${this.detail === undefined ? "" : ` (${this.detail})`}`
    return `No ${what(this.purpose)} for ${this.username}: ${why}; check the mailbox (and spam folder) of ` +
      `${this.username}, then run the flow again: it sends a new code and resumes`
  }
}

/**
 * Too many wrong codes were entered: the flow stopped asking.
 *
 * @category errors
 * @since 0.1.0
 */
export class TooManyWrongCodesError extends Schema.TaggedError<TooManyWrongCodesError>()("TooManyWrongCodesError", {
  username: Schema.String,
  purpose: Purpose,
  wrongCodes: Schema.Number,
  codesSent: Schema.Number
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.wrongCodes} wrong ${what(this.purpose)}s were entered for ${this.username}; check that the ` +
      `newest email is used, then run the flow again (it sends a new code)`
  }
}

/**
 * Which durable flow.
 *
 * @category models
 * @since 0.1.0
 */
export const FlowKind = Schema.Literal("registration", "passwordReset", "household")
/** @category models @since 0.1.0 */
export type FlowKind = typeof FlowKind.Type

/**
 * A code was submitted to a durable flow that is already over.
 *
 * @category errors
 * @since 0.1.0
 */
export class FlowCompletedError extends Schema.TaggedError<FlowCompletedError>()("FlowCompletedError", {
  flow: FlowKind,
  username: Schema.String,
  succeeded: Schema.Boolean
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `The ${this.flow} of ${this.username} is over (${this.succeeded ? "it succeeded" : "it failed"}); ` +
      `no code is expected`
  }
}

/**
 * Where an OAuth connection stopped: reading the user's tokens (before any code), getting a
 * code, or exchanging it.
 *
 * @category models
 * @since 0.1.0
 */
export const OAuthStage = Schema.Literal("tokenList", "authorize", "exchange")
/** @category models @since 0.1.0 */
export type OAuthStage = typeof OAuthStage.Type

/**
 * The OAuth connect flow got no tokens: the service failed it at `stage` more often than the
 * flow tries. It says what it left behind. Exchanges whose answers were lost
 * (`lostExchanges`) may have issued tokens the flow never saw; it looked for them in the user's
 * token list and revoked them (`orphansRevoked`). With `reconciled: true` none of the access
 * tokens this flow's exchanges issued remains live (the refresh token of an orphan pair is not in
 * the list and no call revokes it; nobody holds it); with `false` the token list could not be read or a revocation
 * failed, and up to `lostExchanges - orphansRevoked.length` orphan tokens may remain (running
 * the flow again does not find them: it leaves the tokens it finds at its start alone).
 *
 * @category errors
 * @since 0.1.0
 */
export class OAuthNotConnectedError extends Schema.TaggedError<OAuthNotConnectedError>()("OAuthNotConnectedError", {
  username: Schema.String,
  clientId: Schema.String,
  stage: OAuthStage,
  /** How many exchanges were sent. */
  exchangesSent: Schema.Number,
  /** How many of them may have issued tokens the flow did not get (an answer lost, a code found spent). */
  lostExchanges: Schema.Number,
  /** The ids of the tokens those exchanges issued, revoked by the flow. */
  orphansRevoked: Schema.Array(Schema.String),
  /** Whether the flow made sure none of its tokens remains. */
  reconciled: Schema.Boolean,
  /** The tag of the last error (never a code or token). */
  lastError: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    const where = this.stage === "tokenList"
      ? "reading the user's tokens failed (no code was asked for)"
      : this.stage === "authorize"
      ? "getting a code failed"
      : `${this.exchangesSent} exchange(s) failed`
    const left = this.lostExchanges === 0
      ? "no token was issued"
      : this.reconciled
      ? `${this.orphansRevoked.length} token(s) issued for lost answers were revoked, none remains live (their refresh tokens, held by nobody, cannot be revoked)`
      : `up to ${this.lostExchanges - this.orphansRevoked.length} token(s) issued for lost answers may remain ` +
        `(${this.orphansRevoked.length} revoked): see the user's token list`
    return `No OAuth tokens for ${this.username} (client ${this.clientId}): ${where}, the last error ${this.lastError}; ` +
      `${left}; run the flow again when the service answers`
  }
}
