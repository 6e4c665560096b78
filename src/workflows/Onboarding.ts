/**
 * The self-service flows of a user, composed from `Users` and `Auth` and a `CodeSource`:
 * register then verify the emailed code, and reset a forgotten password.
 *
 * Both are safe to run again as a whole after any failure: a second run finds what the first
 * one left on the server (a registered, unverified user; a verified one) and goes on from
 * there, without creating a second user or failing confusingly.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type {
  AccessDeniedError,
  BadRequestError,
  CallError,
  InvalidInputError,
  NotFoundError
} from "../schema/GlowmarktError.js"
import { ApplicationId, Email, PasswordFromSelf, type UserId, Username } from "../schema/Identifiers.js"
import { Auth, type IssuedToken } from "../services/Auth.js"
import * as Users from "../services/Users.js"
import * as CodeSource from "./CodeSource.js"
import { countOption, durationOption } from "../services/internal/input.js"
import {
  decodeInput,
  isAlreadyExists,
  isAlreadyVerified,
  isCodeRefused,
  isMalformedCode,
  isTransient,
  isUnknownUser,
  mayHaveActed,
  type Tagged
} from "./internal/classify.js"
import { TooManyWrongCodes, UnknownUser, UsernameTaken } from "./WorkflowError.js"

/**
 * How patient a flow is.
 *
 * @since 0.1.0
 */
export interface Options {
  /** How long to wait for each code (default 10 minutes, on the `Clock`). */
  readonly codeTimeout?: Duration.DurationInput | undefined
  /**
   * How many codes to try: after a wrong or expired one, a new code is sent and waited for,
   * until this many were tried (default 3).
   */
  readonly maxRounds?: number | undefined
  /**
   * How many times a step whose answer was lost (the request may have reached the server) is
   * checked and sent again (default 3).
   */
  readonly attempts?: number | undefined
}

/** @since 0.1.0 */
export const defaults = {
  codeTimeout: CodeSource.defaultTimeout,
  maxRounds: 3,
  attempts: 3
} as const

/** The options, checked at run time too: a bad one is an `InvalidInputError` naming it. */
const resolve = (operation: string, options: Options | undefined) =>
  Effect.all({
    codeTimeout: durationOption(operation, "options.codeTimeout", options?.codeTimeout, defaults.codeTimeout),
    maxRounds: countOption(operation, "options.maxRounds", options?.maxRounds, defaults.maxRounds),
    attempts: countOption(operation, "options.attempts", options?.attempts, defaults.attempts)
  })

// ---------------------------------------------------------------------------------------------
// register -> verify

/**
 * The input of {@link registerAndVerify}: what `Users.register` takes.
 *
 * @since 0.1.0
 */
export type RegisterAndVerifyInput = Users.RegisterInput

/**
 * The user at the end of {@link registerAndVerify}: active.
 *
 * - `verified`: this run entered the code.
 * - `alreadyVerified`: the user was already active with this password (a previous run finished
 *   but its answer was lost). `userId` is then unknown: the public API does not tell it.
 *
 * @since 0.1.0
 */
export interface Onboarded {
  readonly outcome: "verified" | "alreadyVerified"
  readonly username: Username
  readonly userId: Option.Option<UserId>
  /** Whether this run continued a registration found on the server instead of making one. */
  readonly resumed: boolean
  /** How many codes were tried. */
  readonly rounds: number
}

/**
 * What {@link registerAndVerify} can fail with.
 *
 * @since 0.1.0
 */
export type RegisterAndVerifyError =
  | UsernameTaken
  | CodeSource.CodeNotReceived
  | TooManyWrongCodes
  | InvalidInputError
  | BadRequestError
  | AccessDeniedError
  | CallError

type Start =
  | { readonly _tag: "Registered"; readonly userId: UserId }
  | { readonly _tag: "Resumed" }
  | { readonly _tag: "AlreadyVerified" }

type Verified =
  | { readonly _tag: "Verified"; readonly userId: UserId }
  | { readonly _tag: "AlreadyVerified" }

/**
 * Registers a user, waits for the emailed code from the `CodeSource`, verifies it, and returns
 * the active user.
 *
 * - A wrong or expired code: a new one is requested (`POST /user/verify`) and waited for, up to
 *   `maxRounds` codes; then `TooManyWrongCodes`. An answer that is not 4 digits is asked again
 *   without a new email.
 * - Safe to run again as a whole. When the registration's answer was lost (the request may
 *   have reached the server) or the server says the user already exists, the flow asks for a
 *   new code with the same username and password: that succeeds only for the user it
 *   registered before, which it then continues with. A 401 there means the username belongs
 *   to someone else (`UsernameTaken`), or, after a lost answer, that the registration never
 *   happened (it registers again). "User already verified" means the work is done: it
 *   succeeds with `outcome: "alreadyVerified"`.
 * - Never sends a second registration for a user that exists.
 *
 * @since 0.1.0
 */
