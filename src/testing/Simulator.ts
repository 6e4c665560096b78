/**
 * A spec-faithful Glowmarkt User System on loopback, for tests and demos.
 *
 * A real HTTP server built with `HttpApiBuilder` from the same `GlowmarktApi` declaration the
 * client uses, over an in-memory world (applications, directories, users, accounts, codes,
 * tokens) seeded deterministically. Every 4-digit code it "emails" lands in the {@link Inbox}.
 * Faults (latency, 5xx, 429, dropped connections, broken JSON) can be injected globally or per
 * operationId, and counters and a request log show what was received and handled, so a test can
 * prove that nothing was lost or done twice. Time comes from `Clock` (drive it with `TestClock`),
 * randomness from a PRNG seeded by `seed`.
 *
 * Outside `/api/v0-1` the server answers control routes: `/_simulator/info`, `/_simulator/inbox/{email}`
 * (and `/next?wait=ms`), `/_simulator/counters`, `/_simulator/faults`, `/_simulator/requests`,
 * `/_simulator/users`, `/_simulator/accounts`, `/_simulator/tokens`, only for requests whose `Host` is the address served (no DNS rebinding).
 * It is as strict as the spec, no stricter: one security rule from the spec's alternatives for
 * every operation, a 100 KiB body limit (413), JSON bodies only with a JSON content type (415),
 * 405 for an unknown method, JSON 404s. See `docs/SIMULATOR.md` and the README for every
 * behaviour the upstream spec leaves open.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import type * as Scope from "effect/Scope"
import { createServer } from "node:http"
import { basePath } from "../schema/GlowmarktApi.js"
import { InvalidConfigError } from "../schema/GlowmarktError.js"
import * as Credentials from "../services/Credentials.js"
import * as GlowmarktConfig from "../services/GlowmarktConfig.js"
import * as Faults from "./Faults.js"
import * as Inbox from "./Inbox.js"
import { FaultEngine } from "./internal/faults.js"
import * as Server from "./internal/server.js"
import * as State from "./internal/state.js"

/**
 * Where the simulator listens and the seeded credentials to call it with. Secrets are plain
 * strings: they are throwaway test values, printed by `glowmarkt simulator` on purpose.
 *
 * @category models
 * @since 0.1.0
 */
export interface SimulatorInfo {
  /** The API root, `origin + "/api/v0-1"`: the `baseUrl` of `GlowmarktConfig`. */
  readonly baseUrl: string
  /** `http://127.0.0.1:port`: where the `/_simulator/*` control routes are. */
  readonly origin: string
  /** The seeded demo application. */
  readonly applicationId: string
  /** The directory of the demo application. */
  readonly directoryId: string
  /** HTTP basic app keys of the demo application. */
  readonly appKeys: { readonly keyId: string; readonly secret: string }
  /** HTTP basic organisation keys of the organisation owning the demo application. */
  readonly organisationKeys: { readonly keyId: string; readonly secret: string }
  /** A developer user's token for the demo application (valid until 2100). */
  readonly developerToken: string
}

/**
 * What one operation received and handled. `handled` counts requests that reached the service
 * logic and got an answer (any status; a dropped-after answer still counts), `succeeded` those
 * answered 2xx.
 *
 * @category models
 * @since 0.1.0
 */
export interface OperationCounters {
  readonly received: number
  readonly handled: number
  readonly succeeded: number
}

/**
 * Totals, per operationId, and faults injected by kind. Requests to paths outside the API
 * count in the totals only; the `/_simulator/*` routes are never counted.
 *
 * @category models
 * @since 0.1.0
 */
export interface Counters extends OperationCounters {
  readonly byOperation: Readonly<Record<string, OperationCounters>>
  readonly faults: Readonly<Record<Faults.FaultKind, number>>
}

/**
 * One request as the simulator received it: header NAMES only, never their values.
 *
 * @category models
 * @since 0.1.0
 */
