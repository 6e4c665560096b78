/**
 * An OAuth session: a pair of access and refresh tokens that stays fresh, for the calls made
 * with an OAuth access token.
 *
 * - Built from the tokens of `OAuth.exchange` (or of an earlier refresh).
 * - Refreshes ahead of the access token's expiry (`OAuth.refresh`), and keeps the refresh token
 *   the server answers with (refresh tokens are single-use: the old one is spent).
 * - One refresh at a time, however many fibers ask: the callers that find the token due while a
 *   refresh is in flight await it and share its outcome, a new access token or its error (they
 *   never start a second one). That matters more here than for `UserSession`: two refreshes
 *   with one single-use refresh token would spend it twice, and the second would be refused.
 * - A refresh token is gone once a refresh was refused (`CodeRejectedError`), or once a refresh
 *   may have reached the server without its answer arriving (a lost answer: the server may have
 *   spent the token and issued a pair nobody holds). There is no password to fall back on: the
 *   session then fails with {@link ReauthorizationRequiredError}, at once and without sending
 *   anything, until it is made again from a new authorization (`Onboarding.connectOAuth`). A
 *   refresh that surely did not reach the server (`GlowmarktError.surelyNotActed`) leaves the
 *   token in use: the next caller tries again.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Ref from "effect/Ref"
import { InvalidInputError, mayHaveActed, TokenRejectedError } from "../schema/GlowmarktError.js"
import { type ExchangeError, OAuth, type OAuthTokens } from "./OAuth.js"

/**
 * What getting the access token can fail with: a refresh's errors, or a refresh needed with no
 * refresh token held (`TokenRejectedError`).
 *
 * @category errors
 * @since 0.1.0
 */
export type OAuthSessionError = ExchangeError | TokenRejectedError | ReauthorizationRequiredError

/**
 * The session's refresh token is gone: a refresh was refused (`refused`), or its answer was lost
 * (`lost`: the server may have spent the token; its new pair, if any, reached nobody). Only a new
 * authorization helps: run the OAuth connect flow again (durably: with a new `nonce`; the same
 * nonce joins the first run, whose tokens are spent), then open a new session.
 *
 * @category errors
 * @since 0.1.0
 */
export class ReauthorizationRequiredError extends Schema.TaggedError<ReauthorizationRequiredError>()(
  "ReauthorizationRequiredError",
  {
    reason: Schema.Literal("refused", "lost"),
    /** The tag of the refresh's error (never a token). */
    lastError: Schema.String
  }
) {
  /** @since 0.1.0 */
  override get message(): string {
    return `The OAuth session's refresh token is gone (${
      this.reason === "refused" ? "the server refused it" : "a refresh's answer was lost: the server may have spent it"
    }, ${this.lastError}); authorize again (run the OAuth connect flow; durably, with a new nonce: the same nonce joins the first run and its spent tokens) and open a new session`
  }
}

/**
 * An OAuth session.
 *
 * @category models
 * @since 0.1.0
 */
export interface Service {
  /** An access token valid for at least the refresh margin, refreshed first when it is not. */
  readonly accessToken: Effect.Effect<Redacted.Redacted<string>, OAuthSessionError>
  /** When the current access token expires (the epoch once the refresh token is gone). */
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
    // The tokens held (or why none can be had any more: the refresh token is gone), and the
    // refresh in flight, if any: every caller that finds the token due while it runs awaits it.
    type Held = OAuthTokens | ReauthorizationRequiredError
    interface State {
      readonly held: Held
      readonly inFlight: Option.Option<Deferred.Deferred<OAuthTokens, OAuthSessionError>>
    }
    const ref = yield* Ref.make<State>({ held: options.tokens, inFlight: Option.none() })
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

    /** What becomes of the tokens after a refresh that failed with `e`. */
    const afterFailure = (held: OAuthTokens, e: OAuthSessionError): Held =>
      // A refused or possibly spent refresh token: remembered, so that no one sends it again.
      e._tag === "CodeRejectedError" || mayHaveActed(e)
        ? new ReauthorizationRequiredError({ reason: e._tag === "CodeRejectedError" ? "refused" : "lost", lastError: e._tag })
        : held

    // Uninterruptible but for the waits: a caller that took the refresh on runs it to the end and
    // settles it, so that the callers awaiting it never wait for a refresh nobody runs.
    const accessToken: Effect.Effect<Redacted.Redacted<string>, OAuthSessionError> = Effect.uninterruptibleMask((restore) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const deferred = yield* Deferred.make<OAuthTokens, OAuthSessionError>()
        // Decided on the latest state, atomically: a fresh token, the session's end, the refresh
        // in flight to await, or a refresh to start (this caller's).
        type Next =
          | { readonly _tag: "Gone"; readonly error: ReauthorizationRequiredError }
          | { readonly _tag: "Fresh"; readonly tokens: OAuthTokens }
          | { readonly _tag: "Await"; readonly deferred: Deferred.Deferred<OAuthTokens, OAuthSessionError> }
          | { readonly _tag: "Start"; readonly held: OAuthTokens }
        const next = yield* Ref.modify(ref, (state: State): readonly [Next, State] => {
          if (state.held instanceof ReauthorizationRequiredError) return [{ _tag: "Gone", error: state.held }, state]
          if (fresh(state.held, now)) return [{ _tag: "Fresh", tokens: state.held }, state]
          if (Option.isSome(state.inFlight)) return [{ _tag: "Await", deferred: state.inFlight.value }, state]
          return [{ _tag: "Start", held: state.held }, { ...state, inFlight: Option.some(deferred) }]
        })
        switch (next._tag) {
          case "Gone":
            return yield* Effect.fail(next.error)
          case "Fresh":
            return next.tokens.accessToken
          case "Await":
            return (yield* restore(Deferred.await(next.deferred))).accessToken
          case "Start": {
            // The refresh and its bookkeeping run to the end even if this caller is interrupted:
            // the others await its outcome. Whatever it is, they all get it: one refresh each time.
            const held = next.held
            yield* refresh(held).pipe(
              Effect.exit,
              Effect.flatMap((exit) =>
                Effect.zipRight(
                  Ref.set(ref, {
                    held: Exit.match(exit, {
                      onSuccess: (tokens): Held => tokens,
                      onFailure: (cause) => Option.match(Cause.failureOption(cause), { onNone: () => held, onSome: (e) => afterFailure(held, e) })
                    }),
                    inFlight: Option.none()
                  }),
                  Deferred.done(deferred, Exit.mapError(exit, (e) => {
                    const after = afterFailure(held, e)
                    return after instanceof ReauthorizationRequiredError ? after : e
                  }))
                )
              )
            )
            return (yield* restore(Deferred.await(deferred))).accessToken
          }
        }
      })
    )

    return {
      accessToken,
      expiresAt: Effect.map(Ref.get(ref), ({ held }) => held instanceof ReauthorizationRequiredError ? new Date(0) : held.expiresAt)
    } satisfies Service
  })
