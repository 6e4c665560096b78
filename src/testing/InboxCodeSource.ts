/**
 * A `CodeSource` that reads the simulator's {@link Inbox}: the onboarding flows run end to end
 * against the simulator, the code "emailed" by the server being the one they enter.
 *
 * It reads like a person reads a mailbox: it takes the NEWEST unread message of the right kind
 * (older ones were replaced by it on the server) and waits for one if there is none. The
 * flow's own timeout bounds the wait.
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as CodeSource from "../workflows/CodeSource.js"
import { CodeNotReceivedError } from "../workflows/FlowError.js"
import { Inbox, type InboxMessage, type InboxService } from "./Inbox.js"

/** The longest wait asked of the inbox: longer than any flow's timeout, which comes first. */
const forever = "3650 days"

/**
 * The source, over a given inbox.
 *
 * @category constructors
 * @since 0.1.0
 */
export const fromInbox = (inbox: InboxService): CodeSource.Service => ({
  await: (request) => {
    const to = request.email ?? request.username
    const kind = request.purpose
    // Drains the unread messages of this kind and keeps the newest.
    const newest = (found: Option.Option<InboxMessage>): Effect.Effect<Option.Option<InboxMessage>> =>
      Effect.flatMap(inbox.poll(to, kind), (next) => Option.isSome(next) ? newest(next) : Effect.succeed(found))
    return newest(Option.none()).pipe(
      Effect.flatMap(Option.match({
        onSome: Effect.succeed,
        onNone: () => inbox.next(to, { kind, timeout: forever })
      })),
      Effect.map((message) => Redacted.make(message.code)),
      Effect.catchTag("InboxTimeoutError", () =>
        Effect.fail(
          new CodeNotReceivedError({ username: request.username, purpose: request.purpose, reason: "unavailable", detail: "the inbox gave up" })
        ))
    )
  }
})

/**
 * The source, over the `Inbox` in context.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<CodeSource.Service, never, Inbox> = Effect.map(Inbox, fromInbox)

/**
 * The simulator's inbox as the `CodeSource`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<CodeSource.CodeSource, never, Inbox> = Layer.effect(CodeSource.CodeSource, make)
