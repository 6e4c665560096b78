/**
 * Onboarding flows that survive restarts: register -> verify and request-reset -> reset as
 * `@effect/workflow` workflows.
 *
 * Each API call is an `Activity` (its result is persisted, so a replay never repeats a call that
 * finished), each emailed code a `DurableDeferred` that the host completes with
 * {@link Service.submitCode} when its user types the code, and each wait has a durable timeout
 * (`DurableClock`): a code that does not come in time triggers a new one
 * (`requestVerificationCode` / `requestPasswordReset`), up to a limit, then the flow fails with
 * {@link CodeNotReceivedError}. A flow is keyed by application + username (+ an optional
 * `nonce` for resets), so starting it twice joins the first run.
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
import * as Activity from "@effect/workflow/Activity"
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
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import {
  AccessDeniedError,
  BadRequestError,
  InvalidConfigError,
  InvalidInputError,
  mayHaveActed,
  NotFoundError,
  ServerError,
  surelyNotActed,
  TransportError,
  UnexpectedResponseError,
  UnexpectedStatusError
} from "../schema/GlowmarktError.js"
import { ApplicationId, Username, VerificationCode } from "../schema/Identifiers.js"
import { GlowmarktConfig } from "../services/GlowmarktConfig.js"
import { invalidInput, orConfigured } from "../services/internal/input.js"
import * as Users from "../services/Users.js"
import { awaitCode, maxWaits, readWait, scanWaits, submitToWait } from "./internal/codes.js"
import { FlowSecrets, makeSealer } from "./internal/seal.js"

// ---------------------------------------------------------------------------------------------
// Settings

/**
 * How patient a flow is. Copied into each flow when it starts, so a replay decides with the
 * settings the flow started with, whatever the configuration of the process replaying it.
 *
 * @since 0.1.0
 */
export const FlowSettings = Schema.Struct({
  /** How long one wait for a code lasts before a new code is requested. */
  codeTimeoutMillis: Schema.Int.pipe(Schema.positive()),
  /** How many new codes may be requested after timeouts (0: the first code only). */
  maxResends: Schema.Int.pipe(Schema.nonNegative()),
  /** How many wrong codes end the flow. */
  maxWrongCodes: Schema.Int.pipe(Schema.positive())
})
/** @since 0.1.0 */
export type FlowSettings = typeof FlowSettings.Type

/**
 * The options of {@link layer}; every one has a default.
 *
 * @since 0.1.0
 */
export interface Options {
  /** Default 15 minutes: the simulator's (and Glowmarkt's observed) code lifetime. */
  readonly codeTimeout?: Duration.DurationInput | undefined
  /** Default 2. */
  readonly maxResends?: number | undefined
  /** Default 5. */
  readonly maxWrongCodes?: number | undefined
  /** How often {@link Service.result} looks at a running flow (default 250 millis). */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * The key that seals passwords in the engine's storage (AES-256-GCM). Every process that runs
   * these flows on one database needs the same key. Without one, a random key of this process
   * is used: fine for the memory engine, but a flow resumed by another process cannot open it.
   */
  readonly secretKey?: Redacted.Redacted<string> | undefined
}

/** @since 0.1.0 */
export const defaults = {
  codeTimeout: Duration.minutes(15),
  maxResends: 2,
  maxWrongCodes: 5,
  pollInterval: Duration.millis(250)
} as const

