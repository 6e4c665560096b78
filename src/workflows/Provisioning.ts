/**
 * Admin provisioning and a user's own account changes, with the credentials they need in their
 * types: `AdminAuth` for provisioning and removal, `UserSession` for acting as the user.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { AccessDeniedError, CallError, InvalidInputError } from "../schema/GlowmarktError.js"
import { DirectoryId, Username } from "../schema/Identifiers.js"
import type { AddUserRes } from "../schema/Models.js"
import type { Auth } from "../services/Auth.js"
import type { AdminAuth } from "../services/Credentials.js"
import type { GlowmarktConfig } from "../services/GlowmarktConfig.js"
import * as Session from "../services/Session.js"
import * as Users from "../services/Users.js"
import { countOption, decodeInput, durationOption } from "../services/internal/input.js"
import { type ProvisionError, reconcileCreate } from "./internal/provision.js"

export type {
  /** @since 0.1.0 */
  ProvisionError
} from "./internal/provision.js"

/**
 * How persistent provisioning is when the API fails.
 *
 * @category models
 * @since 0.1.0
 */
export interface RetryOptions {
  /** Creates sent at most, the first included (default 4). */
  readonly attempts?: number | undefined
  /** The first delay between creates; doubled each time, jittered (default 200 ms). */
  readonly baseDelay?: Duration.DurationInput | undefined
  /** No delay is longer (default 5 seconds); a longer `Retry-After` is cut to this. */
  readonly maxDelay?: Duration.DurationInput | undefined
  /**
   * After this run's create was lost, a user found counts as `created` unless the server says it
   * was created more than this before the first create was sent (default 1 minute).
   */
  readonly clockSkew?: Duration.DurationInput | undefined
}

/** @category constants @since 0.1.0 */
export const defaultRetry = {
  attempts: 4,
  baseDelay: Duration.millis(200),
  maxDelay: Duration.seconds(5),
  clockSkew: Duration.minutes(1)
} as const


/** The retry settings of `options`, checked at run time: a bad option is an `InvalidInputError` naming it. */
const checkedRetry = (operation: string, options: RetryOptions | undefined) =>
  Effect.all({
    attempts: countOption(operation, "options.attempts", options?.attempts, defaultRetry.attempts),
    baseDelay: durationOption(operation, "options.baseDelay", options?.baseDelay, defaultRetry.baseDelay),
    maxDelay: durationOption(operation, "options.maxDelay", options?.maxDelay, defaultRetry.maxDelay),
    clockSkew: durationOption(operation, "options.clockSkew", options?.clockSkew, defaultRetry.clockSkew)
  })

/**
 * The input of {@link provision}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ProvisionInput {
  readonly username: string
  /** Defaults to the configured `directoryId`. */
  readonly directoryId?: string | undefined
}

/** @category schemas @since 0.1.0 */
export const ProvisionInput = Schema.Struct({ username: Username, directoryId: Schema.optional(DirectoryId) })

/**
 * A provisioned user: `created` by this call, or `existing` before it. `user` is the server's
 * view of it, from the look-up that confirms it.
 *
 * @category models
 * @since 0.1.0
 */
export interface Provisioned {
  readonly outcome: "created" | "existing"
  readonly user: AddUserRes
  /** Creates sent (more than one when the API failed). */
  readonly attempts: number
}

/**
 * Makes sure a user exists (admin `POST /user`), and confirms it by looking it up.
 *
 * - "already exists": looked up and reported `existing`.
 * - A create whose answer was lost (dropped connection, 5xx, unreadable 2xx): looked up; found,
 *   it is `created` (never created twice); not found, the create is sent again with backoff.
 *
 * @category flows
 * @since 0.1.0
 */
export const provision = (
  input: ProvisionInput,
  options?: RetryOptions
): Effect.Effect<Provisioned, ProvisionError, Users.Users | AdminAuth> =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const i = yield* decodeInput("provision", ProvisionInput, input)
    const result = yield* reconcileCreate(users, i, yield* checkedRetry("provision", options))
    // Confirm: the answer of a create is not proof that the user can be found.
    const user = yield* users.getByUsername(i.username)
    return { outcome: result.outcome, user, attempts: result.attempts }
  }).pipe(Effect.withSpan("Glowmarkt.flow.provision"))

/**
 * What removing a user can fail with: a user that is not there is not a failure.
 *
 * @category errors
 * @since 0.1.0
 */
export type RemoveError = InvalidInputError | AccessDeniedError | CallError

/**
 * Removes a user (admin `DELETE /user/{userId}`, which deletes its accounts too): `removed`,
 * or `absent` when there was no such user to begin with. A delete whose answer was lost is
 * replayed by the client, and a 404 on that replay means the first attempt removed it:
 * `removed`. Either way the user is gone, so neither is a failure.
 *
 * @category flows
 * @since 0.1.0
 */
export const remove = (userId: string): Effect.Effect<"removed" | "absent", RemoveError, Users.Users | AdminAuth> =>
  Effect.flatMap(Users.Users, (users) =>
    users.delete(userId).pipe(
      Effect.as("removed" as const),
      Effect.catchTag("NotFoundError", () => Effect.succeed("absent" as const))
    )).pipe(Effect.withSpan("Glowmarkt.flow.remove"))

/**
 * Removes a user by username: looks it up, then {@link remove}s it.
 *
 * @category flows
 * @since 0.1.0
 */
export const removeByUsername = (
  username: string
): Effect.Effect<"removed" | "absent", RemoveError, Users.Users | AdminAuth> =>
  Effect.flatMap(Users.Users, (users) =>
    users.getByUsername(username).pipe(
      Effect.flatMap((user) => remove(user.userId)),
      Effect.catchTag("NotFoundError", () => Effect.succeed("absent" as const))
    ))

/**
 * The input of {@link changeUsername}.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChangeUsernameInput {
  /** The user's id (from `registerAndVerify`, or an admin look-up). */
  readonly userId: string
  readonly newUsername: string
}

/**
 * What a user's own rename can fail with: `UsernameTakenError` when another user has the new
 * username.
 *
 * @category errors
 * @since 0.1.0
 */
export type ChangeUsernameError = Users.ChangeUsernameError

/**
 * Renames the user of the current `UserSession`. Renaming to the same name again is harmless,
 * so a lost answer is retried.
 *
 * @category flows
 * @since 0.1.0
 */
export const changeUsername = (
  input: ChangeUsernameInput
): Effect.Effect<void, ChangeUsernameError, Users.Users | Session.UserSession> =>
  Effect.flatMap(Users.Users, (users) => users.changeUsername({ userId: input.userId, username: input.newUsername })).pipe(
    Effect.withSpan("Glowmarkt.flow.changeUsername")
  )

/**
 * The input of {@link changeUsernameAs}: the user's credentials and the rename.
 *
 * @category models
 * @since 0.1.0
 */
export interface ChangeUsernameAsInput extends ChangeUsernameInput {
  readonly username: string
  readonly password: Redacted.Redacted<string>
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
}

/**
 * Logs the user in and renames them with their own session (which ends with the call).
 *
 * @category flows
 * @since 0.1.0
 */
export const changeUsernameAs = (
  input: ChangeUsernameAsInput
): Effect.Effect<void, ChangeUsernameError | Session.SessionError, Users.Users | Auth | GlowmarktConfig> =>
  changeUsername(input).pipe(
    Session.withSession({ username: input.username, password: input.password, applicationId: input.applicationId })
  )
