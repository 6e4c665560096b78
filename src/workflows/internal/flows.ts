/**
 * The two self-service flows, written once for both engines: register -> verify, and request
 * reset -> reset. The engine runs each API step (in memory: as is; durably: as an activity
 * whose outcome is persisted, named so that a replay finds it) and waits for codes. What an
 * answer means comes from the service edge (the errors' tags); what to do after a lost answer
 * is decided here: ask the server what state it reached before reporting.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  type GlowmarktError,
  InvalidInputError,
  mayHaveActed,
  surelyNotActed,
  UnexpectedResponseError,
  UsernameTakenError
} from "../../schema/GlowmarktError.js"
import { AccountId } from "../../schema/Identifiers.js"
import * as Accounts from "../../services/Accounts.js"
import { Auth, type LoginError } from "../../services/Auth.js"
import * as Consent from "../../services/Consent.js"
import { AdminAuth } from "../../services/Credentials.js"
import type { GlowmarktConfig } from "../../services/GlowmarktConfig.js"
import * as OAuth from "../../services/OAuth.js"
import { UserSession, withSession } from "../../services/Session.js"
import * as Tokens from "../../services/Tokens.js"
import * as Users from "../../services/Users.js"
import type { CodePolicy } from "../CodePolicy.js"
import { type CodeNotReceivedError, OAuthNotConnectedError, type OAuthStage, type Purpose, type TooManyWrongCodesError } from "../FlowError.js"
import { codeRounds, type Submitted } from "./codeRounds.js"

/** What a step's effect may need. */
export type StepContext = Users.Users | Auth

/**
 * An engine: how steps run and how codes are waited for. `S` is what a step's effect may need:
 * the engine provides it (in memory from the caller's context, durably from the workflow
 * layer's). An engine whose steps may need more runs the flows that need less.
 */
export interface Engine<R, S = StepContext> {
  /**
   * Runs one API step named `name` (unique within the flow, the same on every replay). Its
   * success must encode with `success`: a durable engine stores it.
   */
  readonly step: <A, I, E extends GlowmarktError>(
    name: string,
    success: Schema.Schema<A, I>,
    effect: Effect.Effect<A, E, S>
  ) => Effect.Effect<A, E, R>
  /** Waits for entry `entry` of a code; `None` when the policy's timeout passes first. */
  readonly awaitCode: (request: {
    readonly username: string
    readonly email?: string | undefined
    readonly purpose: Purpose
    readonly entry: number
    readonly codeNumber: number
  }) => Effect.Effect<Option.Option<string>, CodeNotReceivedError, R>
}

/**
 * How many times a step whose answer was lost, or that surely did not reach the server, is
 * tried (each try is itself a call that the client may retry under its own rules).
 */
export const stepAttempts = 5

const transient = (e: GlowmarktError) => mayHaveActed(e) || surelyNotActed(e)

/**
 * A step that is safe to run again (a read, a call whose repeat answers as the first did): run
 * as `<name>-<attempt>`, and again after a transient failure, up to `attempts` times.
 */
const repeatable = <R, S, A, I, E extends GlowmarktError>(
  engine: Pick<Engine<R, S>, "step">,
  name: string,
  schema: Schema.Schema<A, I>,
  effect: Effect.Effect<A, E, S>,
  attempts = stepAttempts
): Effect.Effect<A, E, R> => {
  const go = (attempt: number): Effect.Effect<A, E, R> =>
    engine.step(`${name}-${attempt}`, schema, effect).pipe(
      Effect.catchIf((e) => transient(e) && attempt < attempts, () => go(attempt + 1))
    )
  return go(1)
}

// ---------------------------------------------------------------------------------------------
// register -> verify

/**
 * The user at the end of a registration: active.
 *
 * - `verified`: this flow verified the user (the server took one of its codes, even when the
 *   answer was lost and a replay had to tell).
 * - `alreadyVerified`: the user was active before this flow sent a code (an earlier run of
 *   the flow, or another process, finished it).
 *
 * `userId` is what the server said: the registration's or the verification's answer, or, when
 * both were lost, an admin look-up if an `AdminAuth` is provided. Only without any of these is
 * it `None`.
 *
 * @since 0.1.0
 */
export class Onboarded extends Schema.Class<Onboarded>("effect-glowmarkt/Onboarded")({
  outcome: Schema.Literal("verified", "alreadyVerified"),
  username: Schema.String,
  userId: Schema.OptionFromNullOr(Schema.String),
  /** Whether this run continued a registration found on the server instead of making one. */
  resumed: Schema.Boolean,
  codesSent: Schema.Number,
  wrongCodes: Schema.Number
}) {}

/** What a registration runs with: what `register` takes. */
export type RegistrationInput = Users.RegisterInput

/** What a registration can fail with. */
export type RegistrationError =
  | UsernameTakenError
  | CodeNotReceivedError
  | TooManyWrongCodesError
  | Users.RegisterError
  | Users.RequestVerificationCodeError
  | Users.VerifyError

const Start = Schema.Union(
  Schema.TaggedStruct("Registered", { userId: Schema.String }),
  Schema.TaggedStruct("Resumed", {}),
  Schema.TaggedStruct("Active", {}),
  Schema.TaggedStruct("NotRegistered", {})
)
type Start = typeof Start.Type

const Verification = Schema.Union(
  Schema.TaggedStruct("Done", { userId: Schema.OptionFromNullOr(Schema.String), byThisFlow: Schema.Boolean }),
  Schema.TaggedStruct("Rejected", {
    reason: Schema.Literal("wrong", "expired", "tooManyAttempts", "noPendingCode")
  })
)
type Verification = typeof Verification.Type