/**
 * The options from `Config`: `GLOWMARKT_DURABLE_CODE_TIMEOUT` (e.g. `15 minutes`),
 * `GLOWMARKT_DURABLE_MAX_RESENDS`, `GLOWMARKT_DURABLE_MAX_WRONG_CODES`,
 * `GLOWMARKT_DURABLE_SECRET_KEY` (read with `Config.redacted`).
 *
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  codeTimeout: Config.duration("GLOWMARKT_DURABLE_CODE_TIMEOUT").pipe(Config.withDefault(defaults.codeTimeout)),
  maxResends: Config.integer("GLOWMARKT_DURABLE_MAX_RESENDS").pipe(Config.withDefault(defaults.maxResends)),
  maxWrongCodes: Config.integer("GLOWMARKT_DURABLE_MAX_WRONG_CODES").pipe(Config.withDefault(defaults.maxWrongCodes)),
  secretKey: Config.option(Config.redacted("GLOWMARKT_DURABLE_SECRET_KEY")).pipe(Config.map(Option.getOrUndefined))
})

const settingsFrom = (options: Options): Effect.Effect<FlowSettings, InvalidConfigError> => {
  const timeout = Duration.decodeUnknown(options.codeTimeout ?? defaults.codeTimeout)
  const raw = {
    codeTimeoutMillis: Option.isSome(timeout) && Duration.isFinite(timeout.value)
      ? Math.ceil(Duration.toMillis(timeout.value))
      : -1,
    maxResends: options.maxResends ?? defaults.maxResends,
    maxWrongCodes: options.maxWrongCodes ?? defaults.maxWrongCodes
  }
  return Schema.decodeUnknown(FlowSettings)(raw).pipe(
    Effect.mapError((e) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      return new InvalidConfigError({
        setting: issue?.path.join(".") ?? "durable",
        problem: issue?.message ?? "is invalid"
      })
    })
  )
}

// ---------------------------------------------------------------------------------------------
// Errors

/**
 * Which flow.
 *
 * @since 0.1.0
 */
export const FlowKind = Schema.Literal("registration", "passwordReset")
/** @since 0.1.0 */
export type FlowKind = typeof FlowKind.Type

/**
 * No code came in time, after every new code allowed was requested.
 *
 * @since 0.1.0
 */
export class CodeNotReceivedError extends Schema.TaggedError<CodeNotReceivedError>()("CodeNotReceivedError", {
  flow: FlowKind,
  username: Schema.String,
  codesRequested: Schema.Number,
  codeTimeoutMillis: Schema.Number
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `No code was submitted for the ${this.flow} of ${this.username}: ${this.codesRequested} code(s) sent, ` +
      `each waited for ${Duration.format(Duration.millis(this.codeTimeoutMillis))}; start the flow again`
  }
}

/**
 * Too many wrong (or expired) codes were submitted.
 *
 * @since 0.1.0
 */
export class TooManyWrongCodesError extends Schema.TaggedError<TooManyWrongCodesError>()("TooManyWrongCodesError", {
  flow: FlowKind,
  username: Schema.String,
  wrongCodes: Schema.Number,
  /** What the server said about the last one. */
  serverMessage: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `The ${this.flow} of ${this.username} ended after ${this.wrongCodes} wrong codes ` +
      `(last: ${this.serverMessage})`
  }
}

/**
 * A code was submitted to a flow that is already over.
 *
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
 * What the API calls of a flow can fail with, once retries are spent.
 *
 * @since 0.1.0
 */
export const ApiError = Schema.Union(
  BadRequestError,
  AccessDeniedError,
  NotFoundError,
  InvalidInputError,
  ServerError,
  UnexpectedStatusError,
  UnexpectedResponseError,
  TransportError
)
/** @since 0.1.0 */
export type ApiError = typeof ApiError.Type

/**
 * What a flow can end with, besides success.
 *
 * @since 0.1.0
 */
export const FlowError = Schema.Union(CodeNotReceivedError, TooManyWrongCodesError, ApiError)
/** @since 0.1.0 */
export type FlowError = typeof FlowError.Type

// ---------------------------------------------------------------------------------------------
// Results

/**
 * A registration that ended with an active user.
 *
 * @since 0.1.0
 */
export class Verified extends Schema.Class<Verified>("effect-glowmarkt/durable/Verified")({
  username: Schema.String,
  /** Unknown only when the user existed already and was verified before this flow. */
  userId: Schema.optional(Schema.String),
  /** `POST /register` found the user already there (a re-run after a crash, or a second app). */
  alreadyRegistered: Schema.Boolean,
  codesRequested: Schema.Number,
  wrongCodes: Schema.Number
}) {}

/**
 * A password reset that ended with the new password set.
 *
 * @since 0.1.0
 */
export class PasswordReset extends Schema.Class<PasswordReset>("effect-glowmarkt/durable/PasswordReset")({
  username: Schema.String,
  codesRequested: Schema.Number,
  wrongCodes: Schema.Number
}) {}

