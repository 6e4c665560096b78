/**
 * The self-service flows of a user, in memory: register then verify the emailed code, reset a
 * forgotten password, onboard a household, and connect a third-party application with OAuth
 * (`connectOAuth`). The code comes from a `CodeSource`.
 *
 * The flows are the same as the durable ones (`effect-glowmarkt/durable`): one body, one
 * `CodePolicy`, one set of errors; here each API call runs as is and the code is awaited from
 * the `CodeSource` on the `Clock`. Both are safe to run again as a whole after any failure: a
 * second run finds what the first one left on the server (a registered, unverified user; a
 * verified one) and goes on from there, without creating a second user.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { Mpxn } from "../schema/ConsentModels.js"
import { InvalidInputError } from "../schema/GlowmarktError.js"
import { ApplicationId, Email, PasswordFromSelf, RedactedString, Username } from "../schema/Identifiers.js"
import { Auth, type IssuedToken, LoginInput } from "../services/Auth.js"
import { GlowmarktConfig } from "../services/GlowmarktConfig.js"
import { decodeInput, orConfigured } from "../services/internal/input.js"
import * as OAuth from "../services/OAuth.js"
import * as OAuthSession from "../services/OAuthSession.js"
import * as Users from "../services/Users.js"
import * as CodePolicy from "./CodePolicy.js"
import * as CodeSource from "./CodeSource.js"
import * as Flows from "./internal/flows.js"

/**
 * The user at the end of {@link registerAndVerify} (and of the durable registration).
 *
 * @category models
 * @since 0.1.0
 */
export const Onboarded = Flows.Onboarded
/** @category models @since 0.1.0 */
export type Onboarded = Flows.Onboarded

/**
 * A finished password reset (in memory and durable).
 *
 * @category models
 * @since 0.1.0
 */
export const PasswordReset = Flows.PasswordReset
/** @category models @since 0.1.0 */
export type PasswordReset = Flows.PasswordReset

/**
 * What the flows need, in memory: the services (`Glowmarkt.layer`) and a source of codes. An
 * `AdminAuth`, when provided, lets a registration whose answers were all lost learn its user id.
 *
 * @category models
 * @since 0.1.0
 */
export type Requirements = Users.Users | Auth | CodeSource.CodeSource

/** The policy of a call's options: a bad option is bad input of that call. */
const policyOf = (operation: string, options: CodePolicy.Options | undefined) =>
  Effect.mapError(
    CodePolicy.make(options),
    (e) => new InvalidInputError({ operation, field: `options.${e.setting}`, problem: e.problem })
  )

/**
 * The in-memory engine: each step runs as is, with the caller's services (`S`); a code is
 * awaited from the `CodeSource`.
 */
const memory = <S = Users.Users | Auth>(
  policy: CodePolicy.CodePolicy
): Effect.Effect<Flows.Engine<never, S>, never, S | CodeSource.CodeSource> =>
  Effect.map(Effect.context<S | CodeSource.CodeSource>(), (context) => ({
    step: (_name, _success, effect) => Effect.provide(effect, context),
    awaitCode: (request) =>
      Effect.flatMap(CodeSource.CodeSource, (source) =>
        source.await({
          username: request.username,
          email: request.email,
          purpose: request.purpose,
          round: request.codeNumber,
          entry: request.entry
        })).pipe(
          Effect.timeoutOption(policy.codeTimeoutMillis),
          Effect.map(Option.map(Redacted.value)),
          Effect.provide(context)
        )
  }))

// ---------------------------------------------------------------------------------------------
// register -> verify

/**
 * The input of {@link registerAndVerify}: what `Users.register` takes.
 *
 * @category models
 * @since 0.1.0
 */
export type RegisterAndVerifyInput = Users.RegisterInput