/** The registration flow. */
export const registerAndVerify = <R>(
  engine: Engine<R>,
  input: RegistrationInput,
  policy: CodePolicy
): Effect.Effect<Onboarded, RegistrationError, R> =>
  Effect.gen(function*() {
    const credentials = { username: input.username, password: input.password, applicationId: input.applicationId }
    const users = <A, E>(f: (u: Users.Service) => Effect.Effect<A, E>) => Effect.flatMap(Users.Users, f)

    // Asks for a code for a registration that may exist: that succeeds only for the user with
    // this password. `lost` says why we ask: a lost registration answer (a refusal then means
    // the registration never happened), or `undefined` for "username taken" (a refusal then
    // means the username is someone else's).
    const resume = (lost: GlowmarktError | undefined, attempt: number): Effect.Effect<Start, RegistrationError, R> =>
      engine.step(
        `resume-${attempt}`,
        Start,
        users((u) => u.requestVerificationCode(credentials)).pipe(
          Effect.as<Start>({ _tag: "Resumed" }),
          Effect.catchTags({
            AlreadyVerifiedError: () => Effect.succeed<Start>({ _tag: "Active" }),
            InvalidCredentialsError: (e) =>
              lost !== undefined ? Effect.succeed<Start>({ _tag: "NotRegistered" }) : Effect.fail(e)
          })
        )
      ).pipe(
        Effect.catchAll((e): Effect.Effect<Start, RegistrationError, R> =>
          e._tag === "InvalidCredentialsError"
            ? Effect.fail(new UsernameTakenError({ operation: "addUser", username: input.username }))
            : transient(e) && attempt < stepAttempts
            ? resume(lost, attempt + 1)
            : Effect.fail(e)
        ),
        Effect.flatMap((start) =>
          start._tag === "NotRegistered"
            // The lost registration never happened: register again, a bounded number of times.
            ? attempt < stepAttempts ? register(attempt + 1) : Effect.fail(lost as RegistrationError)
            : Effect.succeed(start)
        )
      )

    const register = (attempt: number): Effect.Effect<Start, RegistrationError, R> =>
      engine.step(
        `register-${attempt}`,
        Start,
        users((u) =>
          u.register({
            name: input.name,
            username: input.username,
            email: input.email,
            password: input.password,
            applicationId: input.applicationId,
            directoryId: input.directoryId
          })
        ).pipe(Effect.map((res): Start => ({ _tag: "Registered", userId: res.userId })))
      ).pipe(
        Effect.catchAll((e): Effect.Effect<Start, RegistrationError, R> => {
          if (e._tag === "UsernameTakenError") return resume(undefined, attempt)
          if (mayHaveActed(e)) return resume(e, attempt)
          if (surelyNotActed(e) && attempt < stepAttempts) return register(attempt + 1)
          return Effect.fail(e)
        })
      )

    const start = yield* register(1)
    const resumed = start._tag !== "Registered"
    const knownUserId = start._tag === "Registered" ? Option.some(start.userId) : Option.none<string>()
    const finish = (done: { readonly userId: Option.Option<string>; readonly byThisFlow: boolean }, codesSent: number, wrongCodes: number) =>
      Effect.map(
        Option.isSome(done.userId) || Option.isSome(knownUserId)
          ? Effect.succeed(Option.orElse(done.userId, () => knownUserId))
          : lookUpUserId(engine, input.username),
        (userId) =>
          new Onboarded({
            outcome: done.byThisFlow ? "verified" : "alreadyVerified",
            username: input.username,
            userId,
            resumed,
            codesSent,
            wrongCodes
          })
      )
    if (start._tag === "Active") return yield* finish({ userId: Option.none(), byThisFlow: false }, 0, 0)

    // Sends one code; after a lost answer the same code again tells ("already verified": it was
    // taken); when every replay is lost, a login tells whether the user is active.
    // `lost`: an earlier attempt whose answer was lost (it may have verified the user).
    const verify = (
      entry: number,
      code: string,
      attempt: number,
      lost: GlowmarktError | undefined
    ): Effect.Effect<Verification, RegistrationError, R> =>
      engine.step(
        `verify-${entry}-${attempt}`,
        Verification,
        users((u) => u.verify({ ...credentials, code })).pipe(
          Effect.map((res): Verification => ({ _tag: "Done", userId: Option.some(res.userId), byThisFlow: true })),
          Effect.catchTags({
            AlreadyVerifiedError: () =>
              Effect.succeed<Verification>({ _tag: "Done", userId: Option.none(), byThisFlow: lost !== undefined }),
            CodeRejectedError: (e) => Effect.succeed<Verification>({ _tag: "Rejected", reason: e.reason })
          })
        )
      ).pipe(
        Effect.catchAll((e): Effect.Effect<Verification, RegistrationError, R> => {
          if (!transient(e)) return Effect.fail(e)
          const lostSoFar = lost ?? (mayHaveActed(e) ? e : undefined)
          if (attempt < stepAttempts) return verify(entry, code, attempt + 1, lostSoFar)
          if (lostSoFar === undefined) return Effect.fail(e)
          // Every attempt failed, one after the server may have acted: a login tells.
          return isActive(engine, `verify-${entry}-check`, credentials).pipe(
            Effect.matchEffect({
              // The server could not be asked: report the lost answer (the caller checks).
              onFailure: () => Effect.fail(lostSoFar as RegistrationError),
              onSuccess: (active) =>
                active
                  ? Effect.succeed<Verification>({ _tag: "Done", userId: Option.none(), byThisFlow: true })
                  : Effect.fail(e)
            })
          )
        })
      )

    const requestCode = (n: number, attempt: number): Effect.Effect<Option.Option<Verification>, RegistrationError, R> =>
      engine.step(
        `request-code-${n}-${attempt}`,
        Schema.Boolean,
        users((u) => u.requestVerificationCode(credentials)).pipe(
          Effect.as(false),
          Effect.catchTag("AlreadyVerifiedError", () => Effect.succeed(true))
        )
      ).pipe(
        Effect.map((active) => active ? Option.some<Verification>({ _tag: "Done", userId: Option.none(), byThisFlow: false }) : Option.none()),
        // Whether that email went out is unknown: ask again (the newest code is the valid one).
        Effect.catchIf(
          (e) => transient(e) && attempt < stepAttempts,
          () => requestCode(n, attempt + 1)
        )
      )

    const rounds = yield* codeRounds(policy, { username: input.username, purpose: "verification" }, {
      awaitCode: (entry, codeNumber) =>
        engine.awaitCode({ username: input.username, email: input.email, purpose: "verification", entry, codeNumber }),
      requestCode: (n) => requestCode(n, 1),
      submit: (entry, code) =>
        Effect.map(verify(entry, code, 1, undefined), (v): Submitted<Verification> =>
          v._tag === "Done" ? { _tag: "Done", result: v } : { _tag: "Rejected", reason: v.reason })
    })
    const done = rounds.result as Extract<Verification, { _tag: "Done" }>
    return yield* finish(done, rounds.codesSent, rounds.wrongCodes)
  })

