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
import * as ParseResult from "effect/ParseResult"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { type GlowmarktError, GlowmarktErrorSchema, InvalidConfigError } from "../../schema/GlowmarktError.js"
import { RedactedStringFromSelf } from "../../schema/Identifiers.js"
import type { Auth } from "../../services/Auth.js"
import type { Accounts } from "../../services/Accounts.js"
import type { Consent } from "../../services/Consent.js"
import { AdminAuth } from "../../services/Credentials.js"
import type { GlowmarktConfig } from "../../services/GlowmarktConfig.js"
import type { OAuth, OAuthTokens } from "../../services/OAuth.js"
import type { Tokens } from "../../services/Tokens.js"
import type * as Users from "../../services/Users.js"
import { CodePolicy } from "../../workflows/CodePolicy.js"
import { CodeNotReceivedError, OAuthNotConnectedError, TooManyWrongCodesError } from "../../workflows/FlowError.js"
import * as Flows from "../../workflows/internal/flows.js"
import { awaitCode } from "./codes.js"
import { FlowSecrets, type Sealer } from "./seal.js"

/** A secret as the engine stores it: AES-256-GCM ciphertext, opened only with the same key. */
export const SealedSecret = Schema.String.annotations({ identifier: "SealedSecret" })

/** What a flow with codes can end with, besides success: the library's errors and the code rounds'. */
export const FlowFailure = Schema.Union(CodeNotReceivedError, TooManyWrongCodesError, GlowmarktErrorSchema)
export type FlowFailure = typeof FlowFailure.Type

/** What an offboarding can end with: the library's errors (it waits for no code). */
export const OffboardFailure = GlowmarktErrorSchema
export type OffboardFailure = typeof OffboardFailure.Type

/** What an OAuth connection can end with: the library's errors, and its own. */
export const OAuthConnectFailure = Schema.Union(OAuthNotConnectedError, GlowmarktErrorSchema)
export type OAuthConnectFailure = typeof OAuthConnectFailure.Type

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

/**
 * A run's idempotency key: its parts joined by "/", each with "%" and "/" escaped, so that no
 * two lists of parts make the same key (a username or nonce may contain "/": "u@x.co" with nonce
 * "n/m" and "u@x.co/n" with nonce "m" are different runs). Parts without "%" or "/" (every id
 * and almost every username) keep the key they had before escaping was added.
 */
export const runKey = (...parts: ReadonlyArray<string>): string =>
  parts.map((p) => p.replaceAll("%", "%25").replaceAll("/", "%2F")).join("/")

/** register -> verify, keyed by application + username. */
export const RegisterAndVerify = Workflow.make({
  name: "GlowmarktRegisterAndVerify",
  payload: RegistrationPayload,
  success: Flows.Onboarded,
  error: FlowFailure,
  idempotencyKey: (p) => runKey(p.applicationId, p.username)
})

/** request reset -> reset, keyed by application + username + nonce. */
export const ResetPassword = Workflow.make({
  name: "GlowmarktResetPassword",
  payload: PasswordResetPayload,
  success: Flows.PasswordReset,
  error: FlowFailure,
  idempotencyKey: (p) => runKey(p.applicationId, p.username, p.nonce)
})

/** register -> verify -> log in -> consent, keyed by application + username + nonce. */
export const Household = Workflow.make({
  name: "GlowmarktHousehold",
  payload: HouseholdPayload,
  success: Flows.HouseholdOnboarded,
  error: FlowFailure,
  idempotencyKey: (p) => runKey(p.applicationId, p.username, p.nonce)
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
  error: OffboardFailure,
  idempotencyKey: (p) => runKey(p.userId, p.nonce)
})

/** What an OAuth connection runs with: the user's credentials (the password sealed) and the client. */
export const OAuthConnectPayload = Schema.Struct({
  applicationId: Schema.String,
  directoryId: Schema.optional(Schema.String),
  username: Schema.String,
  sealedPassword: SealedSecret,
  clientId: Schema.String,
  sealedClientSecret: Schema.optional(SealedSecret),
  /** Part of the idempotency key: a new nonce starts a new connection for the same user and client. */
  nonce: Schema.String
})

