/**
 * Flows that survive restarts: register -> verify, request-reset -> reset, household onboarding
 * (register -> verify -> log in -> consent), offboarding, and the OAuth connection of a
 * third-party application (authorize -> exchange, its tokens stored sealed), as
 * `@effect/workflow` workflows.
 *
 * They are the flows of `Onboarding`, the same code with the same `CodePolicy` and the same
 * errors, on a durable engine: each API call is an `Activity` (its result is persisted, so a
 * replay never repeats a call that finished), each emailed code a `DurableDeferred` that the
 * host completes with {@link Service.submitCode} when its user types the code, and each wait
 * has a durable timeout (`DurableClock`). A flow is keyed by application + username (+ an
 * optional `nonce` for resets), so starting it twice joins the first run.
 *
 * Run it on any `WorkflowEngine`: see `DurableEngine` (memory, SQLite, PostgreSQL).
 *
 * ```ts
 * const program = Effect.gen(function*() {
 *   const onboarding = yield* DurableOnboarding.DurableOnboarding
 *   const flow = yield* onboarding.startRegistration({ name, username: email, email, password })
 *   // ... later, in another request, maybe on another machine:
 *   yield* onboarding.submitCode(flow, "1234")
 *   const verified = yield* onboarding.result(flow)
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowEngine } from "@effect/workflow/WorkflowEngine"
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { InvalidConfigError, InvalidInputError } from "../schema/GlowmarktError.js"
import { ApplicationId, UserId, Username, VerificationCode } from "../schema/Identifiers.js"
import type { Auth } from "../services/Auth.js"
import type { Accounts } from "../services/Accounts.js"
import type { Consent } from "../services/Consent.js"
import { GlowmarktConfig } from "../services/GlowmarktConfig.js"
import { decodeInput, orConfigured } from "../services/internal/input.js"
import * as OAuth from "../services/OAuth.js"
import * as OAuthSession from "../services/OAuthSession.js"
import type { Tokens } from "../services/Tokens.js"
import * as Users from "../services/Users.js"
import * as CodePolicy from "../workflows/CodePolicy.js"
import { FlowCompletedError, FlowKind } from "../workflows/FlowError.js"
import type * as Flows from "../workflows/internal/flows.js"
import type { HouseholdOnboarded, OAuthConnected, Onboarded, PasswordReset } from "../workflows/internal/flows.js"
import type * as Offboarding from "../workflows/Offboarding.js"
import { OffboardCredentialsInput } from "../workflows/Offboarding.js"
import type * as Onboarding from "../workflows/Onboarding.js"
import { HouseholdInputSchema, OAuthConnectInputSchema } from "../workflows/Onboarding.js"
import { maxWaits, readWait, scanWaits, submitToWait } from "./internal/codes.js"
import { FlowSecrets, makeSealer } from "./internal/seal.js"
import {
  type FlowFailure,
  type OAuthConnectFailure,
  type OffboardFailure,
  Household,
  layerWorkflows,
  OAuthConnect,
  Offboard,
  openTokens,
  RegisterAndVerify,
  ResetPassword
} from "./internal/workflows.js"

// ---------------------------------------------------------------------------------------------
// Settings

/**
 * The options of {@link layer}; every one has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options extends CodePolicy.Options {
  /** How often {@link Service.result} looks at a running flow (default 250 millis). */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * The key that seals passwords in the engine's storage (AES-256-GCM). Every process that runs
   * these flows on one database needs the same key. Without one, a random key of this process
   * is used: fine for the memory engine, but a flow resumed by another process cannot open it.
   */
  readonly secretKey?: Redacted.Redacted<string> | undefined
}