/** Whether `credentials` log in: the user is active (a 401 means not verified, or not this password). */
const isActive = <R>(
  engine: Engine<R>,
  name: string,
  credentials: {
    readonly username: string
    readonly password: Redacted.Redacted<string>
    readonly applicationId?: string | undefined
  }
) =>
  engine.step(
    name,
    Schema.Boolean,
    Effect.flatMap(Auth, (auth) => auth.login(credentials)).pipe(
      Effect.as(true),
      Effect.catchTag("InvalidCredentialsError", () => Effect.succeed(false))
    )
  )

/**
 * The user id by an admin look-up, when an `AdminAuth` is at hand (tried up to `stepAttempts`
 * times: a read is safe to repeat); `None` without one, or when every look-up failed.
 */
const lookUpUserId = <R>(engine: Engine<R>, username: string, attempt = 1): Effect.Effect<Option.Option<string>, never, R> =>
  engine.step(
    `look-up-user-id-${attempt}`,
    Schema.OptionFromNullOr(Schema.String),
    Effect.flatMap(Effect.serviceOption(AdminAuth), (admin) =>
      Option.match(admin, {
        onNone: () => Effect.succeed(Option.none<string>()),
        onSome: (credential) =>
          Effect.flatMap(Users.Users, (u) => u.getByUsername(username)).pipe(
            Effect.provideService(AdminAuth, credential),
            Effect.map((user): Option.Option<string> => Option.some(user.userId))
          )
      }))
  ).pipe(
    Effect.catchAll((e) =>
      transient(e) && attempt < stepAttempts ? lookUpUserId(engine, username, attempt + 1) : Effect.succeed(Option.none<string>())
    )
  )

// ---------------------------------------------------------------------------------------------
// request reset -> reset

/**
 * A password reset that ended with the new password set.
 *
 * @since 0.1.0
 */
export class PasswordReset extends Schema.Class<PasswordReset>("effect-glowmarkt/PasswordReset")({
  username: Schema.String,
  codesSent: Schema.Number,
  wrongCodes: Schema.Number
}) {}

/** What a reset runs with. */
export interface ResetInput {
  readonly username: string
  readonly newPassword: Redacted.Redacted<string>
  /** Defaults to the configured one. */
  readonly applicationId?: string | undefined
  readonly email?: string | undefined
}

/** What a reset can fail with. */
export type ResetError =
  | CodeNotReceivedError
  | TooManyWrongCodesError
  | Users.RequestPasswordResetError
  | Users.ResetPasswordError

/** The reset flow. */
export const resetPassword = <R>(
  engine: Engine<R>,
  input: ResetInput,
  policy: CodePolicy
): Effect.Effect<PasswordReset, ResetError, R> =>
  Effect.gen(function*() {
    const users = <A, E>(f: (u: Users.Service) => Effect.Effect<A, E>) => Effect.flatMap(Users.Users, f)
    const who = { username: input.username, applicationId: input.applicationId }

    const request = (n: number): Effect.Effect<void, ResetError, R> =>
      repeatable(engine, `request-reset-${n}`, Schema.Void, users((u) => u.requestPasswordReset(who)))

    const done: Submitted<true> = { _tag: "Done", result: true }
    // Whether the new password was set, by a login with it: set → done; refused → `orElse()`;
    // the server could not be asked → the lost answer (the caller checks). A login cannot
    // tell for an unverified user (refused either way): `orElse` decides what a refusal means.
    const confirm = (
      name: string,
      lost: GlowmarktError,
      orElse: () => Effect.Effect<Submitted<true>, ResetError, R>
    ): Effect.Effect<Submitted<true>, ResetError, R> =>
      isActive(engine, name, { ...who, password: input.newPassword }).pipe(
        Effect.matchEffect({
          onFailure: () => Effect.fail(lost as ResetError),
          onSuccess: (set) => set ? Effect.succeed(done) : orElse()
        })
      )

    // `lost`: an earlier attempt whose answer was lost (it may have set the password).
    const reset = (
      entry: number,
      code: string,
      attempt: number,
      lost: GlowmarktError | undefined
    ): Effect.Effect<Submitted<true>, ResetError, R> =>
      engine.step(
        `reset-${entry}-${attempt}`,
        Schema.Union(
          Schema.TaggedStruct("Done", { result: Schema.Literal(true) }),
          Schema.TaggedStruct("Rejected", { reason: Schema.Literal("wrong", "expired", "tooManyAttempts", "noPendingCode") })
        ),
        users((u) => u.resetPassword({ ...who, code, newPassword: input.newPassword })).pipe(
          Effect.as(done),
          Effect.catchTag("CodeRejectedError", (e) => Effect.succeed<Submitted<true>>({ _tag: "Rejected", reason: e.reason }))
        )
      ).pipe(
        Effect.either,
        Effect.flatMap(Either.match({
          onRight: (result): Effect.Effect<Submitted<true>, ResetError, R> =>
            // After a lost answer, a code that is no longer pending may be the one that attempt
            // used: only a login tells; if it cannot, the outcome is unknown (the lost answer).
            result._tag === "Rejected" && result.reason !== "wrong" && lost !== undefined
              ? confirm(`reset-${entry}-${attempt}-confirm`, lost, () => Effect.fail(lost as ResetError))
              : Effect.succeed(result),
          onLeft: (e): Effect.Effect<Submitted<true>, ResetError, R> => {
            if (!transient(e)) return Effect.fail(e)
            const lostSoFar = lost ?? (mayHaveActed(e) ? e : undefined)
            const again = () =>
              attempt < stepAttempts
                ? reset(entry, code, attempt + 1, lostSoFar)
                : Effect.fail((lostSoFar ?? e) as ResetError)
            // A lost answer: a login with the new password tells whether it was set, sparing a
            // replay of a code that may be used; refused or not asked, the same code is sent again.
            return mayHaveActed(e)
              ? isActive(engine, `reset-${entry}-${attempt}-check`, { ...who, password: input.newPassword }).pipe(
                Effect.matchEffect({ onFailure: again, onSuccess: (set) => set ? Effect.succeed(done) : again() })
              )
              : again()
          }
        }))
      )

    yield* request(1)
    const rounds = yield* codeRounds(policy, { username: input.username, purpose: "passwordReset" }, {
      awaitCode: (entry, codeNumber) =>
        engine.awaitCode({ username: input.username, email: input.email, purpose: "passwordReset", entry, codeNumber }),
      requestCode: (n) => Effect.as(request(n), Option.none()),
      submit: (entry, code) => reset(entry, code, 1, undefined)
    })
    return new PasswordReset({ username: input.username, codesSent: rounds.codesSent, wrongCodes: rounds.wrongCodes })
  })