export const registerAndVerify = (
  input: RegisterAndVerifyInput,
  options?: Options
): Effect.Effect<Onboarded, RegisterAndVerifyError, Users.Users | CodeSource.CodeSource> =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const settings = yield* resolve("registerAndVerify", options)
    const i = yield* decodeInput("registerAndVerify", Users.RegisterInput, input)
    const credentials = {
      username: i.username,
      password: i.password,
      ...(i.applicationId === undefined ? {} : { applicationId: i.applicationId })
    }

    // Asks for a new code for an existing registration. `why` is what made us ask: a user that
    // "already exists" (a 401 then means someone else's), or a lost answer (a 401 then means
    // our registration never happened).
    const resume = (
      why: "exists" | RegisterAndVerifyError,
      attempt: number
    ): Effect.Effect<Start, RegisterAndVerifyError> =>
      users.requestVerificationCode(credentials).pipe(
        Effect.as<Start>({ _tag: "Resumed" }),
        Effect.catchAll((error): Effect.Effect<Start, RegisterAndVerifyError> => {
          if (isAlreadyVerified(error)) return Effect.succeed({ _tag: "AlreadyVerified" })
          if (error._tag === "AccessDeniedError") {
            if (why === "exists") return Effect.fail(new UsernameTaken({ username: i.username }))
            return attempt < settings.attempts ? register(attempt + 1) : Effect.fail(why)
          }
          // Whether that email went out is unknown: ask again (the newest code is the valid one).
          if (isTransient(error) && attempt < settings.attempts) return resume(why, attempt + 1)
          return Effect.fail(error)
        })
      )

    const register = (attempt: number): Effect.Effect<Start, RegisterAndVerifyError> =>
      users.register(input).pipe(
        Effect.map((res): Start => ({ _tag: "Registered", userId: res.userId })),
        Effect.catchAll((error): Effect.Effect<Start, RegisterAndVerifyError> => {
          if (isAlreadyExists(error)) return resume("exists", attempt)
          if (mayHaveActed(error)) {
            return Effect.logDebug(`registerAndVerify: registration answer lost (${error._tag}); checking`).pipe(
              Effect.zipRight(resume(error, attempt))
            )
          }
          return Effect.fail(error)
        })
      )

    const start = yield* register(1)
    const done = (verified: Verified, rounds: number): Onboarded => ({
      outcome: verified._tag === "Verified" ? "verified" : "alreadyVerified",
      username: i.username,
      userId: verified._tag === "Verified"
        ? Option.some(verified.userId)
        : start._tag === "Registered"
        ? Option.some(start.userId)
        : Option.none(),
      resumed: start._tag !== "Registered",
      rounds
    })
    if (start._tag === "AlreadyVerified") return done(start, 0)

    const requestNewCode = (attempt: number): Effect.Effect<Option.Option<Verified>, RegisterAndVerifyError> =>
      users.requestVerificationCode(credentials).pipe(
        Effect.as(Option.none<Verified>()),
        Effect.catchAll((error) =>
          isAlreadyVerified(error)
            ? Effect.succeed(Option.some<Verified>({ _tag: "AlreadyVerified" }))
            : isTransient(error) && attempt < settings.attempts
            ? requestNewCode(attempt + 1)
            : Effect.fail(error)
        )
      )

    const rounds = yield* codeRounds<Verified, RegisterAndVerifyError>({
      username: i.username,
      email: i.email,
      purpose: "verification",
      codeTimeout: settings.codeTimeout,
      maxRounds: settings.maxRounds,
      attempts: settings.attempts,
      submit: (code) =>
        users.verify({ ...credentials, code }).pipe(
          Effect.map((res): Verified => ({ _tag: "Verified", userId: res.userId })),
          Effect.catchIf(isAlreadyVerified, () => Effect.succeed<Verified>({ _tag: "AlreadyVerified" }))
        ),
      // A lost answer to `verify`: sending the same code again tells ("already verified" if it
      // was taken, the same outcome otherwise).
      probe: () => Effect.succeed(Option.none()),
      requestNewCode: () => requestNewCode(1)
    })
    return done(rounds.result, rounds.rounds)
  }).pipe(Effect.withSpan("Glowmarkt.workflow.registerAndVerify"))

// ---------------------------------------------------------------------------------------------
// The rounds of codes, shared by both flows

interface Rounds<A, E> {
  readonly username: string
  readonly email?: string | undefined
  readonly purpose: CodeSource.Purpose
  readonly codeTimeout: Duration.Duration
  readonly maxRounds: number
  readonly attempts: number
  /** Sends the code. */
  readonly submit: (code: string) => Effect.Effect<A, E>
  /** After a lost answer to `submit`: whether the server took the code (then its result). */
  readonly probe: () => Effect.Effect<Option.Option<A>, E>
  /** Has a new code sent; `Some` when that shows the flow is already done. */
  readonly requestNewCode: () => Effect.Effect<Option.Option<A>, E>
}