export interface RequestLogEntry {
  readonly method: string
  /** The path, without the query. */
  readonly path: string
  readonly operationId: string | undefined
  /** Lowercase, sorted. */
  readonly headerNames: ReadonlyArray<string>
  readonly at: Date
  /** The status answered; `undefined` when the connection was dropped. */
  readonly status: number | undefined
  /** The fault injected on this request, if any (latency is not recorded here). */
  readonly fault: Faults.FaultKind | undefined
}

/**
 * A user as the simulator holds it (no password, no code).
 *
 * @category models
 * @since 0.1.0
 */
export interface UserSnapshot {
  readonly userId: string
  readonly directoryId: string
  readonly username: string
  readonly email: string | undefined
  readonly name: string | undefined
  readonly status: "unverified" | "active"
  readonly hasPassword: boolean
  readonly accounts: ReadonlyArray<{ readonly accountId: string; readonly applicationId: string; readonly active: boolean }>
  /** The kinds of code currently pending (neither used, expired nor voided). */
  readonly pendingCodes: ReadonlyArray<Inbox.MessageKind>
  /** The user's meter points, with whether consent holds now and how many renewals and revocations each had. */
  readonly meterPoints: ReadonlyArray<{
    readonly mpxn: string
    readonly mpxnKey: "mpan" | "mprn"
    readonly consented: boolean
    readonly isValidUntil: Date | undefined
    readonly renewals: number
    readonly revocations: number
  }>
  /** The user's tokens that are neither revoked nor expired (JWTs and OAuth), by id. */
  readonly tokens: ReadonlyArray<{ readonly tokenId: string; readonly framework: "jwt" | "oauth"; readonly expiresAt: Date }>
  readonly createdAt: Date
  readonly updatedAt: Date
}

/**
 * An account as the simulator holds it, live or removed (and how: `DELETE /account/{id}`, or
 * with its user).
 *
 * @category models
 * @since 0.1.0
 */
export interface AccountSnapshot {
  readonly accountId: string
  readonly userId: string
  readonly applicationId: string
  readonly active: boolean
  readonly removedBy: "deleteAccount" | "userDeleted" | undefined
}

/**
 * A token the simulator issued (never the token itself), with whether it is still valid and,
 * if it was revoked, what revoked it first: `DELETE /auth/deleteToken`, `DELETE
 * /auth/token/{id}`, a password reset, the delete of its account or of its user.
 *
 * @category models
 * @since 0.1.0
 */
export interface TokenSnapshot {
  readonly tokenId: string
  readonly userId: string
  readonly accountId: string | undefined
  readonly framework: "jwt" | "oauth"
  readonly expiresAt: Date
  /** Neither revoked nor expired, and its user still there. */
  readonly live: boolean
  readonly endedBy: "deleteToken" | "deleteTokenById" | "passwordReset" | "accountDeleted" | "userDeleted" | undefined
}

/**
 * The running simulator.
 *
 * @category models
 * @since 0.1.0
 */
export interface SimulatorService {
  readonly info: SimulatorInfo
  /** Where the codes go (also provided as the `Inbox` service). */
  readonly inbox: Inbox.InboxService
  readonly counters: Effect.Effect<Counters>
  /** Sets every counter back to zero (the request log is kept: see `clearRequests`). */
  readonly resetCounters: Effect.Effect<void>
  readonly faults: Effect.Effect<Faults.FaultsConfig>
  /** Replaces the faults at run time; `times` budgets start again. Dies on an invalid config. */
  readonly setFaults: (faults: Faults.FaultsConfig) => Effect.Effect<void>
  /** The most recent requests, oldest first (bounded by `requestLogSize`). */
  readonly requests: Effect.Effect<ReadonlyArray<RequestLogEntry>>
  readonly clearRequests: Effect.Effect<void>
  /** Every user, oldest first. */
  readonly users: Effect.Effect<ReadonlyArray<UserSnapshot>>
  /** One user of the demo directory by username (trimmed, lowercase). */
  readonly user: (username: string) => Effect.Effect<Option.Option<UserSnapshot>>
  /** Every account, live and removed, of every user (removed users' included). */
  readonly accounts: Effect.Effect<ReadonlyArray<AccountSnapshot>>
  /** Every token issued, of every user (removed users' included), oldest first. */
  readonly tokens: Effect.Effect<ReadonlyArray<TokenSnapshot>>
}