// ---------------------------------------------------------------------------------------------
// household onboarding: register -> verify -> log in -> consent for the meter points

/** What a step of the household flow may need: the registration's, and consent as the user. */
export type HouseholdStepContext = StepContext | Consent.Consent | GlowmarktConfig

/**
 * What the household flow did for one meter point.
 *
 * - `renewed`: this run renewed its consent (the server's answer, or, when the answer was lost,
 *   a status read that shows consent holding);
 * - `alreadyConsented`: consent held when this run read the status, nothing was sent.
 *
 * @since 0.1.0
 */
export class HouseholdMeterPoint extends Schema.Class<HouseholdMeterPoint>("effect-glowmarkt/HouseholdMeterPoint")({
  mpxn: Schema.String,
  outcome: Schema.Literal("renewed", "alreadyConsented")
}) {}

/**
 * A household at the end of its onboarding: the user active (as in {@link Onboarded}), logged in,
 * and consent holding for each of its meter points.
 *
 * @since 0.1.0
 */
export class HouseholdOnboarded extends Schema.Class<HouseholdOnboarded>("effect-glowmarkt/HouseholdOnboarded")({
  onboarded: Onboarded,
  /** The account the login answered with, if it named one. */
  accountId: Schema.OptionFromNullOr(Schema.String),
  meterPoints: Schema.Array(HouseholdMeterPoint)
}) {}

/** What a household onboarding runs with: a registration and the household's meter points. */
export interface HouseholdInput extends RegistrationInput {
  /** The meter points (MPxNs) to consent for; each is checked before anything is sent. */
  readonly meterPoints: ReadonlyArray<string>
}

/** What a household onboarding can fail with. */
export type HouseholdError = RegistrationError | LoginError | Consent.OwnConsentError

/**
 * The household flow: the registration flow, then a login (the user is active and this password
 * is theirs), then consent for each meter point, reconciled with the server: the consent status
 * is read first and only the meter points without consent are renewed; a renewal whose answer
 * was lost is checked by reading the status again before it is sent again.
 *
 * Consent is given as the user (`Consent.own`, with a session of the user's own password opened
 * inside each step): consent is the household's act, recorded as theirs, and the flow needs no
 * administrator credential. No token outlives a step (nothing secret is persisted by a durable
 * engine besides the sealed password).
 */
export const household = <R>(
  engine: Engine<R, HouseholdStepContext>,
  input: HouseholdInput,
  policy: CodePolicy
): Effect.Effect<HouseholdOnboarded, HouseholdError, R> =>
  Effect.gen(function*() {
    const onboarded = yield* registerAndVerify(engine, input, policy)
    const credentials = { username: input.username, password: input.password, applicationId: input.applicationId }
    const asUser = <A, E>(f: (own: Consent.Service["own"]) => Effect.Effect<A, E, UserSession>) =>
      Effect.flatMap(Consent.Consent, (c) => f(c.own)).pipe(withSession(credentials))

    const login: Effect.Effect<Option.Option<string>, HouseholdError, R> = repeatable(
      engine,
      "household-login",
      Schema.OptionFromNullOr(Schema.String),
      Effect.flatMap(Auth, (auth) => auth.login(credentials)).pipe(
        Effect.map((issued): Option.Option<string> => issued.accountId)
      )
    )

    /** The meter points whose consent holds now (a read: safe to repeat). */
    const consented = (name: string): Effect.Effect<ReadonlyArray<string>, HouseholdError, R> =>
      repeatable(
        engine,
        name,
        Schema.Array(Schema.String),
        asUser((own) => own.status()).pipe(
          Effect.map((status) => status.meterPointVerification.filter((m) => m.isVerified === true).map((m) => m.mpxn))
        )
      )

    const renew = (mpxn: string, attempt: number): Effect.Effect<void, HouseholdError, R> =>
      engine.step(`renew-${mpxn}-${attempt}`, Schema.Void, asUser((own) => own.renew(mpxn))).pipe(
        Effect.catchAll((e): Effect.Effect<void, HouseholdError, R> => {
          if (surelyNotActed(e) && attempt < stepAttempts) return renew(mpxn, attempt + 1)
          if (!mayHaveActed(e)) return Effect.fail(e)
          // A lost answer: the status tells whether the renewal happened; sent again only if not.
          return consented(`renew-${mpxn}-${attempt}-check`).pipe(
            Effect.catchAll(() => Effect.fail(e)),
            Effect.flatMap((holding) =>
              holding.includes(mpxn)
                ? Effect.void
                : attempt < stepAttempts
                ? renew(mpxn, attempt + 1)
                : Effect.fail(e)
            )
          )
        })
      )

    const accountId = yield* login
    const wanted = Array.from(new Set(input.meterPoints))
    const before = wanted.length === 0 ? [] : yield* consented("consent-status")
    const meterPoints: Array<HouseholdMeterPoint> = []
    for (const mpxn of wanted) {
      if (before.includes(mpxn)) {
        meterPoints.push(new HouseholdMeterPoint({ mpxn, outcome: "alreadyConsented" }))
        continue
      }
      yield* renew(mpxn, 1)
      meterPoints.push(new HouseholdMeterPoint({ mpxn, outcome: "renewed" }))
    }
    return new HouseholdOnboarded({ onboarded, accountId, meterPoints })
  })

// ---------------------------------------------------------------------------------------------
// OAuth connect: authorize -> exchange, reconciled with the user's token list

