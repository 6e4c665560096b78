/**
 * The two flows as `@effect/workflow` workflows: the flow bodies of `src/workflows` (the same
 * code the in-memory flows run) on a durable engine, where each API step is an `Activity`
 * (its outcome persisted: a replay never repeats a step that finished) and each wait for a
 * code a durable deferred with a durable timeout (`codes.ts`).
 *
 * @internal
 */
import * as Activity from "@effect/workflow/Activity"
import * as Workflow from "@effect/workflow/Workflow"
import type { WorkflowEngine, WorkflowInstance } from "@effect/workflow/WorkflowEngine"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import { type GlowmarktError, GlowmarktErrorSchema, InvalidConfigError } from "../../schema/GlowmarktError.js"
import type { Auth } from "../../services/Auth.js"
import type { Accounts } from "../../services/Accounts.js"
import type { Consent } from "../../services/Consent.js"
import { AdminAuth } from "../../services/Credentials.js"
import type { GlowmarktConfig } from "../../services/GlowmarktConfig.js"
import type { Tokens } from "../../services/Tokens.js"
import type * as Users from "../../services/Users.js"
import { CodePolicy } from "../../workflows/CodePolicy.js"
import { CodeNotReceivedError, TooManyWrongCodesError } from "../../workflows/FlowError.js"
import * as Flows from "../../workflows/internal/flows.js"
import { awaitCode } from "./codes.js"
import { FlowSecrets } from "./seal.js"

/** A secret as the engine stores it: AES-256-GCM ciphertext, opened only with the same key. */
export const SealedSecret = Schema.String.annotations({ identifier: "SealedSecret" })

/** What a flow can end with, besides success: the library's errors and the flows' own. */
export const FlowFailure = Schema.Union(CodeNotReceivedError, TooManyWrongCodesError, GlowmarktErrorSchema)
export type FlowFailure = typeof FlowFailure.Type

/** What a registration runs with; the verify calls need the password, so it is there, sealed. */
export const RegistrationPayload = Schema.Struct({
  applicationId: Schema.String,
  directoryId: Schema.optional(Schema.String),
  username: Schema.String,
  name: Schema.String,
  email: Schema.String,
  sealedPassword: SealedSecret,
  policy: CodePolicy
})

/** What a password reset runs with (the new password sealed). */
export const PasswordResetPayload = Schema.Struct({
  applicationId: Schema.String,
  username: Schema.String,
  /** Part of the idempotency key: a new nonce starts a new reset for the same user. */
  nonce: Schema.String,
  sealedNewPassword: SealedSecret,
  policy: CodePolicy
})

/** What a household onboarding runs with: a registration and the meter points. */
export const HouseholdPayload = Schema.Struct({
  ...RegistrationPayload.fields,
  meterPoints: Schema.Array(Schema.String),
  /** Part of the idempotency key: a new nonce starts a new run for the same household. */
  nonce: Schema.String
})

/** register -> verify, keyed by application + username. */
export const RegisterAndVerify = Workflow.make({
  name: "GlowmarktRegisterAndVerify",
  payload: RegistrationPayload,
  success: Flows.Onboarded,
  error: FlowFailure,
  idempotencyKey: (p) => `${p.applicationId}/${p.username}`
})

/** request reset -> reset, keyed by application + username + nonce. */
export const ResetPassword = Workflow.make({
  name: "GlowmarktResetPassword",
  payload: PasswordResetPayload,
  success: Flows.PasswordReset,
  error: FlowFailure,
  idempotencyKey: (p) => `${p.applicationId}/${p.username}/${p.nonce}`
})

/** register -> verify -> log in -> consent, keyed by application + username + nonce. */
export const Household = Workflow.make({
  name: "GlowmarktHousehold",
  payload: HouseholdPayload,
  success: Flows.HouseholdOnboarded,
  error: FlowFailure,
  idempotencyKey: (p) => `${p.applicationId}/${p.username}/${p.nonce}`
})

/**
 * What an offboarding runs with. The administrator credential is the host's, never stored; the
 * user's own credentials, when given (to revoke their tokens), are stored with the password
 * sealed.
 */
export const OffboardPayload = Schema.Struct({
  userId: Schema.String,
  rounds: Schema.Number,
  /** Part of the idempotency key: a new nonce starts a new run for the same user. */
  nonce: Schema.String,
  credentials: Schema.optional(Schema.Struct({
    username: Schema.String,
    applicationId: Schema.optional(Schema.String),
    sealedPassword: SealedSecret
  }))
})

