/**
 * Where the simulator "sends" its emails: every 4-digit code lands here, so a test (or a
 * person running `glowmarkt simulator`) can read it instead of a mailbox.
 *
 * Semantics: each address has a FIFO queue of messages not yet consumed. {@link InboxService.next}
 * takes the oldest unconsumed message for the address (optionally of one kind), waiting for one
 * if there is none; {@link InboxService.all} lists every message ever sent to the address,
 * consumed or not, oldest first, and consumes nothing. Addresses are compared trimmed and
 * lowercase.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberId from "effect/FiberId"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"

/**
 * What a message carries: a verification code (sent by `POST /register` and
 * `POST /user/verify`) or a password-reset code (sent by `POST /user/resetpassword`).
 *
 * @category schemas
 * @since 0.1.0
 */
export const MessageKind = Schema.Literal("verification", "passwordReset")
/** @category models @since 0.1.0 */
export type MessageKind = typeof MessageKind.Type

/**
 * One email. Over HTTP `sentAt` is an ISO date string.
 *
 * @category schemas
 * @since 0.1.0
 */
export const InboxMessage = Schema.Struct({
  to: Schema.String,
  kind: MessageKind,
  code: Schema.String,
  sentAt: Schema.Date
})
/** @category models @since 0.1.0 */
export type InboxMessage = typeof InboxMessage.Type

/**
 * No message arrived for the address within the timeout given to {@link InboxService.next}.
 *
 * @category errors
 * @since 0.1.0
 */
export class InboxTimeoutError extends Schema.TaggedError<InboxTimeoutError>()("InboxTimeoutError", {
  email: Schema.String,
  kind: Schema.optional(MessageKind),
  timeoutMillis: Schema.Number
}) {
  override get message(): string {
    return `no ${this.kind ?? "message"} for ${this.email} within ${this.timeoutMillis} ms`
  }
}

/**
 * Options of {@link InboxService.next}.
 *
 * @category models
 * @since 0.1.0
 */
export interface NextOptions {
  /** How long to wait for a message (default 5 seconds, measured on the simulator's `Clock`). */
  readonly timeout?: Duration.DurationInput | undefined
  /** Only take a message of this kind (others stay in the queue). */
  readonly kind?: MessageKind | undefined
}

/**
 * The inbox of every address the simulator wrote to.
 *
 * @category models
 * @since 0.1.0
 */
export interface InboxService {
  /** Takes the oldest unconsumed message for `email`, waiting for one if needed. */
  readonly next: (email: string, options?: NextOptions) => Effect.Effect<InboxMessage, InboxTimeoutError>
  /** Takes the oldest unconsumed message for `email` if there is one, without waiting. */
  readonly poll: (email: string, kind?: MessageKind) => Effect.Effect<Option.Option<InboxMessage>>
  /** Every message sent to `email`, oldest first; consumes nothing. */
  readonly all: (email: string) => Effect.Effect<ReadonlyArray<InboxMessage>>
  /** The newest message sent to `email` (of a kind, if given); consumes nothing. */
  readonly latest: (email: string, kind?: MessageKind) => Effect.Effect<Option.Option<InboxMessage>>
  /** Delivers a message (the simulator calls this; tests may too). */
  readonly deliver: (message: Omit<InboxMessage, "sentAt">) => Effect.Effect<InboxMessage>
  /**
   * Marks every unread message to `email` as read, so `next` and `poll` never hand them out (the
   * simulator does this when it deletes a user: its codes are void). `all` still lists them.
   */
  readonly discard: (email: string) => Effect.Effect<void>
  /** Forgets every message. */
  readonly clear: Effect.Effect<void>
}

/**
 * The inbox of the running simulator.
 *
 * @category tags
 * @since 0.1.0
 */
export class Inbox extends Context.Tag("effect-glowmarkt/testing/Inbox")<Inbox, InboxService>() {}

/**
 * The default wait of {@link InboxService.next}.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultTimeout: Duration.Duration = Duration.seconds(5)

const normalise = (email: string) => email.trim().toLowerCase()

interface Entry {
  readonly message: InboxMessage
  consumed: boolean
}

/**
 * A fresh, empty inbox. Time (`sentAt`, timeouts) comes from the `Clock` of the caller.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make: Effect.Effect<InboxService> = Effect.sync(() => {
  const boxes = new Map<string, Array<Entry>>()
  let signal = Deferred.unsafeMake<void>(FiberId.none)

  const box = (email: string) => {
    const key = normalise(email)
    let entries = boxes.get(key)
    if (entries === undefined) {
      entries = []
      boxes.set(key, entries)
    }
    return entries
  }

  const take = (email: string, kind: MessageKind | undefined): Option.Option<InboxMessage> => {
    const entry = box(email).find((e) => !e.consumed && (kind === undefined || e.message.kind === kind))
    if (entry === undefined) return Option.none()
    entry.consumed = true
    return Option.some(entry.message)
  }

  const poll = (email: string, kind?: MessageKind) => Effect.sync(() => take(email, kind))

  const next = (email: string, options?: NextOptions): Effect.Effect<InboxMessage, InboxTimeoutError> => {
    const timeout = Duration.decode(options?.timeout ?? defaultTimeout)
    const loop: Effect.Effect<InboxMessage> = Effect.suspend(() => {
      // Take and capture the current signal together, so no delivery is missed in between.
      const waitOn = signal
      return Option.match(take(email, options?.kind), {
        onSome: Effect.succeed,
        onNone: () => Effect.zipRight(Deferred.await(waitOn), loop)
      })
    })
    return loop.pipe(
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () =>
          new InboxTimeoutError({
            email: normalise(email),
            timeoutMillis: Duration.toMillis(timeout),
            ...(options?.kind === undefined ? {} : { kind: options.kind })
          })
      })
    )
  }

  const deliver = (message: Omit<InboxMessage, "sentAt">) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const full: InboxMessage = { ...message, to: normalise(message.to), sentAt: new Date(now) }
      box(full.to).push({ message: full, consumed: false })
      const previous = signal
      signal = Deferred.unsafeMake<void>(FiberId.none)
      Deferred.unsafeDone(previous, Exit.void)
      return full
    })

  const all = (email: string) => Effect.sync(() => box(email).map((e) => e.message))

  const latest = (email: string, kind?: MessageKind) =>
    Effect.sync(() => {
      const entries = box(email).filter((e) => kind === undefined || e.message.kind === kind)
      return Option.fromNullable(entries[entries.length - 1]?.message)
    })

  const discard = (email: string) =>
    Effect.sync(() => {
      for (const entry of boxes.get(normalise(email)) ?? []) entry.consumed = true
    })

  const clear = Effect.sync(() => boxes.clear())

  return { next, poll, all, latest, deliver, discard, clear }
})
