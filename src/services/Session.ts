/**
 * A user's session: a token that stays fresh, as a requirement of the calls made as that user.
 *
 * - Built from a username and password (it logs in with `POST /auth`) or from an existing token.
 * - Reads the token's `exp` and refreshes ahead of it: a new token first (`GET
 *   /auth/newToken`), a password login as the fallback.
 * - One refresh at a time, however many fibers ask: the others wait for its result.
 * - After a 401 on a call, it logs in again once (when it holds a password) and the call is
 *   retried once.
 *
 * Provide it for a layer ({@link layer}) or for one call ({@link withSession}): one backend
 * process can act for many users at once.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SynchronizedRef from "effect/SynchronizedRef"
import * as Schema from "effect/Schema"
import {
  ApplicationId,
  type AuthToken,
  AuthTokenFromSelf,
  DirectoryId,
  PasswordFromSelf,
  Username
} from "../schema/Identifiers.js"
import { Auth, type IssuedToken, type LoginError, type TokenError } from "./Auth.js"
import { GlowmarktConfig } from "./GlowmarktConfig.js"
import { InvalidInputError, TokenRejectedError } from "../schema/GlowmarktError.js"
import { decodeInput } from "./internal/input.js"

/**
 * What opening a session or getting its token can fail with: a login's errors, and a refused
 * token that no password can replace.
 *
 * @category errors
 * @since 0.1.0
 */
export type SessionError = LoginError | TokenError

/**
 * A user session.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** The application the session acts in. */
  readonly applicationId: ApplicationId
  /** A token valid for at least the refresh margin, refreshed first when it is not. */
  readonly token: Effect.Effect<AuthToken, SessionError>
  /** When the current token expires, if one is held. */
  readonly expiresAt: Effect.Effect<Option.Option<Date>>
  /** Forgets `token` (the server refused it); the next `token` logs in again. */
  readonly invalidate: (token: AuthToken) => Effect.Effect<void>
  /** Whether a refused token can be replaced by logging in again (a password is held). */
  readonly canLogInAgain: boolean
}

/**
 * The session of the calls made as a user.
 *
 * @category tags
 * @since 0.1.0
 */
export class UserSession extends Context.Tag("effect-glowmarkt/UserSession")<UserSession, Service>() {}

/**
 * How to open a session: with a password, or with a token (and optionally a password to fall
 * back on when the token can no longer be renewed).
 *
 * @category models
 * @since 0.1.0
 */
export type Options =
  & {
    /** Defaults to the configured `applicationId`. */
    readonly applicationId?: string | undefined
    /** Refresh when the token expires within this margin (default: 5 minutes). */
    readonly refreshAhead?: Duration.DurationInput | undefined
  }
  & (
    | {
      readonly username: string
      readonly password: Redacted.Redacted<string>
      readonly directoryId?: string | undefined
      readonly token?: undefined
    }
    | {
      readonly token: Redacted.Redacted<string>
      readonly username?: string | undefined
      readonly password?: Redacted.Redacted<string> | undefined
      readonly directoryId?: string | undefined
    }
  )

interface Held {
  readonly token: AuthToken
  readonly expiresAt: Date
}

const SessionInput = Schema.Struct({
  token: Schema.optional(AuthTokenFromSelf),
  username: Schema.optional(Username),
  password: Schema.optional(PasswordFromSelf),
  applicationId: Schema.optional(ApplicationId),
  directoryId: Schema.optional(DirectoryId)
})

/**
 * Checks the options before anything is sent, at run time too: each value as the calls it is
 * for check it, a username and a password only together, and a token or both of them.
 */
const checkOptions = (options: Options): Effect.Effect<Duration.Duration, InvalidInputError> =>
  Effect.gen(function*() {
    const refuse = (field: string, problem: string) => new InvalidInputError({ operation: "session", field, problem })
    if (typeof options !== "object" || options === null) return yield* refuse("options", "must be an object")
    yield* decodeInput("session", SessionInput, options)
    const hasUsername = options.username !== undefined
    const hasPassword = options.password !== undefined
    if (hasUsername !== hasPassword) {
      return yield* hasUsername
        ? refuse("password", "is required with a username (to log in)")
        : refuse("username", "is required with a password (to log in)")
    }
    if (!hasUsername && options.token === undefined) {
      return yield* refuse("token", "is required when no username and password are given")
    }
    if (options.refreshAhead === undefined) return Duration.minutes(5)
    const refreshAhead = Duration.decodeUnknown(options.refreshAhead)
    if (Option.isNone(refreshAhead) || !Duration.isFinite(refreshAhead.value)) {
      return yield* refuse("refreshAhead", "must be a finite duration")
    }
    return refreshAhead.value
  })