/** The tokens of a connection as the engine stores its result: every secret sealed. */
export const SealedOAuthTokens = Schema.Struct({
  accessToken: SealedSecret,
  refreshToken: Schema.NullOr(SealedSecret),
  expiresAt: Schema.Number,
  tokenType: Schema.NullOr(Schema.String)
})

/**
 * What an OAuth connection ends with: its report, its tokens sealed, and the client's secret
 * sealed (the payload's: a session on the tokens needs it for each refresh).
 */
export const OAuthConnectResult = Schema.Struct({
  connected: Flows.OAuthConnected,
  sealedTokens: SealedOAuthTokens,
  sealedClientSecret: Schema.optional(SealedSecret)
})

/** authorize -> exchange -> reconcile, keyed by application + client + username + nonce. */
export const OAuthConnect = Workflow.make({
  name: "GlowmarktOAuthConnect",
  payload: OAuthConnectPayload,
  success: OAuthConnectResult,
  error: OAuthConnectFailure,
  // Each part may hold a "/" (a username, a nonce): joined as a JSON array, no two connections
  // share a key (and another's result, its tokens, is never returned for a ref).
  idempotencyKey: (p) => runKey(p.applicationId, p.clientId, p.username, p.nonce)
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
          "a durable flow's sealed secret (a password, a client secret, a token) cannot be opened: every process running these flows needs the same secretKey (GLOWMARKT_DURABLE_SECRET_KEY)"
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

/**
 * A secret in a step's result, as the engine stores it: sealed with the flows' key on the way
 * in, opened on the way out (a key that cannot open it fails the decoding).
 */
const sealedSecret = (secrets: Sealer): Schema.Schema<Redacted.Redacted<string>, string> =>
  Schema.transformOrFail(Schema.String, RedactedStringFromSelf, {
    strict: true,
    decode: (sealed, _, ast) =>
      Option.match(secrets.open(sealed), {
        onNone: () => ParseResult.fail(new ParseResult.Type(ast, "(sealed)", "cannot be opened with this process's secretKey")),
        onSome: ParseResult.succeed
      }),
    encode: (secret) => ParseResult.succeed(secrets.seal(secret))
  }).annotations({ identifier: "SealedSecret" })

/** The tokens of a connection, sealed with `secrets` (the flow's own schema, on this key). */
const sealedTokensSchema = (secrets: Sealer) => Flows.oauthTokensSchema(sealedSecret(secrets))

/** Seals the tokens of a connection for the workflow's stored result. */
export const sealTokens = (secrets: Sealer, tokens: OAuthTokens): typeof SealedOAuthTokens.Type =>
  Schema.encodeSync(sealedTokensSchema(secrets))(tokens)

/** Opens the sealed tokens of a connection's result; `None` when this key cannot open them. */
export const openTokens = (secrets: Sealer, sealed: typeof SealedOAuthTokens.Type): Option.Option<OAuthTokens> =>
  Schema.decodeOption(sealedTokensSchema(secrets))(sealed)

/**
 * The OAuth connect workflow's body: the shared flow on the durable engine. The code and the
 * tokens that steps return are stored sealed, and so are the tokens of the result.
 */
export const oauthConnect = (p: typeof OAuthConnectPayload.Type) =>
  Effect.gen(function*() {
    const secrets = yield* FlowSecrets
    const password = yield* unseal(p.sealedPassword)
    const clientSecret = p.sealedClientSecret === undefined ? undefined : yield* unseal(p.sealedClientSecret)
    const engine = durable<Flows.OAuthStepContext>(noCodes)
    const { connected, tokens } = yield* Flows.connectOAuth({ step: engine.step, secret: sealedSecret(secrets) }, {
      username: p.username,
      password,
      applicationId: p.applicationId,
      directoryId: p.directoryId,
      clientId: p.clientId,
      clientSecret
    })
    return {
      connected,
      sealedTokens: sealTokens(secrets, tokens),
      ...(p.sealedClientSecret === undefined ? {} : { sealedClientSecret: p.sealedClientSecret })
    }
  })
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
  WorkflowEngine | Users.Users | Auth | Consent | Accounts | OAuth | Tokens | GlowmarktConfig | FlowSecrets
> = Layer.mergeAll(
  RegisterAndVerify.toLayer(registerAndVerify),
  ResetPassword.toLayer(resetPassword),
  Household.toLayer(household),
  Offboard.toLayer(offboard),
  OAuthConnect.toLayer(oauthConnect)
)