/** What a step of the OAuth connect flow may need: the OAuth calls, and the token list as the user. */
export type OAuthStepContext = OAuth.OAuth | Tokens.Tokens | Auth | GlowmarktConfig

/**
 * An engine for a flow whose steps return secrets: `secret` is how a step's secret is stored
 * (a durable engine seals it; in memory nothing is stored and it is never encoded).
 */
export interface SecretEngine<R, S> extends Pick<Engine<R, S>, "step"> {
  readonly secret: Schema.Schema<Redacted.Redacted<string>, string>
}

/** The tokens of an exchange, with their secrets stored as the engine's `secret` says. */
export const oauthTokensSchema = (secret: Schema.Schema<Redacted.Redacted<string>, string>) =>
  Schema.Struct({
    accessToken: secret,
    refreshToken: Schema.OptionFromNullOr(secret),
    expiresAt: Schema.DateFromNumber,
    tokenType: Schema.OptionFromNullOr(Schema.String)
  })

/**
 * What an OAuth connection did (never a code or token).
 *
 * - `tokenId`: the server's id of the access token the flow got (its `jti`, as the user's token
 *   list shows it), when the token tells it.
 * - `lostExchanges`: exchanges whose outcome the flow could not see (an answer lost, or its code
 *   found spent when the step ran again after a crash): each may have issued tokens that nobody
 *   holds. After one, the flow reads the user's token list and revokes the OAuth tokens that
 *   appeared since it started and are not its own: `orphansRevoked`.
 * - `reconciled`: `false` only when that could not be finished (the token list could not be
 *   read, a revocation failed, or the access token does not tell its id or the list does not show
 *   it by that id): up to
 *   `lostExchanges - orphansRevoked.length` orphan tokens may remain.
 *
 * @since 0.1.0
 */
export class OAuthConnected extends Schema.Class<OAuthConnected>("effect-glowmarkt/OAuthConnected")({
  username: Schema.String,
  clientId: Schema.String,
  tokenId: Schema.OptionFromNullOr(Schema.String),
  codesIssued: Schema.Number,
  exchangesSent: Schema.Number,
  lostExchanges: Schema.Number,
  orphansRevoked: Schema.Array(Schema.String),
  reconciled: Schema.Boolean
}) {}

/** What an OAuth connection runs with: the user's credentials and the client, defaults resolved. */
export interface OAuthConnectInput {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  readonly applicationId: string
  readonly directoryId?: string | undefined
  readonly clientId: string
  readonly clientSecret?: Redacted.Redacted<string> | undefined
}

/** What an OAuth connection can fail with. */
export type OAuthConnectError =
  | OAuthNotConnectedError
  | OAuth.AuthorizeError
  | OAuth.ExchangeError
  | Tokens.TokensError

/**
 * How many exchanges an OAuth connection sends at most. Each is sent once (a code is
 * single-use); after a lost answer the next one needs a new code.
 */
export const oauthExchangeAttempts = 10

/**
 * How many times the token list is read, and each orphan revoked: reads and idempotent
 * deletes, tried harder than other steps because an orphan left behind is a live credential.
 */
export const reconcileAttempts = 10

/** The `jti` claim of a JWT, read without checking it: the id the user's token list shows. */
export const jwtId = (token: Redacted.Redacted<string>): string | undefined => {
  const payload = Redacted.value(token).split(".")[1]
  if (payload === undefined) return undefined
  return Either.match(Encoding.decodeBase64UrlString(payload), {
    onLeft: () => undefined,
    onRight: (json) => {
      try {
        const claims: unknown = JSON.parse(json)
        return typeof claims === "object" && claims !== null && "jti" in claims && typeof claims.jti === "string"
          ? claims.jti
          : undefined
      } catch {
        return undefined
      }
    }
  })
}

/**
 * The OAuth connect flow: authorize (a single-use code for the user's username and password),
 * then exchange the code for access and refresh tokens, reconciled with the server.
 *
 * - The user's OAuth tokens are read first (a login and `Tokens.list`): a wrong password ends
 *   the flow here, before any code, and the list is what the flow leaves alone.
 * - An exchange is sent once. Refused because the code expired: a new code, again. Its answer
 *   lost (or its code found spent when a durable step ran again after a crash): the code is
 *   spent and the server may hold a token pair nobody will see; a new code, again, counted in
 *   `lostExchanges`. Refused before it reached the server: the same code again.
 * - After a lost exchange, the token list is read again and every OAuth token that is new since
 *   the first read and is not the flow's own (by `jti`) is revoked by id: the user ends with
 *   one live access token from this flow, and the report says which were revoked (an orphan's
 *   refresh token is not in the list and no call revokes it; nobody holds it).
 * - When it cannot get tokens, the flow fails with `OAuthNotConnectedError`, after revoking the
 *   orphans the same way; it says whether that was finished (`reconciled`). A refusal that is
 *   not about the service's health (a wrong password, a refused client) when nothing can be left
 *   behind is the call's own error.
 */