/**
 * The running simulator, as a service.
 *
 * @category tags
 * @since 0.1.0
 */
export class Simulator extends Context.Tag("effect-glowmarkt/testing/Simulator")<Simulator, SimulatorService>() {}

/**
 * Options of the simulator; every one has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** Seeds ids, keys, codes and fault decisions (default `"glowmarkt"`). */
  readonly seed?: string | number | undefined
  /** How long a verification or reset code is valid (default 15 minutes). */
  readonly codeTtl?: Duration.DurationInput | undefined
  /** Wrong codes allowed before the code is void (default 5). */
  readonly maxCodeAttempts?: number | undefined
  /** Lifetime of a user token (default 7 days). */
  readonly tokenLifetime?: Duration.DurationInput | undefined
  /** Faults from the start (default none). */
  readonly faults?: Faults.FaultsConfig | undefined
  /** How many recent requests the log keeps (default 500). */
  readonly requestLogSize?: number | undefined
}

/**
 * The `error` messages of the simulator's 400, 401, 404, 429 and 500 bodies, so that tests can
 * match them without repeating strings (see the README).
 *
 * @category constants
 * @since 0.1.0
 */
export const messages = State.messages

/**
 * The defaults of {@link Options}.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaults = {
  seed: "glowmarkt",
  codeTtl: Duration.minutes(15),
  maxCodeAttempts: 5,
  tokenLifetime: Duration.days(7),
  requestLogSize: 500
} as const

const invalid = (setting: string, problem: string) => new InvalidConfigError({ setting, problem })

const positiveDuration = (setting: string, input: Duration.DurationInput) => {
  const d = Duration.decodeUnknown(input)
  return Option.isSome(d) && Duration.isFinite(d.value) && Duration.greaterThan(d.value, Duration.zero)
    ? Either.right(d.value)
    : Either.left(invalid(setting, "must be a finite, positive duration"))
}

const validateFaults = (faults: Faults.FaultsConfig) =>
  Faults.validate(faults).pipe(
    Either.mapLeft((e) => invalid("faults", ParseResult.TreeFormatter.formatErrorSync(e)))
  )

const originOf = (address: HttpServer.Address): string => {
  if (address._tag === "UnixAddress") return "http://localhost"
  const host = address.hostname === "0.0.0.0" || address.hostname === "::"
    ? "127.0.0.1"
    : address.hostname.includes(":")
    ? `[${address.hostname}]`
    : address.hostname
  return `http://${host}:${address.port}`
}

const snapshot = (state: State.UserSystem, now: number) => ({ accounts, user }: State.UserView): UserSnapshot => ({
  userId: user.userId,
  directoryId: user.directoryId,
  username: user.username,
  email: user.email,
  name: user.name,
  status: user.status,
  hasPassword: user.passwordHash !== undefined,
  accounts: accounts.map(({ accountId, active, applicationId }) => ({ accountId, applicationId, active })),
  pendingCodes: (Object.keys(user.codes) as Array<Inbox.MessageKind>).sort(),
  meterPoints: state.consentsOf(user.userId).map((r) => ({
    mpxn: r.mpxn,
    mpxnKey: r.mpxnKey,
    consented: r.isValidUntil !== undefined && r.isValidUntil > now,
    isValidUntil: r.isValidUntil === undefined ? undefined : new Date(r.isValidUntil),
    renewals: r.renewals.length,
    revocations: r.revocations.length
  })),
  tokens: state.listTokens(user.userId, now).map((t) => ({
    tokenId: t.tokenId,
    framework: t.framework,
    expiresAt: new Date(t.expiresAt)
  })),
  createdAt: new Date(user.createdAt),
  updatedAt: new Date(user.updatedAt)
})

/**
 * Builds the simulator and serves it on the `HttpServer` in context, for the life of the scope.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (
  options: Options = {}
): Effect.Effect<
  SimulatorService,
  InvalidConfigError,
  HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices | Scope.Scope
> =>
  Effect.gen(function*() {
    const codeTtl = yield* positiveDuration("codeTtl", options.codeTtl ?? defaults.codeTtl)
    const tokenLifetime = yield* positiveDuration("tokenLifetime", options.tokenLifetime ?? defaults.tokenLifetime)
    const maxCodeAttempts = options.maxCodeAttempts ?? defaults.maxCodeAttempts
    if (!Number.isInteger(maxCodeAttempts) || maxCodeAttempts < 1) {
      return yield* invalid("maxCodeAttempts", "must be a positive integer")
    }
    const requestLogSize = options.requestLogSize ?? defaults.requestLogSize
    if (!Number.isInteger(requestLogSize) || requestLogSize < 0) {
      return yield* invalid("requestLogSize", "must be a non-negative integer")
    }
    const initialFaults = yield* validateFaults(options.faults ?? Faults.none)
    const seed = options.seed ?? defaults.seed

    const clock = yield* Effect.clock
    const inbox = yield* Inbox.make
    const state = new State.UserSystem({
      seed,
      codeTtlMillis: Duration.toMillis(codeTtl),
      maxCodeAttempts,
      tokenLifetimeSeconds: Math.max(1, Math.round(Duration.toSeconds(tokenLifetime)))
    })
    const faults = new FaultEngine(seed, initialFaults)
    const recorder = new Server.Recorder(requestLogSize)

    const server = yield* HttpServer.HttpServer
    const origin = originOf(server.address)
    const info: SimulatorInfo = {
      baseUrl: `${origin}${basePath}`,
      origin,
      applicationId: state.seed.applicationId,
      directoryId: state.seed.directoryId,
      appKeys: state.seed.appKeys,
      organisationKeys: state.seed.organisationKeys,
      developerToken: state.seed.developerToken
    }

    const service: SimulatorService = {
      info,
      inbox,
      counters: Effect.sync(() => recorder.counters()),
      resetCounters: Effect.sync(() => recorder.reset()),
      faults: Effect.sync(() => faults.current),
      setFaults: (config) =>
        Effect.flatMap(Effect.orDie(validateFaults(config)), (valid) => Effect.sync(() => faults.set(valid))),
      requests: Effect.sync(() => recorder.requests()),
      clearRequests: Effect.sync(() => recorder.clearRequests()),
      users: Effect.map(clock.currentTimeMillis, (now) => state.listUsers().map(snapshot(state, now))),
      accounts: Effect.sync(() =>
        state.listAllAccounts().map(({ accountId, active, applicationId, removedBy, userId }) => ({
          accountId,
          userId,
          applicationId,
          active,
          removedBy
        }))
      ),
      tokens: Effect.map(clock.currentTimeMillis, (now) =>
        state.listAllTokens().map((t) => ({
          tokenId: t.tokenId,
          userId: t.userId,
          accountId: t.accountId,
          framework: t.framework,
          expiresAt: new Date(t.expiresAt),
          live: !t.revoked && t.expiresAt > now && (state.userById(t.userId) !== undefined || t.userId === state.seed.developerUserId),
          endedBy: t.endedBy
        }))),
      user: (username) =>
        Effect.map(clock.currentTimeMillis, (now) => {
          const wanted = username.trim().toLowerCase()
          return Option.fromNullable(
            state.listUsers().find((v) => v.user.username === wanted && v.user.directoryId === info.directoryId)
          ).pipe(Option.map(snapshot(state, now)))
        })
    }

    const app = yield* Server.makeApp({ core: { state, inbox, clock }, recorder, faults, service })
    yield* HttpServer.serveEffect(app)
    return service
  })

/**
 * The simulator on the `HttpServer` in context (e.g. `NodeHttpServer.layerTest`, to run it
 * in-process next to other routes). Provides {@link Simulator} and `Inbox`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (
  options: Options = {}
): Layer.Layer<Simulator | Inbox.Inbox, InvalidConfigError, HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices> =>
  Layer.scopedContext(
    Effect.map(make(options), (service) => Context.make(Simulator, service).pipe(Context.add(Inbox.Inbox, service.inbox)))
  )

/**
 * Where {@link layerServer} listens.
 *
 * @category models
 * @since 0.1.0
 */