/**
 * What {@link registerAndVerify} can fail with.
 *
 * - `UsernameTakenError`: someone else has the username (a registration with the same password
 *   is this user's and is continued instead).
 * - `CodeNotReceivedError`, `TooManyWrongCodesError`: the code rounds ended (`CodePolicy`).
 * - the calls' errors otherwise; a `CallError` for which `GlowmarktError.mayHaveActed` is true
 *   means the server could not be asked what happened: run the flow again, it reconciles.
 *
 * @category errors
 * @since 0.1.0
 */
export type RegisterAndVerifyError = Flows.RegistrationError

/**
 * Registers a user, waits for the emailed code from the `CodeSource`, verifies it, and returns
 * the active user with its id. See `CodePolicy` for what a timeout, a wrong code and a void
 * code do, and {@link Onboarded} for what the result says.
 *
 * Safe to run again as a whole, and never registers twice: after a lost answer or "username
 * taken", it asks for a new code with the same username and password, which only the user it
 * registered before can do, and continues with that user.
 *
 * @category flows
 * @since 0.1.0
 */
export const registerAndVerify = (
  input: RegisterAndVerifyInput,
  options?: CodePolicy.Options
): Effect.Effect<Onboarded, RegisterAndVerifyError, Requirements> =>
  Effect.gen(function*() {
    const i = yield* decodeInput("registerAndVerify", Users.RegisterInput, input)
    const policy = yield* policyOf("registerAndVerify", options)
    return yield* Flows.registerAndVerify(yield* memory(policy), i, policy)
  }).pipe(Effect.withSpan("Glowmarkt.flow.registerAndVerify"))

// ---------------------------------------------------------------------------------------------
// reset

/**
 * The input of {@link resetPassword}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ResetPasswordInput {
  readonly username: string
  readonly newPassword: Redacted.Redacted<string>
  /** Where the code goes, if known: only used to word a prompt. */
  readonly email?: string | undefined
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
}

const ResetInput = Schema.Struct({
  username: Username,
  newPassword: PasswordFromSelf,
  email: Schema.optional(Email),
  applicationId: Schema.optional(ApplicationId)
})

/**
 * What {@link resetPassword} can fail with: `UnknownUserError` when nobody has the username,
 * the code rounds' errors, the calls' errors.
 *
 * @category errors
 * @since 0.1.0
 */
export type ResetPasswordError = Flows.ResetError

/**
 * Resets a forgotten password: requests a reset code, waits for it from the `CodeSource`, sets
 * the new password (see `CodePolicy` for wrong and void codes), and returns the reset with, when
 * the new password logs in, that login's token (`None` for an unverified user, or when the login
 * could not be made: the password is set either way).
 *
 * When the answer to setting the password is lost, a login with the new password tells whether
 * it was set; if not, the same code is sent again, and a code no longer pending after a lost
 * answer is checked by a login too. When the server cannot be asked, the flow fails with the
 * lost answer's error (`GlowmarktError.mayHaveActed`): the outcome is unknown.
 *
 * @category flows
 * @since 0.1.0
 */
export const resetPassword = (
  input: ResetPasswordInput,
  options?: CodePolicy.Options
): Effect.Effect<
  { readonly reset: PasswordReset; readonly token: Option.Option<IssuedToken> },
  ResetPasswordError,
  Requirements
> =>
  Effect.gen(function*() {
    const i = yield* decodeInput("resetPassword", ResetInput, input)
    const applicationId = i.applicationId
    const policy = yield* policyOf("resetPassword", options)
    const reset = yield* Flows.resetPassword(
      yield* memory(policy),
      { username: i.username, newPassword: i.newPassword, applicationId, email: i.email },
      policy
    )
    // The login is a convenience, not part of the reset: the password is set whether or not it
    // works (an unverified user cannot log in until verified; the service may be down).
    const token = yield* Effect.flatMap(Auth, (auth) =>
      auth.login({ username: i.username, password: i.newPassword, applicationId })).pipe(Effect.option)
    return { reset, token }
  }).pipe(Effect.withSpan("Glowmarkt.flow.resetPassword"))

// ---------------------------------------------------------------------------------------------
// household

/**
 * A household at the end of {@link household} (and of the durable household onboarding).
 *
 * @category models
 * @since 0.1.0
 */