// ---------------------------------------------------------------------------------------------
// The workflows

/**
 * A secret as the engine stores it: AES-256-GCM ciphertext, opened only by processes with the
 * same `secretKey`.
 *
 * @since 0.1.0
 */
export const SealedSecret = Schema.String.annotations({ identifier: "SealedSecret" })

/**
 * What a registration flow runs with. The verify calls need the password, so it is part of the
 * payload, sealed: the engine's storage holds only ciphertext.
 *
 * @since 0.1.0
 */
export const RegistrationPayload = Schema.Struct({
  applicationId: Schema.String,
  directoryId: Schema.optional(Schema.String),
  username: Schema.String,
  name: Schema.String,
  email: Schema.String,
  sealedPassword: SealedSecret,
  settings: FlowSettings
})

/**
 * What a password-reset flow runs with (the new password sealed, as in
 * {@link RegistrationPayload}).
 *
 * @since 0.1.0
 */
export const PasswordResetPayload = Schema.Struct({
  applicationId: Schema.String,
  username: Schema.String,
  /** Part of the idempotency key: a new nonce starts a new reset for the same user. */
  nonce: Schema.String,
  sealedNewPassword: SealedSecret,
  settings: FlowSettings
})

/**
 * register -> verify. Keyed by application + username.
 *
 * @since 0.1.0
 */
export const RegisterAndVerify = Workflow.make({
  name: "GlowmarktRegisterAndVerify",
  payload: RegistrationPayload,
  success: Verified,
  error: FlowError,
  idempotencyKey: (p) => `${p.applicationId}/${p.username}`
})

/**
 * request-reset -> reset. Keyed by application + username + nonce.
 *
 * @since 0.1.0
 */
export const ResetPassword = Workflow.make({
  name: "GlowmarktResetPassword",
  payload: PasswordResetPayload,
  success: PasswordReset,
  error: FlowError,
  idempotencyKey: (p) => `${p.applicationId}/${p.username}/${p.nonce}`
})

/** A failure worth a new attempt: the server may have acted (the replay finds it done) or surely did not. */
const isTransient = (e: ApiError): boolean => mayHaveActed(e) || surelyNotActed(e)

const serverSays = (pattern: RegExp) => (e: ApiError): boolean =>
  e._tag === "BadRequestError" && pattern.test(e.serverMessage)

/** "user already exists": the register call of an earlier run reached the server. */
export const isAlreadyRegistered: (e: ApiError) => boolean = serverSays(/already (exists|registered)/i)
/** "user already verified": the verify call of an earlier run reached the server. */
export const isAlreadyVerified: (e: ApiError) => boolean = serverSays(/already (verified|active)/i)

/**
 * One API call as an activity: its outcome is persisted once it finishes. A transient failure
 * (5xx, transport) is retried as a new attempt after a pause, because the client does not
 * replay the calls that may have acted; a replayed call that finds its effect already done
 * ("already exists", "already verified") is treated as done by the callers.
 */
const activity = <S extends Schema.Schema<any, any, never>>(
  name: string,
  success: S,
  execute: Effect.Effect<S["Type"], ApiError, Users.Users>
) =>
  Activity.make({
    name,
    success,
    error: ApiError,
    execute: Effect.flatMap(Activity.CurrentAttempt, (attempt) =>
      attempt > 1 ? Effect.sleep(Duration.millis(250 * 2 ** (attempt - 2))) : Effect.void).pipe(Effect.zipRight(execute))
  }).pipe(Activity.retry({ while: isTransient, times: 3 }))

const users = <A, E>(f: (u: Users.Service) => Effect.Effect<A, E>) => Effect.flatMap(Users.Users, f)

/** Opens a sealed secret of the payload; a key that cannot open it is a misconfiguration. */
const unseal = (sealed: string) =>
  Effect.flatMap(FlowSecrets, (secrets) =>
    Option.match(secrets.open(sealed), {
      onNone: () =>
        Effect.dieMessage(
          "a durable flow's sealed password cannot be opened: every process running these flows needs the same secretKey (GLOWMARKT_DURABLE_SECRET_KEY)"
        ),
      onSome: Effect.succeed
    }))