export interface ServerOptions extends Options {
  /** The port (default 0: a free port, see `info.baseUrl`). */
  readonly port?: number | undefined
  /** The interface (default `127.0.0.1`: loopback only). Anything else needs {@link allowRemote}. */
  readonly host?: string | undefined
  /**
   * Allow a `host` that is not loopback (e.g. `0.0.0.0`). The simulator hands out its seeded
   * credentials and takes fault settings over HTTP: it is meant for this machine. Its control
   * routes answer only requests addressed to the host it serves, whatever this says.
   */
  readonly allowRemote?: boolean | undefined
}

/**
 * Whether a host name or address is loopback (`127.0.0.0/8`, `::1`, `localhost`).
 *
 * @category predicates
 * @since 0.1.0
 */
export const isLoopback = (host: string): boolean => {
  const h = host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return h === "localhost" || h === "::1" || h === "0:0:0:0:0:0:0:1" || /^127(\.\d{1,3}){3}$/.test(h) ||
    /^::ffff:127(\.\d{1,3}){3}$/.test(h)
}

/**
 * The simulator on its own node HTTP server, on loopback.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerServer = (
  options: ServerOptions = {}
): Layer.Layer<Simulator | Inbox.Inbox, InvalidConfigError | HttpServerError.ServeError> =>
  isLoopback(options.host ?? "127.0.0.1") || options.allowRemote === true
    ? layer(options).pipe(
      Layer.provide(NodeHttpServer.layer(createServer, { port: options.port ?? 0, host: options.host ?? "127.0.0.1" }))
    )
    : Layer.fail(
      invalid("host", `${options.host} is not loopback; the simulator serves its credentials to anyone who reaches it: pass allowRemote to bind it anyway`)
    )

/**
 * Options of {@link layerTest}: the simulator's, plus the client settings to point at it.
 *
 * @category models
 * @since 0.1.0
 */
