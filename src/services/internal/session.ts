/**
 * Calls made as a user: the session's token in the headers, and after a 401 one new login and
 * one retry.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { AccessDeniedError, type Operation } from "../../schema/GlowmarktError.js"
import type { AuthToken } from "../../schema/Identifiers.js"
import { type SessionError, UserSession } from "../Session.js"
import { call, type CallContext, type Mapped, type RawError } from "./call.js"
import { SessionToken } from "./client.js"

/** Runs a session-group call with the current session's token. */
export const sessionCall = <A, E extends RawError>(
  operation: Operation,
  context: CallContext,
  attempt: Effect.Effect<A, E, SessionToken | Scope.Scope>
): Effect.Effect<A, Mapped<E> | SessionError, UserSession> =>
  Effect.gen(function*() {
    const session = yield* UserSession
    const run = (token: AuthToken) =>
      call(operation, context, attempt).pipe(
        Effect.provideService(SessionToken, { applicationId: session.applicationId, token })
      )
    const token = yield* session.token
    return yield* run(token).pipe(
      Effect.catchIf(
        (error): boolean => error instanceof AccessDeniedError && session.canLogInAgain,
        () =>
          session.invalidate(token).pipe(
            Effect.zipRight(session.token),
            Effect.flatMap(run),
            Effect.withSpan("Glowmarkt.session.reauthenticate")
          )
      )
    )
  })