export const HouseholdOnboarded = Flows.HouseholdOnboarded
/** @category models @since 0.1.0 */
export type HouseholdOnboarded = Flows.HouseholdOnboarded

/**
 * The input of {@link household}: a registration and the household's meter points (MPxNs).
 *
 * @category models
 * @since 0.1.0
 */
export interface HouseholdInput extends Users.RegisterInput {
  readonly meterPoints: ReadonlyArray<string>
}

/**
 * The household input as checked before anything is sent: the registration's and each MPxN.
 *
 * @category schemas
 * @since 0.1.0
 */
export const HouseholdInputSchema = Schema.extend(
  Users.RegisterInput,
  Schema.Struct({ meterPoints: Schema.Array(Mpxn).pipe(Schema.maxItems(100)) })
)

/**
 * What {@link household} can fail with: the registration's errors, a login's, and the consent
 * calls' (made as the user). As with every flow, an error for which
 * `GlowmarktError.mayHaveActed` is true means the server could not be asked: run it again.
 *
 * @category errors
 * @since 0.1.0
 */
export type HouseholdError = Flows.HouseholdError

/**
 * What {@link household} needs: the registration's services, `Consent` and `GlowmarktConfig`
 * (the user's session is opened by the flow, from the password it registers).
 *
 * @category models
 * @since 0.1.0
 */
export type HouseholdRequirements = Requirements | Flows.HouseholdStepContext

/**
 * Onboards a household: {@link registerAndVerify}, then a login, then consent for each of its
 * meter points, given as the user (`Consent.own`). Reconciled with the server on every run: the
 * consent status is read first and only the meter points without consent are renewed (reported
 * `renewed`; the others `alreadyConsented`); a renewal whose answer was lost is checked with a
 * status read before it is sent again, so no meter point gets two renewals from one run.
 *
 * Safe to run again as a whole: a rerun finds the user active and the consents holding.
 *
 * @category flows
 * @since 0.1.0
 */
export const household = (
  input: HouseholdInput,
  options?: CodePolicy.Options
): Effect.Effect<HouseholdOnboarded, HouseholdError, HouseholdRequirements> =>
  Effect.gen(function*() {
    const i = yield* decodeInput("household", HouseholdInputSchema, input)
    const policy = yield* policyOf("household", options)
    return yield* Flows.household(yield* memory<Flows.HouseholdStepContext>(policy), i, policy)
  }).pipe(Effect.withSpan("Glowmarkt.flow.household"))

// ---------------------------------------------------------------------------------------------
// OAuth connect

/**
 * What {@link connectOAuth} (and the durable OAuth connection) did: the codes, the exchanges,
 * those whose answers were lost, and the orphan tokens it revoked (never a code or token).
 *
 * @category models
 * @since 0.1.0
 */
export const OAuthConnected = Flows.OAuthConnected
/** @category models @since 0.1.0 */
export type OAuthConnected = Flows.OAuthConnected

/**
 * The input of {@link connectOAuth}: the user's username and password, and the OAuth client
 * (a third-party application) the tokens are for.
 *
 * @category models
 * @since 0.1.0
 */
