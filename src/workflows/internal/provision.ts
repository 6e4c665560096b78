/**
 * The reconciling admin create shared by `Provisioning.provision` and `BulkImport`.
 *
 * `createUser` is never replayed by the client once it may have reached the server (a second
 * create could make a second user, or answer "already exists" for our own). So after such a
 * failure this looks the username up (a read, which the client does retry): found, the user is
 * there (created by this attempt, or existing); not found, the create is sent again, a bounded
 * number of times with backoff.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import { mayHaveActed, surelyNotActed } from "../../schema/GlowmarktError.js"
import type { DirectoryId, Username } from "../../schema/Identifiers.js"
import type { AddUserRes } from "../../schema/Models.js"
import type { AdminAuth } from "../../services/Credentials.js"
import type * as Users from "../../services/Users.js"
import { retryAfterFailure } from "../../services/internal/retry.js"

/** What a provisioning can fail with. */
export type ProvisionError = Users.CreateError | Users.LookupError

/** The `Retry-After` the server asked for, in milliseconds. */
const retryAfterMillis = (error: ProvisionError): number | undefined =>
  error._tag === "UnexpectedStatusError" && error.retryAfterSeconds !== undefined
    ? error.retryAfterSeconds * 1000
    : undefined

/** The retry settings of the reconciling create. */
export interface RetrySettings {
  /** Creates sent at most, the first included. */
  readonly attempts: number
  readonly baseDelay: Duration.Duration
  readonly maxDelay: Duration.Duration
  /**
   * A user found after this run's lost create counts as `created` unless the server says it was
   * created more than this before the first attempt was sent.
   */
  readonly clockSkew: Duration.Duration
}

/** Hooks: the rate limiter around each request, and counters. */
export interface Hooks {
  readonly limit: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  readonly onRequest: Effect.Effect<void>
}

/** No hooks. */
export const noHooks: Hooks = { limit: (effect) => effect, onRequest: Effect.void }

/**
 * Whether a failure of {@link reconcileCreate} leaves the outcome unknown: a create may have
 * happened unseen, or the look-up that had to tell failed. Any other failure: surely no user.
 */
export const isUnconfirmed = (error: ProvisionError): boolean =>
  mayHaveActed(error) || error.operation === "getUserbyUsername"

/** The result of a reconciling create. */
export interface Reconciled {
  readonly outcome: "created" | "existing"
  /** The user, when an answer showed it (a lookup that failed after "already exists" leaves it unknown). */
  readonly user: Option.Option<AddUserRes>
  /** Creates sent. */
  readonly attempts: number
}

class RetryCreate extends Data.TaggedError("RetryCreate")<{ readonly cause: ProvisionError }> {}

/**
 * Creates a user, reconciling after every answer that may hide a create that happened. When
 * the retries run out, the failure is the last create that may have happened unseen (so that
 * `mayHaveActed` tells the caller to check), or else the last error; see {@link isUnconfirmed}.
 */
export const reconcileCreate = (
  users: Users.Service,
  input: { readonly username: Username; readonly directoryId?: DirectoryId | undefined },
  retry: RetrySettings,
  hooks: Hooks = noHooks
): Effect.Effect<Reconciled, ProvisionError, AdminAuth> =>
  Effect.gen(function*() {
    const firstAt = yield* Clock.currentTimeMillis
    let attempts = 0
    let lostCreate = false
    // The latest create that may have happened and that no look-up since has shown absent: the
    // failure to report if the retries run out, so that the caller knows to check.
    let unconfirmed: ProvisionError | undefined

    const request = <A, E, R>(effect: Effect.Effect<A, E, R>) => hooks.limit(Effect.zipRight(hooks.onRequest, effect))
    const lookup = request(users.getByUsername(input.username))
    const ours = (user: AddUserRes) =>
      lostCreate &&
      (user.createdAt === undefined || user.createdAt.getTime() >= firstAt - Duration.toMillis(retry.clockSkew))
    const found = (user: AddUserRes): Reconciled => ({
      outcome: ours(user) ? "created" : "existing",
      user: Option.some(user),
      attempts
    })

    const once: Effect.Effect<Reconciled, ProvisionError | RetryCreate, AdminAuth> = Effect.suspend(() => {
      attempts++
      return request(users.create(input)).pipe(
        Effect.map((user): Reconciled => ({ outcome: "created", user: Option.some(user), attempts })),
        Effect.catchAll((error): Effect.Effect<Reconciled, ProvisionError | RetryCreate, AdminAuth> => {
          if (error._tag === "UsernameTakenError") {
            return lookup.pipe(
              Effect.map(found),
              Effect.catchAll((lookupError): Effect.Effect<never, ProvisionError | RetryCreate> =>
                // Taken in the directory but not visible to this application: not ours to use.
                // A look-up that failed confirmed nothing: try again, and if the tries run out
                // the failure is the look-up's (the caller reports it as unknown).
                lookupError._tag === "NotFoundError"
                  ? Effect.fail(error)
                  : Effect.fail(new RetryCreate({ cause: lookupError }))
              )
            )
          }
          if (mayHaveActed(error)) {
            lostCreate = true
            unconfirmed = error
            return lookup.pipe(
              Effect.map(found),
              Effect.catchAll((lookupError) => {
                // Not there: the create did not happen. Either way, send it again.
                if (lookupError._tag === "NotFoundError") unconfirmed = undefined
                return Effect.fail(new RetryCreate({ cause: error }))
              })
            )
          }
          if (surelyNotActed(error)) return Effect.fail(new RetryCreate({ cause: error }))
          return Effect.fail(error)
        })
      )
    })

    const schedule = () => Schedule.exponential(retry.baseDelay, 2).pipe(
      Schedule.jittered,
      Schedule.modifyDelay((_, delay) => Duration.min(delay, retry.maxDelay)),
      Schedule.intersect(Schedule.recurs(Math.max(0, retry.attempts - 1))),
      Schedule.intersect(Schedule.identity<ProvisionError | RetryCreate>()),
      Schedule.whileInput((error: ProvisionError | RetryCreate) => error._tag === "RetryCreate"),
      Schedule.modifyDelay(([, error], delay) => {
        const asked = error._tag === "RetryCreate" ? retryAfterMillis(error.cause) : undefined
        return asked === undefined ? delay : Duration.min(Duration.millis(asked), retry.maxDelay)
      })
    )

    return yield* once.pipe(
      retryAfterFailure((error) => error._tag === "RetryCreate", schedule),
      Effect.catchTag("RetryCreate", (e) => Effect.fail(unconfirmed ?? e.cause))
    )
  })