const codeRounds = <A, E extends Tagged>(
  r: Rounds<A, E>
): Effect.Effect<{ readonly result: A; readonly rounds: number }, E | CodeSource.CodeNotReceived | TooManyWrongCodes, CodeSource.CodeSource> => {
  const tooMany = (round: number) =>
    Effect.fail(new TooManyWrongCodes({ username: r.username, purpose: r.purpose, rounds: round }))

  const send = (code: string, attempt: number): Effect.Effect<A, E> =>
    r.submit(code).pipe(
      Effect.catchIf(
        (error) => mayHaveActed(error) && attempt < r.attempts,
        (error) =>
          Effect.flatMap(r.probe(), Option.match({ onSome: Effect.succeed, onNone: () => send(code, attempt + 1) })).pipe(
            Effect.catchAll(() => Effect.fail(error))
          )
      ),
      Effect.catchIf(
        (error) => notSentTransient(error) && attempt < r.attempts,
        () => send(code, attempt + 1)
      )
    )

  const round = (n: number): Effect.Effect<{ readonly result: A; readonly rounds: number }, E | CodeSource.CodeNotReceived | TooManyWrongCodes, CodeSource.CodeSource> =>
    CodeSource.await({ username: r.username, email: r.email, purpose: r.purpose, round: n }, r.codeTimeout).pipe(
      Effect.flatMap((code) => send(Redacted.value(code).trim(), 1)),
      Effect.map((result) => ({ result, rounds: n })),
      Effect.catchIf(
        (error): error is E => isMalformedCode(error as Tagged),
        // Refused before sending: the pending code is still good, just ask again.
        () => n < r.maxRounds ? round(n + 1) : tooMany(n)
      ),
      Effect.catchIf(
        (error): error is E => isCodeRefused(error as Tagged),
        () =>
          n < r.maxRounds
            ? Effect.flatMap(
              r.requestNewCode(),
              Option.match({ onSome: (result) => Effect.succeed({ result, rounds: n }), onNone: () => round(n + 1) })
            )
            : tooMany(n)
      )
    )
  return round(1)
}

const notSentTransient = (error: Tagged) => isTransient(error) && !mayHaveActed(error)

// ---------------------------------------------------------------------------------------------
// reset

/**
 * The input of {@link resetPassword}.
 *
 * @since 0.1.0
 */
export interface ResetPasswordInput {
  readonly username: string
  readonly newPassword: Redacted.Redacted<string>
  /** Where the code goes, if known: only used to word a prompt. */
  readonly email?: string | undefined
  /** Defaults to the configured `applicationId`. */
  readonly applicationId?: string | undefined
}

const ResetInput = Schema.Struct({
  username: Username,
  newPassword: PasswordFromSelf,
  email: Schema.optional(Email),
  applicationId: Schema.optional(ApplicationId)
})

/**
 * What {@link resetPassword} can fail with.
 *
 * @since 0.1.0
 */
export type ResetPasswordError =
  | UnknownUser
  | CodeSource.CodeNotReceived
  | TooManyWrongCodes
  | InvalidInputError
  | BadRequestError
  | AccessDeniedError
  | NotFoundError
  | CallError

/**
 * Resets a forgotten password: requests a reset code, waits for it from the `CodeSource`, sets
 * the new password (a wrong or expired code: a new one, up to `maxRounds`), then proves the new
 * password by logging in, and returns that login's token.
 *
 * When the answer to setting the password is lost, a login with the new password tells whether
 * it was set; if not, the same code is sent again.
 *
 * @since 0.1.0
 */
export const resetPassword = (
  input: ResetPasswordInput,
  options?: Options
): Effect.Effect<IssuedToken, ResetPasswordError, Users.Users | Auth | CodeSource.CodeSource> =>
  Effect.gen(function*() {
    const users = yield* Users.Users
    const auth = yield* Auth
    const settings = yield* resolve("resetPassword", options)
    const i = yield* decodeInput("resetPassword", ResetInput, input)
    const app = i.applicationId === undefined ? {} : { applicationId: i.applicationId }
    const unknown = () => new UnknownUser({ username: i.username })

    const request = (attempt: number): Effect.Effect<void, ResetPasswordError> =>
      users.requestPasswordReset({ username: i.username, ...app }).pipe(
        Effect.catchAll((error): Effect.Effect<void, ResetPasswordError> =>
          isUnknownUser(error)
            ? Effect.fail(unknown())
            : isTransient(error) && attempt < settings.attempts
            ? request(attempt + 1)
            : Effect.fail(error)
        )
      )

    const login = auth.login({ username: i.username, password: i.newPassword, ...app })

    yield* request(1)
    yield* codeRounds<void, ResetPasswordError>({
      username: i.username,
      email: i.email,
      purpose: "passwordReset",
      codeTimeout: settings.codeTimeout,
      maxRounds: settings.maxRounds,
      attempts: settings.attempts,
      submit: (code) =>
        users.resetPassword({ username: i.username, code, newPassword: i.newPassword, ...app }).pipe(
          Effect.catchIf(isUnknownUser, () => Effect.fail(unknown()))
        ),
      probe: () =>
        login.pipe(
          Effect.as(Option.some<void>(undefined)),
          Effect.catchTag("AccessDeniedError", () => Effect.succeed(Option.none<void>()))
        ),
      requestNewCode: () => Effect.as(request(1), Option.none())
    })
    return yield* login
  }).pipe(Effect.withSpan("Glowmarkt.workflow.resetPassword"))