interface LoopSteps {
  readonly flow: FlowKind
  readonly username: string
  readonly settings: FlowSettings
  /** Requests code number `n` (n >= 2); `true` when the flow turns out to be done already. */
  readonly resend: (n: number) => Effect.Effect<boolean, FlowError, any>
  /** Uses a code; `Option.some(serverMessage)` when the code was wrong. */
  readonly use: (wait: number, code: string) => Effect.Effect<Option.Option<string>, FlowError, any>
}

/** Waits for codes until one works, resending on timeouts, up to the configured limits. */
const codeLoop = (steps: LoopSteps) =>
  Effect.gen(function*() {
    let codesRequested = 1
    let wrongCodes = 0
    for (let wait = 1;; wait++) {
      const outcome = yield* awaitCode(wait, Duration.millis(steps.settings.codeTimeoutMillis))
      if (outcome === undefined) {
        if (codesRequested > steps.settings.maxResends) {
          return yield* new CodeNotReceivedError({
            flow: steps.flow,
            username: steps.username,
            codesRequested,
            codeTimeoutMillis: steps.settings.codeTimeoutMillis
          })
        }
        codesRequested++
        const done = yield* steps.resend(codesRequested)
        if (done) return { codesRequested, wrongCodes }
        continue
      }
      const wrong = yield* steps.use(wait, outcome.code)
      if (Option.isNone(wrong)) return { codesRequested, wrongCodes }
      wrongCodes++
      if (wrongCodes >= steps.settings.maxWrongCodes) {
        return yield* new TooManyWrongCodesError({
          flow: steps.flow,
          username: steps.username,
          wrongCodes,
          serverMessage: wrong.value
        })
      }
    }
  })

const Registered = Schema.Struct({ userId: Schema.optional(Schema.String), alreadyRegistered: Schema.Boolean })
const Used = Schema.Union(
  Schema.Struct({ _tag: Schema.Literal("Done"), userId: Schema.optional(Schema.String) }),
  Schema.Struct({ _tag: Schema.Literal("Wrong"), serverMessage: Schema.String })
)

/**
 * The registration workflow's body.
 *
 * @since 0.1.0
 */
export const registerAndVerify = (p: typeof RegistrationPayload.Type) =>
  Effect.gen(function*() {
    const password = yield* unseal(p.sealedPassword)
    const credentials = { username: p.username, password, applicationId: p.applicationId }
    const registered = yield* activity(
      "register",
      Registered,
      users((u) =>
        u.register({
          name: p.name,
          username: p.username,
          email: p.email,
          password,
          applicationId: p.applicationId,
          directoryId: p.directoryId
        })
      ).pipe(
        Effect.map((res) => ({ userId: res.userId as string | undefined, alreadyRegistered: false })),
        Effect.catchIf(isAlreadyRegistered, () => Effect.succeed({ userId: undefined, alreadyRegistered: true }))
      )
    )
    let userId = registered.userId
    const counts = yield* codeLoop({
      flow: "registration",
      username: p.username,
      settings: p.settings,
      resend: (n) =>
        activity(
          `request-code-${n}`,
          Schema.Boolean,
          users((u) => u.requestVerificationCode(credentials)).pipe(
            Effect.as(false),
            Effect.catchIf(isAlreadyVerified, () => Effect.succeed(true))
          )
        ),
      use: (wait, code) =>
        activity(
          `verify-${wait}`,
          Used,
          users((u) => u.verify({ ...credentials, code })).pipe(
            Effect.map((res): typeof Used.Type => ({ _tag: "Done", userId: res.userId })),
            Effect.catchAll((e) =>
              isAlreadyVerified(e)
                ? Effect.succeed<typeof Used.Type>({ _tag: "Done", userId: undefined })
                : e._tag === "BadRequestError"
                ? Effect.succeed<typeof Used.Type>({ _tag: "Wrong", serverMessage: e.serverMessage })
                : Effect.fail(e)
            )
          )
        ).pipe(Effect.map((used) => {
          if (used._tag === "Wrong") return Option.some(used.serverMessage)
          userId = userId ?? used.userId
          return Option.none()
        }))
    })
    return new Verified({ username: p.username, userId, alreadyRegistered: registered.alreadyRegistered, ...counts })
  })