/**
 * The options from `Config`: `GLOWMARKT_DURABLE_CODE_TIMEOUT` (e.g. `15 minutes`),
 * `GLOWMARKT_DURABLE_MAX_CODES`, `GLOWMARKT_DURABLE_MAX_WRONG_CODES`,
 * `GLOWMARKT_DURABLE_SECRET_KEY` (read with `Config.redacted`).
 *
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  codeTimeout: Config.duration("GLOWMARKT_DURABLE_CODE_TIMEOUT").pipe(Config.withDefault(CodePolicy.defaults.codeTimeout)),
  maxCodes: Config.integer("GLOWMARKT_DURABLE_MAX_CODES").pipe(Config.withDefault(CodePolicy.defaults.maxCodes)),
  maxWrongCodes: Config.integer("GLOWMARKT_DURABLE_MAX_WRONG_CODES").pipe(
    Config.withDefault(CodePolicy.defaults.maxWrongCodes)
  ),
  secretKey: Config.option(Config.redacted("GLOWMARKT_DURABLE_SECRET_KEY")).pipe(Config.map(Option.getOrUndefined))
})

const defaultPollInterval = Duration.millis(250)

/**
 * What a flow can end with, besides success: `CodeNotReceivedError`, `TooManyWrongCodesError`,
 * and the errors of the calls (as in `Onboarding`).
 *
 * @category errors
 * @since 0.1.0
 */
export type FlowError = FlowFailure

/**
 * What an offboarding can end with, besides success: the errors of the calls.
 *
 * @category errors
 * @since 0.1.0
 */
export type OffboardingError = OffboardFailure

/**
 * What an OAuth connection can end with, besides success: `OAuthNotConnectedError`, and the
 * errors of the calls (as in `Onboarding.connectOAuth`).
 *
 * @category errors
 * @since 0.1.0
 */
export type OAuthConnectError = OAuthConnectFailure

// ---------------------------------------------------------------------------------------------
// The host API

/**
 * Names one flow: what the host keeps (or recomputes) to submit a code or read the state.
 *
 * @category models
 * @since 0.1.0
 */
export interface FlowRef<K extends FlowKind = FlowKind> {
  readonly kind: K
  readonly username: string
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
  /** Password resets and household onboardings only (default `""`). */
  readonly nonce?: string | undefined
}

/**
 * A started flow.
 *
 * @category models
 * @since 0.1.0
 */
export interface FlowHandle<K extends FlowKind = FlowKind> extends FlowRef<K> {
  readonly applicationId: string
  readonly executionId: string
}

/**
 * What a flow of kind `K` ends with.
 *
 * @category models
 * @since 0.1.0
 */
export type ResultOf<K extends FlowKind> = K extends "registration" ? Onboarded
  : K extends "household" ? HouseholdOnboarded
  : PasswordReset

/**
 * Where a flow stands.
 *
 * - `Pending`: no trace of a wait yet: the flow was not started, or it is still on its first
 *   call (the engines cannot tell these apart without running it).
 * - `Running`: between calls or waiting (`awaitingCode`) for the code of wait `wait`.
 * - `Succeeded` / `Failed`: over.
 *
 * @category models
 * @since 0.1.0
 */
export type FlowState =
  | { readonly _tag: "Pending" }
  | {
    readonly _tag: "Running"
    readonly awaitingCode: boolean
    readonly wait: number
    readonly codesSubmitted: number
    readonly waitsExpired: number
  }
  | { readonly _tag: "Succeeded"; readonly result: Onboarded | PasswordReset | HouseholdOnboarded }
  | { readonly _tag: "Failed"; readonly error: FlowError | undefined; readonly cause: string }

/**
 * Where a flow that waits for no code stands: `Pending` until it ends (the engines cannot tell
 * a run not started from one on its first call), then `Succeeded` or `Failed`.
 *
 * @category models
 * @since 0.1.0
 */
export type RunState<A, E> =
  | { readonly _tag: "Pending" }
  | { readonly _tag: "Succeeded"; readonly result: A }
  | { readonly _tag: "Failed"; readonly error: E | undefined; readonly cause: string }

/**
 * The input of {@link Service.startRegistration}: that of `Users.register`.
 *
 * @category models
 * @since 0.1.0
 */
export type RegistrationInput = Users.RegisterInput

/**
 * The input of {@link Service.startPasswordReset}.
 *
 * @category models
 * @since 0.1.0
 */
export interface PasswordResetInput {
  readonly username: string
  readonly newPassword: Redacted.Redacted<string>
  readonly applicationId?: string | undefined
  /** A new nonce starts a new reset for the same user (default `""`). */
  readonly nonce?: string | undefined
}

/**
 * The input of {@link Service.startHousehold}: a registration, the household's meter points
 * (MPxNs), and a nonce (a new one starts a new run for the same user, default `""`).
 *
 * @category models
 * @since 0.1.0
 */