export const connectOAuth = <R>(
  engine: SecretEngine<R, OAuthStepContext>,
  input: OAuthConnectInput
): Effect.Effect<{ readonly connected: OAuthConnected; readonly tokens: OAuth.OAuthTokens }, OAuthConnectError, R> =>
  Effect.gen(function*() {
    const credentials = {
      username: input.username,
      password: input.password,
      applicationId: input.applicationId,
      directoryId: input.directoryId
    }
    const TokensSchema = oauthTokensSchema(engine.secret)
    const asUser = <A, E>(f: (t: Tokens.Service) => Effect.Effect<A, E, UserSession>) =>
      Effect.flatMap(Tokens.Tokens, f).pipe(withSession(credentials))
    const read = <A, I, E extends GlowmarktError>(
      name: string,
      schema: Schema.Schema<A, I>,
      effect: Effect.Effect<A, E, OAuthStepContext>,
      attempts = stepAttempts
    ) => repeatable(engine, name, schema, effect, attempts)
    const oauthTokenIds = (name: string) =>
      read(
        name,
        Schema.Array(Schema.String),
        asUser((t) => t.list()).pipe(
          // The flow's exchanges are authorization-code grants: a token of a refresh is another
          // connection's (an application refreshing its session meanwhile), never an orphan.
          Effect.map((docs) =>
            docs.filter((d) => d.authenticationFramework === "oauth" && d.grant_type !== "refresh_token").map((d): string =>
              d.tokenId
            )
          )
        ),
        reconcileAttempts
      )

    let codesIssued = 0
    let exchangesSent = 0
    let lostExchanges = 0
    let before = new Set<string>()

    /** Revokes the OAuth tokens that are new since `before` and not `ours`. */
    const reconcile = (ours: string | undefined) =>
      Effect.gen(function*() {
        const after = yield* Effect.either(oauthTokenIds("oauth-tokens-after"))
        if (Either.isLeft(after)) return { revoked: [] as Array<string>, complete: false }
        // Its own token not in the list by that id (the list names tokens otherwise): the flow
        // cannot tell its token from the orphans, and revokes none rather than its own.
        if (ours !== undefined && !after.right.includes(ours)) return { revoked: [] as Array<string>, complete: false }
        const revoked: Array<string> = []
        let complete = true
        for (const id of after.right) {
          if (before.has(id) || id === ours) continue
          const done = yield* Effect.either(read(`revoke-${id}`, Schema.Void, asUser((t) => t.revoke(id)), reconcileAttempts))
          if (Either.isRight(done)) revoked.push(id)
          else complete = false
        }
        return { revoked, complete }
      })

    /**
     * The flow stops without tokens. A refusal that is not about the service's health (a wrong
     * password, a refused client) is the caller's as it is, when nothing can be left behind;
     * otherwise `OAuthNotConnectedError` says what was left: nothing (no exchange may have
     * issued tokens), or the orphans, revoked (`reconciled`) or not.
     */
    const giveUp = (stage: OAuthStage, e: Exclude<OAuthConnectError, OAuthNotConnectedError>): Effect.Effect<never, OAuthConnectError, R> =>
      Effect.gen(function*() {
        if (lostExchanges === 0 && !transient(e)) return yield* Effect.fail(e)
        const { complete, revoked } = lostExchanges === 0 ? { complete: true, revoked: [] } : yield* reconcile(undefined)
        return yield* new OAuthNotConnectedError({
          username: input.username,
          clientId: input.clientId,
          stage,
          exchangesSent,
          lostExchanges,
          orphansRevoked: revoked,
          reconciled: complete,
          lastError: e._tag
        })
      })

    const first = yield* Effect.either(oauthTokenIds("oauth-tokens-before"))
    if (Either.isLeft(first)) return yield* giveUp("tokenList", first.left)
    before = new Set(first.right)

    let code: Redacted.Redacted<string> | undefined
    for (let attempt = 1; attempt <= oauthExchangeAttempts; attempt++) {
      if (code === undefined) {
        const grant = yield* Effect.either(read(
          `authorize-${attempt}`,
          Schema.Struct({ code: engine.secret }),
          Effect.flatMap(OAuth.OAuth, (o) => o.authorize(credentials)).pipe(Effect.map((g) => ({ code: g.code })))
        ))
        if (Either.isLeft(grant)) return yield* giveUp("authorize", grant.left)
        codesIssued++
        code = grant.right.code
      }
      exchangesSent++
      const exchanged = yield* Effect.either(engine.step(
        `exchange-${attempt}`,
        TokensSchema,
        Effect.flatMap(OAuth.OAuth, (o) => o.exchange({ code: code!, clientId: input.clientId, clientSecret: input.clientSecret }))
      ))
      if (Either.isRight(exchanged)) {
        const tokens: OAuth.OAuthTokens = exchanged.right
        const ours = jwtId(tokens.accessToken)
        const { complete, revoked } = lostExchanges === 0
          ? { revoked: [], complete: true }
          // Without its own id the flow cannot tell its token from the orphans: it revokes none.
          : ours === undefined
          ? { revoked: [], complete: false }
          : yield* reconcile(ours)
        const connected = new OAuthConnected({
          username: input.username,
          clientId: input.clientId,
          tokenId: Option.fromNullable(ours),
          codesIssued,
          exchangesSent,
          lostExchanges,
          orphansRevoked: revoked,
          reconciled: complete
        })
        return { connected, tokens }
      }
      const e = exchanged.left
      const last = attempt === oauthExchangeAttempts
      if (e._tag === "CodeRejectedError") {
        // Expired: void, no token. Spent or unknown: this flow's code, used by an attempt whose
        // outcome it did not see (a durable step that ran again after a crash).
        if (e.reason !== "expired") lostExchanges++
        code = undefined
        if (!last) continue
      } else if (mayHaveActed(e)) {
        lostExchanges++
        code = undefined
        if (!last) continue
      } else if (surelyNotActed(e) && !last) {
        continue
      }
      return yield* giveUp("exchange", e)
    }
    return yield* Effect.dieMessage("unreachable: the exchange loop returns or fails")
  })

// ---------------------------------------------------------------------------------------------
// offboarding: revoke every consent, revoke the tokens, remove the accounts, delete the user

/**
 * What a step of offboarding may need: the user calls, consent and accounts as an
 * administrator; the token calls (and a session's login) as the user, when their credentials
 * were given.
 */
export type OffboardStepContext =
  | Users.Users
  | Consent.Consent
  | Accounts.Accounts
  | Tokens.Tokens
  | Auth
  | GlowmarktConfig
  | AdminAuth

/** What one meter point's consent went through in an offboarding. */
export const OffboardMeterPoint = Schema.Struct({
  mpxn: Schema.String,
  outcome: Schema.Literal("revoked", "alreadyRevoked")
})

/**
 * How the user's tokens ended in one offboarding (see `Offboarding.OffboardReport`):
 *
 * - `revokedById`: listed with the user's own credentials, each revoked by id (`tokensRevoked`);
 * - `endedWithAccounts`: not listed (no credentials, or no account left to log in with): each
 *   ended with its account's removal, and none of the user's is accepted once the user is deleted;
 * - `untouched`: the user was not there; nothing done.
 */
export const OffboardTokens = Schema.Literal("revokedById", "endedWithAccounts", "untouched")

