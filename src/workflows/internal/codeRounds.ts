/**
 * The code rounds of both flows and both engines, in plain Effect: wait for a code, send it,
 * and decide what a timeout, a wrong code and a void code each do, under one `CodePolicy`. The
 * engine supplies the ports: the in-memory flows a `CodeSource` and plain calls, the durable
 * flows durable deferreds and activities. Every decision here depends only on what the ports
 * returned, so a durable replay decides the same way.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { CodeRejection } from "../../schema/GlowmarktError.js"
import type { CodePolicy } from "../CodePolicy.js"
import { CodeNotReceivedError, type Purpose, TooManyWrongCodesError } from "../FlowError.js"

/** What sending one code came to. */
export type Submitted<A> =
  | { readonly _tag: "Done"; readonly result: A }
  | { readonly _tag: "Rejected"; readonly reason: CodeRejection }

/** The engine's side of the rounds. */
export interface Ports<A, E, R> {
  /** Waits for entry `entry` (1-based) of a code; `None` when the policy's timeout passes first. */
  readonly awaitCode: (entry: number, codeNumber: number) => Effect.Effect<Option.Option<string>, E, R>
  /** Has code number `n` (n >= 2) sent; `Some` when that shows the work is done already. */
  readonly requestCode: (n: number) => Effect.Effect<Option.Option<A>, E, R>
  /** Sends entry `entry`, a well-formed code. */
  readonly submit: (entry: number, code: string) => Effect.Effect<Submitted<A>, E, R>
}

/** How the rounds ended. */
export interface Rounds<A> {
  readonly result: A
  readonly codesSent: number
  readonly wrongCodes: number
}

const wellFormed = /^[0-9]{4}$/

/**
 * Runs the rounds for `username`'s code of `purpose`, the first code already sent (or
 * `codesSent` of them, when the flow had more sent before).
 */
export const codeRounds = <A, E, R>(
  policy: CodePolicy,
  subject: { readonly username: string; readonly purpose: Purpose; readonly codesSent?: number },
  ports: Ports<A, E, R>
): Effect.Effect<Rounds<A>, E | CodeNotReceivedError | TooManyWrongCodesError, R> => {
  const notReceived = (reason: "timeout" | "expired", codesSent: number) =>
    new CodeNotReceivedError({
      username: subject.username,
      purpose: subject.purpose,
      reason,
      codesSent,
      ...(reason === "timeout" ? { waitedMillis: policy.codeTimeoutMillis } : {})
    })

  const loop = (
    entry: number,
    codesSent: number,
    wrongCodes: number
  ): Effect.Effect<Rounds<A>, E | CodeNotReceivedError | TooManyWrongCodesError, R> => {
    const newCode = (why: "timeout" | "expired", wrong: number) =>
      codesSent >= policy.maxCodes
        ? Effect.fail(notReceived(why, codesSent))
        : Effect.flatMap(ports.requestCode(codesSent + 1), (done) =>
          Option.match(done, {
            onSome: (result) => Effect.succeed<Rounds<A>>({ result, codesSent: codesSent + 1, wrongCodes: wrong }),
            onNone: () => loop(entry + 1, codesSent + 1, wrong)
          }))
    // A wrong entry: the flow ends at the policy's limit, or goes on with `then`.
    const wrong = (then: (wrong: number) => Effect.Effect<Rounds<A>, E | CodeNotReceivedError | TooManyWrongCodesError, R>) =>
      wrongCodes + 1 >= policy.maxWrongCodes
        ? Effect.fail(
          new TooManyWrongCodesError({
            username: subject.username,
            purpose: subject.purpose,
            wrongCodes: wrongCodes + 1,
            codesSent
          })
        )
        : then(wrongCodes + 1)
    const again = (wrong: number) => loop(entry + 1, codesSent, wrong)
    return Effect.flatMap(ports.awaitCode(entry, codesSent), (code) => {
      if (Option.isNone(code)) return newCode("timeout", wrongCodes)
      const entered = code.value.trim()
      // Not 4 digits: never sent, the pending code is still good.
      if (!wellFormed.test(entered)) return wrong(again)
      return Effect.flatMap(ports.submit(entry, entered), (submitted) => {
        if (submitted._tag === "Done") return Effect.succeed({ result: submitted.result, codesSent, wrongCodes })
        switch (submitted.reason) {
          case "wrong":
            return wrong(again)
          case "tooManyAttempts":
            // A wrong code that also voided the pending one.
            return wrong((n) => newCode("expired", n))
          default:
            return newCode("expired", wrongCodes)
        }
      })
    })
  }
  return loop(1, subject.codesSent ?? 1, 0)
}
