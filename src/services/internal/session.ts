/**
 * Calls made as a user: the session's token in the headers, and after a refused token one new
 * login and one retry.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Redacted from "effect/Redacted"
import type { OperationId } from "../../schema/GlowmarktApi.js"
import { InvalidInputError, TokenRejectedError } from "../../schema/GlowmarktError.js"
import { type AuthToken, headerValueProblem } from "../../schema/Identifiers.js"
import { heldValue } from "../../schema/internal/redacted.js"
import { type SessionError, UserSession } from "../Session.js"
import { call, type CallContext } from "./call.js"
import { SessionToken } from "./client.js"
import type { Mapped, RawError, Subject } from "./edge.js"

const checkHeader = (field: string, value: unknown): readonly [string, string] | undefined => {
  // A wiped `Redacted` holds nothing: refused like any other non-string.
  const inner: unknown = Redacted.isRedacted(value) ? heldValue(value as Redacted.Redacted<unknown>) : value
  if (typeof inner !== "string") return [field, "must be a string"]
  const problem = headerValueProblem(inner)
  return problem === undefined ? undefined : [field, problem]
}

/** Runs a session-group call with the current session's token. */
export const sessionCall = <Op extends OperationId, A, E extends RawError>(
  operation: Op,
  context: CallContext,
  attempt: Effect.Effect<A, E, SessionToken | Scope.Scope>,
  options?: { readonly subject?: Subject }
): Effect.Effect<A, Mapped<Op, E> | SessionError, UserSession> =>
  Effect.gen(function*() {
    const session = yield* UserSession
    const run = (token: AuthToken) =>
      Effect.suspend(() => {
        // A `UserSession` may be the caller's own implementation: what it hands out goes into
        // headers, so it is checked like any other header value before anything is sent.
        const problem = checkHeader("session.applicationId", session.applicationId) ?? checkHeader("session.token", token)
        return problem !== undefined
          ? Effect.fail(new InvalidInputError({ operation, field: problem[0], problem: problem[1] }))
          : call(operation, context, attempt, options).pipe(
            Effect.provideService(SessionToken, { applicationId: session.applicationId, token })
          )
      })
    const token = yield* session.token
    return yield* run(token).pipe(
      Effect.catchIf(
        (error): boolean => error instanceof TokenRejectedError && session.canLogInAgain,
        () =>
          session.invalidate(token).pipe(
            Effect.zipRight(session.token),
            Effect.flatMap(run),
            Effect.withSpan("Glowmarkt.session.reauthenticate")
          )
      )
    )
  })