/**
 * The password-reset workflow's body.
 *
 * @since 0.1.0
 */
export const resetPassword = (p: typeof PasswordResetPayload.Type) =>
  Effect.gen(function*() {
    const newPassword = yield* unseal(p.sealedNewPassword)
    const request = (n: number) =>
      activity(
        `request-reset-${n}`,
        Schema.Boolean,
        users((u) => u.requestPasswordReset({ username: p.username, applicationId: p.applicationId })).pipe(Effect.as(false))
      )
    yield* request(1)
    const counts = yield* codeLoop({
      flow: "passwordReset",
      username: p.username,
      settings: p.settings,
      resend: request,
      use: (wait, code) =>
        activity(
          `reset-${wait}`,
          Used,
          users((u) =>
            u.resetPassword({ username: p.username, applicationId: p.applicationId, code, newPassword })
          ).pipe(
            Effect.as<typeof Used.Type>({ _tag: "Done" }),
            Effect.catchTag(
              "BadRequestError",
              (e) => Effect.succeed<typeof Used.Type>({ _tag: "Wrong", serverMessage: e.serverMessage })
            )
          )
        ).pipe(Effect.map((used) => used._tag === "Wrong" ? Option.some(used.serverMessage) : Option.none()))
    })
    return new PasswordReset({ username: p.username, ...counts })
  })

/**
 * Registers both workflows with the `WorkflowEngine` in context: every process that should run
 * flows needs it (it is part of {@link layer}).
 *
 * @since 0.1.0
 */
export const layerWorkflows: Layer.Layer<never, never, WorkflowEngine | Users.Users | FlowSecrets> = Layer.mergeAll(
  RegisterAndVerify.toLayer(registerAndVerify),
  ResetPassword.toLayer(resetPassword)
)

// ---------------------------------------------------------------------------------------------
// The host API

/**
 * Names one flow: what the host keeps (or recomputes) to submit a code or read the state.
 *
 * @since 0.1.0
 */
export interface FlowRef<K extends FlowKind = FlowKind> {
  readonly kind: K
  readonly username: string
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
  /** Password resets only (default `""`). */
  readonly nonce?: string | undefined
}

/**
 * A started flow.
 *
 * @since 0.1.0
 */
export interface FlowHandle<K extends FlowKind = FlowKind> extends FlowRef<K> {
  readonly applicationId: string
  readonly executionId: string
}

/**
 * What a flow of kind `K` ends with.
 *
 * @since 0.1.0
 */
export type ResultOf<K extends FlowKind> = K extends "registration" ? Verified : PasswordReset

/**
 * Where a flow stands.
 *
 * - `Pending`: no trace of a wait yet: the flow was not started, or it is still on its first
 *   call (the engines cannot tell these apart without running it).
 * - `Running`: between calls or waiting (`awaitingCode`) for the code of wait `wait`.
 * - `Succeeded` / `Failed`: over.
 *
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
  | { readonly _tag: "Succeeded"; readonly result: Verified | PasswordReset }
  | { readonly _tag: "Failed"; readonly error: FlowError | undefined; readonly cause: string }

/**
 * The input of {@link Service.startRegistration}: that of `Users.register`.
 *
 * @since 0.1.0
 */
export type RegistrationInput = Users.RegisterInput

/**
 * The input of {@link Service.startPasswordReset}.
 *
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
 * The durable flows, for a host application.
 *
 * @since 0.1.0
 */