export interface HouseholdInput extends Users.RegisterInput {
  readonly meterPoints: ReadonlyArray<string>
  readonly nonce?: string | undefined
}

/**
 * Names one durable offboarding: the user's id and the nonce it was started with.
 *
 * @category models
 * @since 0.1.0
 */
export interface OffboardingRef {
  readonly userId: string
  /** A new nonce starts a new run for the same user (default `""`). */
  readonly nonce?: string | undefined
}

/**
 * The input of {@link Service.startOffboarding}: the user, the options of `Offboarding.offboard`
 * (`rounds`, `credentials`), and a nonce.
 *
 * @category models
 * @since 0.1.0
 */
export interface OffboardingInput extends OffboardingRef, Offboarding.OffboardOptions {}

/**
 * A started offboarding.
 *
 * @category models
 * @since 0.1.0
 */
export interface OffboardingHandle extends OffboardingRef {
  readonly nonce: string
  readonly executionId: string
}

/**
 * What an offboarding reports (that of `Offboarding.offboard`).
 *
 * @category models
 * @since 0.1.0
 */
export type OffboardReport = Flows.OffboardReport

/**
 * The input of {@link Service.startOAuthConnect}: that of `Onboarding.connectOAuth`, and a nonce
 * (a new one starts a new connection for the same user and client, default `""`).
 *
 * @category models
 * @since 0.1.0
 */
export interface OAuthConnectInput extends Onboarding.OAuthConnectInput {
  readonly nonce?: string | undefined
}

/**
 * Names one durable OAuth connection: the user, the application and client, the nonce.
 *
 * @category models
 * @since 0.1.0
 */
export interface OAuthConnectRef {
  readonly username: string
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
  /** Defaults to the application. */
  readonly clientId?: string | undefined
  /** Default `""`. */
  readonly nonce?: string | undefined
}

/**
 * A started OAuth connection.
 *
 * @category models
 * @since 0.1.0
 */
export interface OAuthConnectHandle extends OAuthConnectRef {
  readonly applicationId: string
  readonly clientId: string
  readonly nonce: string
  readonly executionId: string
}

/**
 * What a durable OAuth connection ends with: its report (as `Onboarding.connectOAuth`'s), the
 * tokens (stored sealed by the engine, opened for the host), and how to open an `OAuthSession`.
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
 * The durable flows, for a host application.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** Starts (or joins) the registration of a user; returns at once. */
  readonly startRegistration: (input: RegistrationInput) => Effect.Effect<FlowHandle<"registration">, InvalidInputError>
  /**
   * Starts (or joins) a household onboarding (register -> verify -> log in -> consent for the
   * meter points, see `Onboarding.household`); returns at once. Codes go in with `submitCode`.
   */
  readonly startHousehold: (input: HouseholdInput) => Effect.Effect<FlowHandle<"household">, InvalidInputError>
  /**
   * Starts (or joins) the offboarding of a user (see `Offboarding.offboard`); returns at once.
   * The workflows' layer needs an `AdminAuth` for it (the host's credential, never stored). The
   * user's own credentials, when given, are stored with the password sealed (like a
   * registration's): with them, the user's tokens are revoked by id.
   */
  readonly startOffboarding: (input: OffboardingInput) => Effect.Effect<OffboardingHandle, InvalidInputError>
  /** Where an offboarding stands (`Pending` until it ends: it waits for no code). */
  readonly offboardingState: (
    ref: OffboardingRef
  ) => Effect.Effect<RunState<OffboardReport, OffboardingError>, InvalidInputError>
  /** Waits for an offboarding to end (polling the engine's storage). */
  readonly offboardingResult: (ref: OffboardingRef) => Effect.Effect<OffboardReport, OffboardingError | InvalidInputError>
  /**
   * Starts (or joins) an OAuth connection of a third-party client (authorize -> exchange ->
   * reconcile, see `Onboarding.connectOAuth`); returns at once. Password, client secret, code
   * and tokens are stored sealed only.
   */
  readonly startOAuthConnect: (input: OAuthConnectInput) => Effect.Effect<OAuthConnectHandle, InvalidInputError>
  /** Where an OAuth connection stands (`Pending` until it ends: it waits for no code). */
  readonly oauthConnectState: (
    ref: OAuthConnectRef
  ) => Effect.Effect<RunState<OAuthConnection, OAuthConnectError>, InvalidInputError>
  /** Waits for an OAuth connection to end (polling the engine's storage); its tokens opened. */
  readonly oauthConnectResult: (ref: OAuthConnectRef) => Effect.Effect<OAuthConnection, OAuthConnectError | InvalidInputError>
  /** Starts (or joins) a password reset; returns at once. */
  readonly startPasswordReset: (
    input: PasswordResetInput
  ) => Effect.Effect<FlowHandle<"passwordReset">, InvalidInputError>
  /**
   * Hands the code the user typed to the flow (to its current wait; a code that arrives while
   * the flow is between waits is kept for the next one). Returns the wait it went to.
   */
  readonly submitCode: (
    flow: FlowRef,
    code: string
  ) => Effect.Effect<{ readonly wait: number }, InvalidInputError | FlowCompletedError>
  /** Where the flow stands. */
  readonly state: (flow: FlowRef) => Effect.Effect<FlowState, InvalidInputError>
  /** Waits for the flow to end (polling the engine's storage). */
  readonly result: <K extends FlowKind>(flow: FlowRef<K>) => Effect.Effect<ResultOf<K>, FlowError | InvalidInputError>
}

