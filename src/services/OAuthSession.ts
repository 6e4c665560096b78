/**
 * An OAuth session: a pair of access and refresh tokens that stays fresh, for the calls made
 * with an OAuth access token.
 *
 * - Built from the tokens of `OAuth.exchange` (or of an earlier refresh).
 * - Refreshes ahead of the access token's expiry (`OAuth.refresh`), and keeps the refresh token
 *   the server answers with (refresh tokens are single-use: the old one is spent).
 * - One refresh at a time, however many fibers ask: the others wait for its result and get the
 *   same access token. That matters more here than for `UserSession`: two refreshes with one
 *   single-use refresh token would spend it twice, and the second would be refused.
 * - A refusal of the refresh token is final (there is no password to fall back on): the session
 *   then fails with that error until it is made again from a new authorization.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as SynchronizedRef from "effect/SynchronizedRef"
import { InvalidInputError, TokenRejectedError } from "../schema/GlowmarktError.js"
import { type ExchangeError, OAuth, type OAuthTokens } from "./OAuth.js"

/**
 * What getting the access token can fail with: a refresh's errors, or a refresh needed with no
 * refresh token held (`TokenRejectedError`).
 *
 * @category errors
 * @since 0.1.0
 */
export type OAuthSessionError = ExchangeError | TokenRejectedError

/**
 * An OAuth session.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** An access token valid for at least the refresh margin, refreshed first when it is not. */
  readonly accessToken: Effect.Effect<Redacted.Redacted<string>, OAuthSessionError>
  /** When the current access token expires. */
  readonly expiresAt: Effect.Effect<Date>
}

/**
 * The session of the calls made with an OAuth access token.
 *
 * @category tags
 * @since 0.1.0
 */
export class OAuthSession extends Context.Tag("effect-glowmarkt/OAuthSession")<OAuthSession, Service>() {}

/**
 * How to open a session.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  /** The tokens to start from (`OAuth.exchange`'s answer). */
  readonly tokens: OAuthTokens
  /** The client the tokens were issued to, for the refresh (defaults as for `OAuth.refresh`). */
  readonly clientId?: string | undefined
  readonly clientSecret?: Redacted.Redacted<string> | undefined
  /** Refresh when the access token expires within this margin (default: 1 minute). */
  readonly refreshAhead?: Duration.DurationInput | undefined
}

/**
 * Opens a session on the tokens given; nothing is sent until a refresh is due.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options): Effect.Effect<Service, InvalidInputError, OAuth> =>
  Effect.gen(function*() {
    const oauth = yield* OAuth
    const margin = Duration.decodeUnknown(options.refreshAhead ?? Duration.minutes(1))
    if (Option.isNone(margin) || !Duration.isFinite(margin.value)) {
      return yield* new InvalidInputError({ operation: "oauthSession", field: "refreshAhead", problem: "must be a finite duration" })
    }
    const refreshAhead = Duration.toMillis(margin.value)
    const ref = yield* SynchronizedRef.make<OAuthTokens>(options.tokens)
    const fresh = (tokens: OAuthTokens, now: number) => tokens.expiresAt.getTime() - refreshAhead > now

    const refresh = (held: OAuthTokens): Effect.Effect<OAuthTokens, OAuthSessionError> =>
      Option.match(held.refreshToken, {
        onNone: (): Effect.Effect<OAuthTokens, OAuthSessionError> =>
          Effect.fail(
            new TokenRejectedError({ operation: "exchangeAuthorizationCodeWithAccess", detail: "the access token expires and no refresh token is held" })
          ),
        onSome: (refreshToken): Effect.Effect<OAuthTokens, OAuthSessionError> =>
          oauth.refresh({ refreshToken, clientId: options.clientId, clientSecret: options.clientSecret }).pipe(
            // A server that answers without a new refresh token leaves the old one in use.
            Effect.map((next) => Option.isSome(next.refreshToken) ? next : { ...next, refreshToken: held.refreshToken })
          )
      }).pipe(Effect.withSpan("Glowmarkt.oauthSession.refresh"))

    const accessToken: Effect.Effect<Redacted.Redacted<string>, OAuthSessionError> = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* SynchronizedRef.get(ref)
      if (fresh(current, now)) return current.accessToken
      // One refresh at a time: whoever gets the lock refreshes, the others find it fresh.
      const held = yield* SynchronizedRef.modifyEffect(ref, (latest) =>
        Effect.flatMap(Clock.currentTimeMillis, (now) =>
          fresh(latest, now)
            ? Effect.succeed([latest, latest] as const)
            : Effect.map(refresh(latest), (next) => [next, next] as const)))
      return held.accessToken
    })

    return { accessToken, expiresAt: Effect.map(SynchronizedRef.get(ref), (t) => t.expiresAt) } satisfies Service
  })