/** What one offboarding did (see `Offboarding.OffboardReport`). */
export const OffboardReport = Schema.Struct({
  userId: Schema.String,
  found: Schema.Boolean,
  meterPoints: Schema.Array(OffboardMeterPoint),
  tokens: OffboardTokens,
  tokensRevoked: Schema.Array(Schema.String),
  accountsRemoved: Schema.Array(AccountId),
  userDeleted: Schema.Boolean,
  revocationRequests: Schema.Number
})
export type OffboardReport = typeof OffboardReport.Type

/** What offboarding can fail with. */
export type OffboardError = Exclude<GlowmarktError, { readonly _tag: "InvalidConfigError" }>

/** The user's own credentials, for the calls only the user can make (their tokens). */
export interface OffboardCredentials {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Defaults to the configured one. */
  readonly applicationId?: string | undefined
}

/** What an offboarding runs with. */
export interface OffboardInput {
  readonly userId: string
  /** Revocation rounds at most (a whole number from 1 to 20). */
  readonly rounds: number
  /** The user's own credentials (an erasure the user asked for): their tokens are revoked by id. */
  readonly credentials?: OffboardCredentials | undefined
}

const ConsentView = Schema.Struct({ all: Schema.Array(Schema.String), holding: Schema.Array(Schema.String) })

const chunks = <A>(all: ReadonlyArray<A>, size: number): Array<ReadonlyArray<A>> => {
  const out: Array<ReadonlyArray<A>> = []
  for (let i = 0; i < all.length; i += size) out.push(all.slice(i, i + size))
  return out
}

/**
 * The offboarding flow (needs only steps, no codes):
 *
 * 1. look the user up (their accounts);
 * 2. with the user's credentials, list their tokens (which also proves the credentials are
 *    this user's, before anything is changed);
 * 3. read the consent status, revoke what holds, read again, for at most `rounds` rounds;
 * 4. revoke each listed token by id, then the session's own token;
 * 5. remove each of the user's accounts in the credential's application (an account the
 *    credential cannot see is another application's: the user's delete removes it);
 * 6. delete the user; confirm with a look-up.
 *
 * Each read is tried up to `stepAttempts` times; a revocation whose answer was lost is settled by
 * the next status read, an account delete whose answer was lost by a look-up of the account, the
 * user's delete by a look-up of the user. Token revocations are idempotent: a step is run again.
 */