/**
 * The durable flows.
 *
 * @category tags
 * @since 0.1.0
 */
export class DurableOnboarding extends Context.Tag("effect-glowmarkt/durable/DurableOnboarding")<
  DurableOnboarding,
  Service
>() {}

/** What {@link FlowRef} must hold, checked before a flow is looked up. */
const FlowRefInput = Schema.Struct({
  kind: FlowKind,
  username: Username,
  applicationId: Schema.optional(ApplicationId),
  nonce: Schema.optional(Schema.String)
})

/** A nonce: a new one starts a new run of a flow for the same user (default `""`). */
const Nonce = Schema.Struct({ nonce: Schema.optional(Schema.String) })

/** The inputs of the `start*` operations that take a nonce, checked before anything starts. */
const StartHouseholdInput = Schema.extend(HouseholdInputSchema, Nonce)
const StartPasswordResetInput = Schema.extend(Users.ResetPasswordInput.pipe(Schema.omit("code")), Nonce)
const StartOAuthConnectInput = Schema.extend(OAuthConnectInputSchema, Nonce)

const placeholderPolicy: CodePolicy.CodePolicy = { codeTimeoutMillis: 1, maxCodes: 1, maxWrongCodes: 1 }

/**
 * Builds the service on the `WorkflowEngine` in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, InvalidConfigError, WorkflowEngine | GlowmarktConfig | FlowSecrets> =>
  Effect.gen(function*() {
    const policy = yield* CodePolicy.make(options)
    const secrets = yield* FlowSecrets
    const pollInterval = yield* Option.match(Duration.decodeUnknown(options.pollInterval ?? defaultPollInterval), {
      onNone: () => Effect.fail(new InvalidConfigError({ setting: "pollInterval", problem: "must be a duration" })),
      onSome: Effect.succeed
    })
    const glowmarkt = yield* GlowmarktConfig
    const context = yield* Effect.context<WorkflowEngine>()

    const applicationIdOf = (operation: string, value: string | undefined) =>
      orConfigured<string>(operation, "applicationId", value, glowmarkt.applicationId)

    // The execution id depends on the idempotency key only; the other fields are placeholders
    // that satisfy the payload schema.
    const locate = (operation: string, ref: FlowRef) =>
      Effect.gen(function*() {
        // Checked at run time too: a host passes what it kept, from untyped storage.
        const flow = yield* decodeInput(operation, FlowRefInput, ref)
        const applicationId = yield* applicationIdOf(operation, flow.applicationId)
        const username: string = flow.username
        const executionId = flow.kind === "household"
          ? yield* Household.executionId({
            applicationId,
            username,
            name: "-",
            email: "-",
            sealedPassword: "-",
            policy: placeholderPolicy,
            meterPoints: [],
            nonce: flow.nonce ?? ""
          })
          : flow.kind === "registration"
          ? yield* RegisterAndVerify.executionId({
            applicationId,
            username,
            name: "-",
            email: "-",
            sealedPassword: "-",
            policy: placeholderPolicy
          })
          : yield* ResetPassword.executionId({
            applicationId,
            username,
            nonce: flow.nonce ?? "",
            sealedNewPassword: "-",
            policy: placeholderPolicy
          })
        const workflow: Workflow.Any = flow.kind === "registration"
          ? RegisterAndVerify
          : flow.kind === "household"
          ? Household
          : ResetPassword
        return { applicationId, username, executionId, workflow }
      })

    const poll = (flow: FlowRef, executionId: string) =>
      (flow.kind === "registration"
        ? RegisterAndVerify.poll(executionId)
        : flow.kind === "household"
        ? Household.poll(executionId)
        : ResetPassword.poll(executionId)) as Effect.Effect<
          Workflow.Result<Onboarded | PasswordReset | HouseholdOnboarded, FlowError> | undefined,
          never,
          WorkflowEngine
        >

    /** A run's state from what the engine holds of it (`Pending` until it is complete). */
    const runState = <A, E, B, R>(
      r: Workflow.Result<A, E> | undefined,
      succeeded: (value: A) => Effect.Effect<B, never, R>
    ): Effect.Effect<RunState<B, E>, never, R> => {
      if (r === undefined || r._tag !== "Complete") return Effect.succeed({ _tag: "Pending" })
      if (r.exit._tag === "Success") return Effect.map(succeeded(r.exit.value), (result) => ({ _tag: "Succeeded", result }))
      return Effect.succeed({
        _tag: "Failed",
        error: Option.getOrUndefined(Cause.failureOption(r.exit.cause)),
        cause: Cause.pretty(r.exit.cause)
      })
    }

    /** Waits for a run to complete (polling the engine's storage), and its outcome. */
    const completed = <A, E, R>(poll: Effect.Effect<Workflow.Result<A, E> | undefined, never, R>) =>
      Effect.gen(function*() {
        while (true) {
          const r = yield* poll
          if (r !== undefined && r._tag === "Complete") return yield* r.exit
          yield* Effect.sleep(pollInterval)
        }
      })

    // What a registration (alone, or a household's) stores: the settings' defaults filled in,
    // the password sealed, the policy copied.
    const registrationOf = (operation: string, i: Users.RegisterInput & { readonly password: Redacted.Redacted<string> }) =>
      Effect.map(applicationIdOf(operation, i.applicationId), (applicationId) => {
        const directoryId = i.directoryId ?? Option.getOrUndefined(glowmarkt.directoryId)
        return {
          applicationId,
          ...(directoryId === undefined ? {} : { directoryId }),
          username: i.username,
          name: i.name,
          email: i.email,
          sealedPassword: secrets.seal(i.password),
          policy
        }
      })

    const startRegistration: Service["startRegistration"] = (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("startRegistration", Users.RegisterInput, input)
        const registration = yield* registrationOf("startRegistration", i)
        const executionId = yield* RegisterAndVerify.execute(registration, { discard: true })
        return { kind: "registration" as const, username: i.username, applicationId: registration.applicationId, executionId }
      }).pipe(Effect.provide(context))

    const startHousehold: Service["startHousehold"] = (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("startHousehold", StartHouseholdInput, input)
        const registration = yield* registrationOf("startHousehold", i)
        const nonce = i.nonce ?? ""
        const executionId = yield* Household.execute({ ...registration, meterPoints: i.meterPoints, nonce }, { discard: true })
        return { kind: "household" as const, username: i.username, applicationId: registration.applicationId, nonce, executionId }
      }).pipe(Effect.provide(context))

    const startPasswordReset: Service["startPasswordReset"] = (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("startPasswordReset", StartPasswordResetInput, input)
        const applicationId = yield* applicationIdOf("startPasswordReset", i.applicationId)
        const nonce = i.nonce ?? ""
        const executionId = yield* ResetPassword.execute({
          applicationId,
          username: i.username,
          nonce,
          sealedNewPassword: secrets.seal(i.newPassword),
          policy
        }, { discard: true })
        return { kind: "passwordReset" as const, username: i.username, applicationId, nonce, executionId }
      }).pipe(Effect.provide(context))

    const state: Service["state"] = (flow) =>
      Effect.gen(function*() {
        const { executionId, workflow } = yield* locate("state", flow)
        const result = yield* poll(flow, executionId)
        if (result !== undefined && result._tag === "Complete") {
          const exit = result.exit
          if (exit._tag === "Success") return { _tag: "Succeeded", result: exit.value } as const
          return {
            _tag: "Failed",
            error: Option.getOrUndefined(Cause.failureOption(exit.cause)),
            cause: Cause.pretty(exit.cause)
          } as const
        }
        const waits = yield* scanWaits(workflow, executionId)
        if (result === undefined && waits.open === 1) return { _tag: "Pending" } as const
        return {
          _tag: "Running",
          awaitingCode: result !== undefined,
          wait: waits.open,
          codesSubmitted: waits.submitted,
          waitsExpired: waits.expired
        } as const
      }).pipe(Effect.provide(context))

    const submitCode: Service["submitCode"] = (flow, code) =>
      Effect.gen(function*() {
        const valid = yield* decodeInput("submitCode", VerificationCode, code)
        const { executionId, username, workflow } = yield* locate("submitCode", flow)
        const result = yield* poll(flow, executionId)
        if (result !== undefined && result._tag === "Complete") {
          return yield* new FlowCompletedError({ flow: flow.kind, username, succeeded: result.exit._tag === "Success" })
        }
        for (let wait = 1; wait <= maxWaits; wait++) {
          const w = yield* readWait(workflow, executionId, wait)
          if (w._tag === "Open") {
            yield* submitToWait(workflow, executionId, wait, valid)
            return { wait }
          }
        }
        return yield* new FlowCompletedError({ flow: flow.kind, username, succeeded: false })
      }).pipe(Effect.provide(context))

    const result: Service["result"] = (flow) =>
      Effect.gen(function*() {
        const { executionId } = yield* locate("result", flow)
        return (yield* completed(poll(flow, executionId))) as ResultOf<typeof flow.kind>
      }).pipe(Effect.provide(context))

    const OffboardingInput = Schema.Struct({
      userId: UserId,
      nonce: Schema.optional(Schema.String),
      rounds: Schema.optional(Schema.Int.pipe(Schema.between(1, 20))),
      credentials: Schema.optional(OffboardCredentialsInput)
    })
    const offboardingOf = (operation: string, ref: unknown) =>
      Effect.gen(function*() {
        const i = yield* decodeInput(operation, OffboardingInput, ref)
        const c = i.credentials
        const payload = {
          userId: i.userId as string,
          nonce: i.nonce ?? "",
          rounds: i.rounds ?? 4,
          // Only for a start: the execution id depends on the user and the nonce alone.
          ...(c === undefined || operation !== "startOffboarding" ? {} : {
            credentials: {
              username: c.username as string,
              ...(c.applicationId === undefined ? {} : { applicationId: c.applicationId as string }),
              sealedPassword: secrets.seal(c.password)
            }
          })
        }
        return { payload, executionId: yield* Offboard.executionId(payload) }
      })

    const startOffboarding: Service["startOffboarding"] = (input) =>
      Effect.gen(function*() {
        const { payload } = yield* offboardingOf("startOffboarding", input)
        const executionId = yield* Offboard.execute(payload, { discard: true })
        return { userId: payload.userId, nonce: payload.nonce, executionId }
      }).pipe(Effect.provide(context))

    const offboardingState: Service["offboardingState"] = (ref) =>
      Effect.gen(function*() {
        const { executionId } = yield* offboardingOf("offboardingState", ref)
        return yield* runState(yield* Offboard.poll(executionId), Effect.succeed)
      }).pipe(Effect.provide(context))

    const offboardingResult: Service["offboardingResult"] = (ref) =>
      Effect.gen(function*() {
        const { executionId } = yield* offboardingOf("offboardingResult", ref)
        return yield* completed(Offboard.poll(executionId))
      }).pipe(Effect.provide(context))

    const OAuthRefInput = Schema.Struct({
      username: Username,
      applicationId: Schema.optional(ApplicationId),
      clientId: Schema.optional(ApplicationId),
      nonce: Schema.optional(Schema.String)
    })
    const oauthKeyOf = (operation: string, ref: unknown) =>
      Effect.gen(function*() {
        const i = yield* decodeInput(operation, OAuthRefInput, ref)
        const applicationId = yield* applicationIdOf(operation, i.applicationId)
        const key = { applicationId, username: i.username as string, clientId: i.clientId ?? applicationId, nonce: i.nonce ?? "" }
        // The execution id depends on the idempotency key only: the rest are placeholders.
        const executionId = yield* OAuthConnect.executionId({ ...key, sealedPassword: "-" })
        return { key, executionId }
      })
    const connectionOf = (result: typeof OAuthConnect.successSchema.Type): Effect.Effect<OAuthConnection> =>
      Option.match(
        Option.all({
          tokens: openTokens(secrets, result.sealedTokens),
          // The client's secret, for the session's refreshes (a confidential client needs it).
          clientSecret: result.sealedClientSecret === undefined
            ? Option.some(undefined)
            : secrets.open(result.sealedClientSecret)
        }),
        {
          onNone: () =>
            Effect.dieMessage(
              "a durable OAuth connection's sealed tokens cannot be opened: every process running these flows needs the same secretKey (GLOWMARKT_DURABLE_SECRET_KEY)"
            ),
          onSome: ({ clientSecret, tokens }) =>
            Effect.succeed({
              connected: result.connected,
              tokens,
              openSession: (options) =>
                OAuthSession.make({ tokens, clientId: result.connected.clientId, clientSecret, refreshAhead: options?.refreshAhead })
            } satisfies OAuthConnection)
        }
      )

    const startOAuthConnect: Service["startOAuthConnect"] = (input) =>
      Effect.gen(function*() {
        const i = yield* decodeInput("startOAuthConnect", StartOAuthConnectInput, input)
        const applicationId = yield* applicationIdOf("startOAuthConnect", i.applicationId)
        const directoryId = i.directoryId ?? Option.getOrUndefined(glowmarkt.directoryId)
        const clientId = i.clientId ?? applicationId
        const nonce = i.nonce ?? ""
        const executionId = yield* OAuthConnect.execute({
          applicationId,
          ...(directoryId === undefined ? {} : { directoryId }),
          username: i.username,
          sealedPassword: secrets.seal(i.password),
          clientId,
          ...(i.clientSecret === undefined ? {} : { sealedClientSecret: secrets.seal(i.clientSecret) }),
          nonce
        }, { discard: true })
        return { username: i.username, applicationId, clientId, nonce, executionId }
      }).pipe(Effect.provide(context))

    const oauthConnectState: Service["oauthConnectState"] = (ref) =>
      Effect.gen(function*() {
        const { executionId } = yield* oauthKeyOf("oauthConnectState", ref)
        return yield* runState(yield* OAuthConnect.poll(executionId), connectionOf)
      }).pipe(Effect.provide(context))

    const oauthConnectResult: Service["oauthConnectResult"] = (ref) =>
      Effect.gen(function*() {
        const { executionId } = yield* oauthKeyOf("oauthConnectResult", ref)
        return yield* connectionOf(yield* completed(OAuthConnect.poll(executionId)))
      }).pipe(Effect.provide(context))

    return {
      startRegistration,
      startHousehold,
      startPasswordReset,
      startOAuthConnect,
      oauthConnectState,
      oauthConnectResult,
      startOffboarding,
      offboardingState,
      offboardingResult,
      submitCode,
      state,
      result
    }
  })

/**
 * The service and its five workflows (registration, password reset, household onboarding,
 * offboarding, OAuth connection) registered, on a `WorkflowEngine` (see `DurableEngine`), the services
 * (`Glowmarkt.layer`) and `GlowmarktConfig`. Offboarding acts as an administrator: it uses the
 * `AdminAuth` in context where the layer is built, if there is one (otherwise an offboarding
 * fails with an `InvalidConfigError`); the credential is never stored.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  DurableOnboarding,
  InvalidConfigError,
  WorkflowEngine | Users.Users | Auth | Consent | Accounts | OAuth.OAuth | Tokens | GlowmarktConfig
> =>
  Layer.merge(Layer.effect(DurableOnboarding, make(options)), layerWorkflows).pipe(
    Layer.provide(Layer.sync(FlowSecrets, () => makeSealer(Option.fromNullable(options.secretKey))))
  )

/**
 * {@link layer} configured with `Config` (see {@link config}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<
  DurableOnboarding,
  InvalidConfigError | ConfigError.ConfigError,
  WorkflowEngine | Users.Users | Auth | Consent | Accounts | OAuth.OAuth | Tokens | GlowmarktConfig
> => Layer.unwrapEffect(Effect.map(options, layer))