/** revoke every consent -> the tokens -> the accounts -> delete the user, keyed by user id + nonce. */
export const Offboard = Workflow.make({
  name: "GlowmarktOffboard",
  payload: OffboardPayload,
  success: Flows.OffboardReport,
  error: FlowFailure,
  idempotencyKey: (p) => `${p.userId}/${p.nonce}`
})

type DurableContext = WorkflowEngine | WorkflowInstance

/**
 * The durable engine of the flow bodies, with the flow's policy for its waits; its steps need
 * `S` from the workflow's layer.
 */
const durable = <S = Flows.StepContext>(policy: CodePolicy): Flows.Engine<DurableContext | S, S> => ({
  step: <A, I, E extends GlowmarktError>(
    name: string,
    success: Schema.Schema<A, I>,
    effect: Effect.Effect<A, E, S>
  ) =>
    // The activity fails only with what `effect` fails with; its schema, for storing the
    // failure, is that of every library error.
    Effect.catchAll(
      Activity.make({ name, success, error: GlowmarktErrorSchema, execute: effect }),
      (error) => Effect.fail(error as E)
    ),
  awaitCode: (request) =>
    Effect.map(
      awaitCode(request.entry, Duration.millis(policy.codeTimeoutMillis)),
      (outcome) => outcome === undefined ? Option.none() : Option.some(outcome.code)
    )
})

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

/** The registration workflow's body: the shared flow on the durable engine. */
export const registerAndVerify = (p: typeof RegistrationPayload.Type) =>
  Effect.flatMap(unseal(p.sealedPassword), (password) =>
    Flows.registerAndVerify(durable(p.policy), { ...p, password }, p.policy))

/** The password-reset workflow's body. */
export const resetPassword = (p: typeof PasswordResetPayload.Type) =>
  Effect.flatMap(unseal(p.sealedNewPassword), (newPassword) =>
    Flows.resetPassword(durable(p.policy), { username: p.username, applicationId: p.applicationId, newPassword }, p.policy))

/** The household workflow's body. */
export const household = (p: typeof HouseholdPayload.Type) =>
  Effect.flatMap(unseal(p.sealedPassword), (password) =>
    Flows.household(durable<Flows.HouseholdStepContext>(p.policy), { ...p, password }, p.policy))

/** What the offboarding workflow's body needs. */
type OffboardContext = DurableContext | Exclude<Flows.OffboardStepContext, AdminAuth> | FlowSecrets

/** The policy of a flow that waits for no code (its engine's `awaitCode` is never called). */
const noCodes: CodePolicy = { codeTimeoutMillis: 1, maxCodes: 1, maxWrongCodes: 1 }

/**
 * The offboarding workflow's body. Its steps act as an administrator: with the `AdminAuth` that
 * was in context when the workflows were registered (the host's credential, never stored); a
 * host without one gets an `InvalidConfigError`, before anything is sent.
 */
export const offboard = (
  p: typeof OffboardPayload.Type
): Effect.Effect<Flows.OffboardReport, GlowmarktError, OffboardContext> =>
  Effect.flatMap(Effect.serviceOption(AdminAuth), (admin): Effect.Effect<Flows.OffboardReport, GlowmarktError, OffboardContext> =>
    Option.match(admin, {
      onNone: () =>
        Effect.fail(
          new InvalidConfigError({ setting: "AdminAuth", problem: "a durable offboarding needs an administrator credential (AdminAuth) where the workflows run" })
        ),
      onSome: (credential) => {
        const engine = durable<Exclude<Flows.OffboardStepContext, AdminAuth>>(noCodes)
        const steps: Pick<Flows.Engine<OffboardContext, Flows.OffboardStepContext>, "step"> = {
          step: (name, success, effect) => engine.step(name, success, Effect.provideService(effect, AdminAuth, credential))
        }
        const c = p.credentials
        return c === undefined
          ? Flows.offboard(steps, { userId: p.userId, rounds: p.rounds })
          : Effect.flatMap(unseal(c.sealedPassword), (password) =>
            Flows.offboard(steps, {
              userId: p.userId,
              rounds: p.rounds,
              credentials: { username: c.username, password, applicationId: c.applicationId }
            }))
      }
    }))

/** The workflows registered with the engine in context. */
export const layerWorkflows: Layer.Layer<
  never,
  never,
  WorkflowEngine | Users.Users | Auth | Consent | Accounts | Tokens | GlowmarktConfig | FlowSecrets
> = Layer.mergeAll(
  RegisterAndVerify.toLayer(registerAndVerify),
  ResetPassword.toLayer(resetPassword),
  Household.toLayer(household),
  Offboard.toLayer(offboard)
)