export const offboard = <R>(
  engine: Pick<Engine<R, OffboardStepContext>, "step">,
  input: OffboardInput
): Effect.Effect<OffboardReport, OffboardError, R> =>
  Effect.gen(function*() {
    const { rounds, userId } = input
    const users = <A, E>(f: (u: Users.Service) => Effect.Effect<A, E, AdminAuth>) => Effect.flatMap(Users.Users, f)
    const accountsAdmin = <A, E>(f: (a: Accounts.Service) => Effect.Effect<A, E, AdminAuth>) =>
      Effect.flatMap(Accounts.Accounts, f)
    const consent = <A, E>(f: (c: Consent.Operations<"admin">) => Effect.Effect<A, E, AdminAuth>) =>
      Effect.flatMap(Consent.Consent, (c) => f(c.forUser(userId)))
    const read = <A, I>(name: string, schema: Schema.Schema<A, I>, effect: Effect.Effect<A, OffboardError, OffboardStepContext>) =>
      repeatable(engine, name, schema, effect)
    const nothing: OffboardReport = {
      userId,
      found: false,
      meterPoints: [],
      tokens: "untouched",
      tokensRevoked: [],
      accountsRemoved: [],
      userDeleted: false,
      revocationRequests: 0
    }

    const accounts = yield* read(
      "look-up-user",
      Schema.NullOr(Schema.Array(AccountId)),
      users((u) => u.getById(userId)).pipe(
        Effect.map((user) => user.applications.flatMap((a) => (a.accountId === undefined ? [] : [a.accountId]))),
        Effect.catchTag("NotFoundError", () => Effect.succeed(null))
      )
    )
    if (accounts === null) return nothing

    // The user's tokens, listed as the user. Without an account left (a rerun after the accounts
    // were removed) the user cannot log in, and every token ended with its account.
    // The credentials must be shown to be the user's before anything is changed: by the account
    // the login was for, or by the user the listed tokens name (the spec makes both optional, and
    // a server may leave them out: then nothing shows it, and nothing is done).
    const credentials = input.credentials
    const listed = credentials === undefined || accounts.length === 0 ? undefined : yield* read(
      "list-tokens",
      Schema.Array(Schema.String),
      Effect.gen(function*() {
        const issued = yield* Effect.flatMap(Auth, (auth) =>
          auth.login({
            username: credentials.username,
            password: credentials.password,
            applicationId: credentials.applicationId
          }))
        const session: UserSession["Type"] = {
          applicationId: issued.applicationId,
          token: Effect.succeed(issued.token),
          expiresAt: Effect.succeed(Option.some(issued.expiresAt)),
          invalidate: () => Effect.void,
          canLogInAgain: false
        }
        const documents = yield* Effect.provideService(Effect.flatMap(Tokens.Tokens, (t) => t.list()), UserSession, session)
        const named = documents.flatMap((d) => (d.userId === undefined ? [] : [d.userId as string]))
        const shown = named.length > 0 || Option.isSome(issued.accountId)
        const contradicted = named.some((id) => id !== userId) ||
          Option.exists(issued.accountId, (a) => !accounts.includes(a))
        return shown && !contradicted ? documents.map((d): string => d.tokenId) : yield* new InvalidInputError({
          operation: "offboard",
          field: "credentials",
          problem: shown
            ? "are not those of the user offboarded"
            : "cannot be shown to be those of the user offboarded (the server named neither their account nor their user)"
        })
      })
    )

    const status = (round: number) =>
      read(
        `consent-status-${round}`,
        ConsentView,
        consent((c) => c.status()).pipe(Effect.map((s) => ({
          all: s.meterPointVerification.map((m) => m.mpxn),
          holding: s.meterPointVerification.filter((m) => m.isVerified === true).map((m) => m.mpxn)
        })))
      )
    // A call that must not be repeated is preceded by a step that records the intent to make it.
    // When a run finds that step recorded by an earlier process (which may have made the call
    // and died before its answer was recorded), it asks the server before acting again.
    const madeBefore = (name: string): Effect.Effect<boolean, OffboardError, R> =>
      Effect.suspend(() => {
        let now = false
        return Effect.map(engine.step(`${name}-intent`, Schema.Void, Effect.sync(() => { now = true })), () => !now)
      })

    const first = yield* status(0)
    let pending = first.holding
    let revocationRequests = 0
    for (let round = 0; pending.length > 0; round++) {
      const last = round >= rounds - 1
      for (const [b, batch] of chunks(pending, 100).entries()) {
        revocationRequests++
        // Sent before by a process that died before recording it: only what still holds.
        const stillHolding = (yield* madeBefore(`revoke-${round}-${b}`))
          ? consent((c) => c.status()).pipe(Effect.map((s) =>
            batch.filter((mpxn) => s.meterPointVerification.some((m) => m.mpxn === mpxn && m.isVerified === true))
          ))
          : Effect.succeed(batch)
        yield* engine.step(
          `revoke-${round}-${b}`,
          Schema.Void,
          Effect.flatMap(stillHolding, (mpxns) => mpxns.length === 0 ? Effect.void : consent((c) => Effect.asVoid(c.revokeAll(mpxns))))
        ).pipe(
          // A lost answer, a refusal to start: the next status read says what holds. In the last
          // round, the error is the caller's (who can run the whole offboarding again).
          Effect.catchIf(
            (e) => !last && (mayHaveActed(e) || e._tag === "TransportError" || e._tag === "UnexpectedStatusError"),
            () => Effect.void
          )
        )
      }
      pending = (yield* status(round + 1)).holding
      if (last && pending.length > 0) {
        return yield* new UnexpectedResponseError({
          operation: "renewMeterPointConsentRevokeBulk",
          status: 200,
          problem: `consent still holds for ${pending.length} meter point(s) after the revocation was accepted`
        })
      }
    }
    const meterPoints = first.all.map((mpxn) => ({
      mpxn,
      outcome: first.holding.includes(mpxn) ? "revoked" as const : "alreadyRevoked" as const
    }))

    // Every listed token by id (revoking one again succeeds: a step whose answer was lost is run
    // again), then the token of this step's own session. The token the listing logged in with
    // is on the list.
    if (listed !== undefined && credentials !== undefined) {
      yield* read(
        "revoke-tokens",
        Schema.Void,
        Effect.gen(function*() {
          const tokens = yield* Tokens.Tokens
          for (const tokenId of listed) yield* tokens.revoke(tokenId)
          const session = yield* UserSession
          const own = yield* session.token
          yield* Effect.flatMap(Auth, (auth) => auth.revoke(own, { applicationId: session.applicationId }))
        }).pipe(withSession(credentials))
      )
    }

    // Each account in the credential's application, removed. A delete whose answer was lost is
    // replayed by the client (deleting again answers as the first time did); when every replay
    // was lost, a look-up tells whether it happened.
    const removeAccount = (accountId: string, attempt: number): Effect.Effect<void, OffboardError, R> =>
      engine.step(
        `delete-account-${accountId}-${attempt}`,
        Schema.Literal("deleted", "unknown"),
        accountsAdmin((a) => a.delete(accountId)).pipe(
          Effect.as("deleted" as const),
          Effect.catchIf((e) => mayHaveActed(e), () => Effect.succeed("unknown" as const))
        )
      ).pipe(
        Effect.flatMap((outcome) =>
          outcome === "deleted" ? Effect.void : Effect.flatMap(
            read(
              `confirm-account-${accountId}-${attempt}`,
              Schema.Boolean,
              accountsAdmin((a) => a.get(accountId)).pipe(Effect.as(false), Effect.catchTag("NotFoundError", () => Effect.succeed(true)))
            ),
            (gone): Effect.Effect<void, OffboardError, R> =>
              gone
                ? Effect.void
                : attempt < stepAttempts
                ? removeAccount(accountId, attempt + 1)
                : Effect.fail(new UnexpectedResponseError({ operation: "deleteAccount", status: 200, problem: "the account is still there after its delete" }))
          )
        ),
        Effect.catchIf((e) => surelyNotActed(e) && attempt < stepAttempts, () => removeAccount(accountId, attempt + 1))
      )
    const accountsRemoved: Array<AccountId> = []
    for (const accountId of accounts) {
      const here = yield* read(
        `account-${accountId}`,
        Schema.Boolean,
        accountsAdmin((a) => a.get(accountId)).pipe(Effect.as(true), Effect.catchTag("NotFoundError", () => Effect.succeed(false)))
      )
      if (!here) continue
      yield* removeAccount(accountId, 1)
      accountsRemoved.push(accountId)
    }

    // The user. A delete whose answer was lost is replayed by the client (a 404 on the replay
    // means the first attempt deleted it); a look-up confirms.
    // A 404 after a delete made by an earlier process of this run (whose answer was lost with
    // it) means that delete removed the user, as a 404 on the client's replay does.
    const deleteMadeBefore = yield* madeBefore("delete-user")
    const deleted = yield* engine.step(
      "delete-user",
      Schema.Literal("deleted", "notFound", "unknown"),
      users((u) => u.delete(userId)).pipe(
        Effect.as("deleted" as const),
        Effect.catchTag("NotFoundError", () => Effect.succeed(deleteMadeBefore ? "deleted" as const : "notFound" as const)),
        Effect.catchIf((e) => mayHaveActed(e), () => Effect.succeed("unknown" as const))
      )
    )
    const gone = yield* read(
      "confirm-deleted",
      Schema.Boolean,
      users((u) => u.getById(userId)).pipe(Effect.as(false), Effect.catchTag("NotFoundError", () => Effect.succeed(true)))
    )
    // The delete did not happen (its answer was an error and the user is still there): again.
    if (!gone) yield* engine.step("delete-user-again", Schema.Void, users((u) => u.delete(userId)))
    return {
      userId,
      found: true,
      meterPoints,
      tokens: listed === undefined ? "endedWithAccounts" : "revokedById",
      tokensRevoked: listed ?? [],
      accountsRemoved,
      userDeleted: deleted !== "notFound",
      revocationRequests
    } satisfies OffboardReport
  })