export interface TestOptions extends ServerOptions {
  /** Retry policy of the client (default: 3 retries, 10 ms doubling up to 100 ms: tests stay fast). */
  readonly retry?: GlowmarktConfig.Options["retry"]
  /** Request timeout of the client (default 5 seconds). */
  readonly requestTimeout?: Duration.DurationInput | undefined
}

/**
 * The simulator on a free loopback port, plus the library's `GlowmarktConfig` pointed at it
 * (base URL, application and directory of the demo application) and the `Inbox`: what a test of
 * a client or an onboarding pipeline needs besides an `HttpClient` and an admin credential
 * ({@link layerAdmin}).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerTest = (
  options: TestOptions = {}
): Layer.Layer<
  Simulator | Inbox.Inbox | GlowmarktConfig.GlowmarktConfig,
  InvalidConfigError | HttpServerError.ServeError
> =>
  Layer.provideMerge(
    Layer.unwrapEffect(Effect.map(Simulator, ({ info }) =>
      GlowmarktConfig.layer({
        baseUrl: info.baseUrl,
        applicationId: info.applicationId,
        directoryId: info.directoryId,
        requestTimeout: options.requestTimeout ?? Duration.seconds(5),
        retry: { times: 3, baseDelay: Duration.millis(10), maxDelay: Duration.millis(100), ...options.retry }
      }))),
    layerServer(options)
  )

/**
 * The three admin alternatives of the User System.
 *
 * @category models
 * @since 0.1.0
 */
export type AdminAlternative = "appKeys" | "organisationKeys" | "developerToken"

/**
 * One of the seeded admin credentials as the library's `AdminCredential`.
 *
 * @category constructors
 * @since 0.1.0
 */