/**
 * Opens a session. With a password it logs in at once (so a wrong password fails here); with a
 * token it checks the token (to learn its expiry). Options are checked first: a missing or bad
 * value (a username without a password, a blank token, ...) is an `InvalidInputError` naming
 * it, and nothing is sent.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Service, SessionError, Auth | GlowmarktConfig> =>
  Effect.gen(function*() {
    const auth = yield* Auth
    const settings = yield* GlowmarktConfig
    const refreshAhead = yield* checkOptions(options)
    const credentials = options.username !== undefined && options.password !== undefined
      ? Option.some({
        username: options.username,
        password: options.password,
        ...(options.directoryId === undefined ? {} : { directoryId: options.directoryId })
      })
      : Option.none()
    const requestedAppId = options.applicationId
    const login: Effect.Effect<IssuedToken, SessionError> = Option.match(credentials, {
      onNone: () =>
        Effect.fail(new TokenRejectedError({ operation: "newToken", detail: "the token expired and no password is held to log in again" })),
      onSome: (c) => auth.login({ ...c, applicationId: requestedAppId })
    })

    let initial: IssuedToken
    if (options.token !== undefined) {
      const checked = yield* auth.check(options.token, { applicationId: requestedAppId })
      if (!checked.valid) return yield* new TokenRejectedError({ operation: "tokencheck", detail: "the server says the token is not valid" })
      const applicationId = checked.applicationId ?? (requestedAppId as ApplicationId | undefined) ??
        Option.getOrUndefined(settings.applicationId)
      if (applicationId === undefined) {
        return yield* new InvalidInputError({ operation: "tokencheck", field: "applicationId", problem: "is required" })
      }
      initial = {
        token: options.token as AuthToken,
        // A server that does not say when the token expires: treat it as valid for the margin.
        expiresAt: new Date(
          checked.exp !== undefined ? checked.exp * 1000 : (yield* Clock.currentTimeMillis) + Duration.toMillis(refreshAhead) * 2
        ),
        applicationId,
        accountId: Option.fromNullable(checked.accountId),
        name: Option.none()
      }
    } else {
      initial = yield* login
    }
    const applicationId = initial.applicationId
    const ref = yield* SynchronizedRef.make<Option.Option<Held>>(Option.some(initial))

    const fresh = (held: Option.Option<Held>, now: number) =>
      Option.isSome(held) && held.value.expiresAt.getTime() - Duration.toMillis(refreshAhead) > now

    const refresh = (held: Option.Option<Held>, now: number): Effect.Effect<Held, SessionError> => {
      const stillValid = Option.filter(held, (h) => h.expiresAt.getTime() > now)
      return Option.match(stillValid, {
        onNone: () => login,
        onSome: (h) =>
          auth.renew(h.token, { applicationId }).pipe(
            Effect.catchAll((error) => Option.isSome(credentials) ? login : Effect.fail(error))
          )
      }).pipe(Effect.withSpan("Glowmarkt.session.refresh"))
    }

    const token: Effect.Effect<AuthToken, SessionError> = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* SynchronizedRef.get(ref)
      if (fresh(current, now)) return (current as Option.Some<Held>).value.token
      // One refresh at a time: whoever gets the lock refreshes, the others find it fresh.
      const held = yield* SynchronizedRef.modifyEffect(ref, (latest) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          fresh(latest, now)
            ? Effect.succeed([(latest as Option.Some<Held>).value, latest] as const)
            : Effect.map(refresh(latest, now), (h) => {
              const next: Held = { token: h.token, expiresAt: h.expiresAt }
              return [next, Option.some(next)] as const
            })))
      return held.token
    })

    return {
      applicationId,
      token,
      expiresAt: Effect.map(SynchronizedRef.get(ref), Option.map((h) => h.expiresAt)),
      invalidate: (refused) =>
        SynchronizedRef.update(ref, (held) =>
          Option.isSome(held) && Redacted.value(held.value.token) === Redacted.value(refused) ? Option.none() : held),
      canLogInAgain: Option.isSome(credentials)
    } satisfies Service
  })

/**
 * A session for everything built on this layer.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options): Layer.Layer<UserSession, SessionError, Auth | GlowmarktConfig> =>
  Layer.effect(UserSession, make(options))

/**
 * Runs one effect as a user: opens a session for it alone.
 *
 * @category combinators
 * @since 0.1.0
 */
export const withSession = (options: Options) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E | SessionError, Exclude<R, UserSession> | Auth | GlowmarktConfig> =>
  Effect.flatMap(make(options), (session) => Effect.provideService(self, UserSession, session))