export interface OAuthConnectInput {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** The application the user logs in to (the code request's header); defaults to the configured one. */
  readonly applicationId?: string | undefined
  readonly directoryId?: string | undefined
  /** The OAuth client; defaults to the application. */
  readonly clientId?: string | undefined
  readonly clientSecret?: Redacted.Redacted<string> | undefined
}

/**
 * The OAuth connect input as checked before anything is sent.
 *
 * @category schemas
 * @since 0.1.0
 */
export const OAuthConnectInputSchema = Schema.Struct({
  ...LoginInput.fields,
  clientId: Schema.optional(ApplicationId),
  clientSecret: OAuth.ExchangeInput.fields.clientSecret
})

/**
 * What {@link connectOAuth} can fail with: a refused username and password (before any code),
 * a refused client, `OAuthNotConnectedError` when every exchange failed (the orphans of lost
 * answers revoked), and the calls' errors. A failure of the service's health (an error for which
 * `GlowmarktError.mayHaveActed` or `surelyNotActed` holds) always comes as
 * `OAuthNotConnectedError`, saying what was left; a call's own error comes as is only when no
 * exchange was lost.
 *
 * @category errors
 * @since 0.1.0
 */
export type OAuthConnectError = Flows.OAuthConnectError

/**
 * What {@link connectOAuth} needs: `OAuth`, `Tokens`, `Auth` (the user's session for the token
 * list) and `GlowmarktConfig`; `Glowmarkt.layer` provides them.
 *
 * @category models
 * @since 0.1.0
 */
export type OAuthConnectRequirements = Flows.OAuthStepContext

/**
 * A connection: its report, the tokens, and how to open an `OAuthSession` on them (it refreshes
 * ahead of expiry, one refresh at a time however many fibers ask).
 *
 * @category models
 * @since 0.1.0
 */
export interface OAuthConnection {
  readonly connected: OAuthConnected
  readonly tokens: OAuth.OAuthTokens
  readonly openSession: (
    options?: { readonly refreshAhead?: Duration.DurationInput | undefined }
  ) => Effect.Effect<OAuthSession.Service, InvalidInputError, OAuth.OAuth>
}

/**
 * Connects a third-party application to the user's data with the OAuth authorization-code
 * grant: a code for the user's username and password, exchanged for access and refresh tokens.
 *
 * A code is single-use: an exchange whose answer was lost spent it, and may have issued tokens
 * nobody holds. The flow then gets a new code, exchanges it, and reconciles: the OAuth tokens
 * that appeared in the user's token list since the flow started, other than its own, are
 * revoked by id and reported (`orphansRevoked`). An expired code is replaced. The user ends with
 * one live access token from a run (an orphan's refresh token is not in the list and no call
 * revokes it; nobody holds it), and the report says what happened (see {@link OAuthConnected}).
 *
 * Refreshing is the session's: `openSession()` gives an `OAuthSession` whose refresh is
 * single-flight. A refresh whose answer is lost spends the refresh token: the session then fails
 * with `OAuthSession.ReauthorizationRequiredError`, and running this flow again is the way back.
 *
 * Do not run two connections of the same user at once (nor any other code exchange for that
 * user, of any client: the token list does not say which client a token is for): after a lost
 * answer each would take the other's new token for an orphan. Refreshes are told apart (the list
 * says a token's grant): another connection's session refreshing meanwhile is left alone. Which
 * token is the flow's own is read from its access token's `jti` claim (the id the token list
 * shows); an access token without one, or whose `jti` the list does not show, leaves the orphans
 * alone and the report says `reconciled: false`.
 *
 * @category flows
 * @since 0.1.0
 */
export const connectOAuth = (
  input: OAuthConnectInput
): Effect.Effect<OAuthConnection, OAuthConnectError, OAuthConnectRequirements> =>
  Effect.gen(function*() {
    const i = yield* decodeInput("connectOAuth", OAuthConnectInputSchema, input)
    const settings = yield* GlowmarktConfig
    const applicationId = yield* orConfigured("connectOAuth", "applicationId", i.applicationId, settings.applicationId)
    const clientId = i.clientId ?? applicationId
    const context = yield* Effect.context<Flows.OAuthStepContext>()
    const engine: Flows.SecretEngine<never, Flows.OAuthStepContext> = {
      step: (_name, _success, effect) => Effect.provide(effect, context),
      secret: RedactedString
    }
    const { connected, tokens } = yield* Flows.connectOAuth(engine, {
      username: i.username,
      password: i.password,
      applicationId,
      directoryId: i.directoryId,
      clientId,
      clientSecret: i.clientSecret
    })
    return {
      connected,
      tokens,
      openSession: (options) => OAuthSession.make({ tokens, clientId, clientSecret: i.clientSecret, refreshAhead: options?.refreshAhead })
    } satisfies OAuthConnection
  }).pipe(Effect.withSpan("Glowmarkt.flow.connectOAuth"))