export const adminCredentialFrom = (
  info: SimulatorInfo,
  alternative: AdminAlternative
): Either.Either<Credentials.AdminCredential, InvalidConfigError> => {
  switch (alternative) {
    case "appKeys":
      return Credentials.AdminCredential.appKeys(info.appKeys)
    case "organisationKeys":
      return Credentials.AdminCredential.organisationKeys({ applicationId: info.applicationId, ...info.organisationKeys })
    case "developerToken":
      return Credentials.AdminCredential.developerToken({ applicationId: info.applicationId, token: info.developerToken })
  }
}

/**
 * One of the running simulator's admin credentials. The seeded values are valid by
 * construction, so a refusal would be a bug of the simulator: it is a defect.
 *
 * @category constructors
 * @since 0.1.0
 */
export const adminCredential = (
  alternative: AdminAlternative
): Effect.Effect<Credentials.AdminCredential, never, Simulator> =>
  Effect.flatMap(Simulator, ({ info }) => Effect.orDie(adminCredentialFrom(info, alternative)))

/**
 * Provides `AdminAuth` with one of the simulator's admin credentials.
 *
 * @category layers
 * @since 0.1.0
 */
export const layerAdmin = (alternative: AdminAlternative = "appKeys"): Layer.Layer<Credentials.AdminAuth, never, Simulator> =>
  Layer.effect(Credentials.AdminAuth, adminCredential(alternative))

/**
 * The counters of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const counters: Effect.Effect<Counters, never, Simulator> = Effect.flatMap(Simulator, (s) => s.counters)

/**
 * Resets the counters of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const resetCounters: Effect.Effect<void, never, Simulator> = Effect.flatMap(Simulator, (s) => s.resetCounters)

/**
 * Replaces the faults of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const setFaults = (faults: Faults.FaultsConfig): Effect.Effect<void, never, Simulator> =>
  Effect.flatMap(Simulator, (s) => s.setFaults(faults))

/**
 * The request log of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const requests: Effect.Effect<ReadonlyArray<RequestLogEntry>, never, Simulator> = Effect.flatMap(
  Simulator,
  (s) => s.requests
)

/**
 * The users of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const users: Effect.Effect<ReadonlyArray<UserSnapshot>, never, Simulator> = Effect.flatMap(
  Simulator,
  (s) => s.users
)

/**
 * Every account of the simulator in context, live and removed.
 *
 * @category accessors
 * @since 0.1.0
 */
export const accounts: Effect.Effect<ReadonlyArray<AccountSnapshot>, never, Simulator> = Effect.flatMap(
  Simulator,
  (s) => s.accounts
)

/**
 * Every token the simulator in context issued, with how each ended.
 *
 * @category accessors
 * @since 0.1.0
 */
export const tokens: Effect.Effect<ReadonlyArray<TokenSnapshot>, never, Simulator> = Effect.flatMap(
  Simulator,
  (s) => s.tokens
)

/**
 * The info of the simulator in context.
 *
 * @category accessors
 * @since 0.1.0
 */
export const info: Effect.Effect<SimulatorInfo, never, Simulator> = Effect.map(Simulator, (s) => s.info)

/**
 * What `glowmarkt simulator` prints as its first line: how to call the simulator.
 *
 * @category utils
 * @since 0.1.0
 */
export const standaloneBanner = (info: SimulatorInfo) =>
  JSON.stringify({
    baseUrl: info.baseUrl,
    origin: info.origin,
    applicationId: info.applicationId,
    directoryId: info.directoryId,
    appKeys: info.appKeys,
    organisationKeys: info.organisationKeys,
    developerToken: info.developerToken
  })

/**
 * Runs the simulator until interrupted: the `glowmarkt simulator --port N` command. The FIRST
 * line on stdout is one JSON object ({@link standaloneBanner}); logs go to stderr, so a script
 * can read that line and go.
 *
 * @category combinators
 * @since 0.1.0
 */
export const runStandalone = (
  options: ServerOptions = {}
): Effect.Effect<never, InvalidConfigError | HttpServerError.ServeError> =>
  Effect.gen(function*() {
    const { info } = yield* Simulator
    yield* Effect.sync(() => process.stdout.write(`${standaloneBanner(info)}\n`))
    return yield* Effect.never
  }).pipe(
    Effect.provide(layerServer(options)),
    Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger)))
  )