export interface Service {
  /** Starts (or joins) the registration of a user; returns at once. */
  readonly startRegistration: (input: RegistrationInput) => Effect.Effect<FlowHandle<"registration">, InvalidInputError>
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

const placeholderSettings: FlowSettings = { codeTimeoutMillis: 1, maxResends: 0, maxWrongCodes: 1 }

/**
 * Builds the service on the `WorkflowEngine` in context.
 *
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, InvalidConfigError, WorkflowEngine | GlowmarktConfig | FlowSecrets> =>
  Effect.gen(function*() {
    const settings = yield* settingsFrom(options)
    const secrets = yield* FlowSecrets
    const pollInterval = yield* Option.match(Duration.decodeUnknown(options.pollInterval ?? defaults.pollInterval), {
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
        const flow = yield* Schema.decodeUnknown(FlowRefInput, { onExcessProperty: "ignore" })(ref).pipe(
          Effect.mapError((e) => invalidInput(operation, e))
        )
        const applicationId = yield* applicationIdOf(operation, flow.applicationId)
        const username: string = flow.username
        const executionId = flow.kind === "registration"
          ? yield* RegisterAndVerify.executionId({
            applicationId,
            username,
            name: "-",
            email: "-",
            sealedPassword: "-",
            settings: placeholderSettings
          })
          : yield* ResetPassword.executionId({
            applicationId,
            username,
            nonce: flow.nonce ?? "",
            sealedNewPassword: "-",
            settings: placeholderSettings
          })
        const workflow: Workflow.Any = flow.kind === "registration" ? RegisterAndVerify : ResetPassword
        return { applicationId, username, executionId, workflow }
      })

    const poll = (flow: FlowRef, executionId: string) =>
      flow.kind === "registration"
        ? RegisterAndVerify.poll(executionId)
        : (ResetPassword.poll(executionId) as Effect.Effect<
          Workflow.Result<Verified | PasswordReset, FlowError> | undefined,
          never,
          WorkflowEngine
        >)

    const startRegistration: Service["startRegistration"] = (input) =>
      Effect.gen(function*() {
        const i = yield* Schema.decodeUnknown(Users.RegisterInput)(input).pipe(
          Effect.mapError((e) => invalidInput("startRegistration", e))
        )
        const applicationId = yield* applicationIdOf("startRegistration", i.applicationId)
        const directoryId = i.directoryId ?? Option.getOrUndefined(glowmarkt.directoryId)
        const executionId = yield* RegisterAndVerify.execute({
          applicationId,
          ...(directoryId === undefined ? {} : { directoryId }),
          username: i.username,
          name: i.name,
          email: i.email,
          sealedPassword: secrets.seal(i.password),
          settings
        }, { discard: true })
        return { kind: "registration" as const, username: i.username, applicationId, executionId }
      }).pipe(Effect.provide(context))

    const startPasswordReset: Service["startPasswordReset"] = (input) =>
      Effect.gen(function*() {
        const i = yield* Schema.decodeUnknown(
          Schema.extend(Users.ResetPasswordInput.pipe(Schema.omit("code")), Schema.Struct({ nonce: Schema.optional(Schema.String) }))
        )(input).pipe(
          Effect.mapError((e) => invalidInput("startPasswordReset", e))
        )
        const applicationId = yield* applicationIdOf("startPasswordReset", i.applicationId)
        const nonce = i.nonce ?? ""
        const executionId = yield* ResetPassword.execute({
          applicationId,
          username: i.username,
          nonce,
          sealedNewPassword: secrets.seal(i.newPassword),
          settings
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
        const valid = yield* Schema.decodeUnknown(VerificationCode)(code).pipe(
          Effect.mapError((e) => invalidInput("submitCode", e))
        )
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
        while (true) {
          const r = yield* poll(flow, executionId)
          if (r !== undefined && r._tag === "Complete") return (yield* r.exit) as ResultOf<typeof flow.kind>
          yield* Effect.sleep(pollInterval)
        }
      }).pipe(Effect.provide(context))

    return { startRegistration, startPasswordReset, submitCode, state, result }
  })

/**
 * The service and both workflows registered, on a `WorkflowEngine` (see `DurableEngine`), the
 * `Users` service and `GlowmarktConfig`.
 *
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<DurableOnboarding, InvalidConfigError, WorkflowEngine | Users.Users | GlowmarktConfig> =>
  Layer.merge(Layer.effect(DurableOnboarding, make(options)), layerWorkflows).pipe(
    Layer.provide(Layer.sync(FlowSecrets, () => makeSealer(Option.fromNullable(options.secretKey))))
  )

/**
 * {@link layer} configured with `Config` (see {@link config}).
 *
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<
  DurableOnboarding,
  InvalidConfigError | ConfigError.ConfigError,
  WorkflowEngine | Users.Users | GlowmarktConfig
> => Layer.unwrapEffect(Effect.map(options, layer))
