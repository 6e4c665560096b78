/**
 * `glowmarkt users ...`: the User API on real accounts.
 *
 * Settings come from flags or `GLOWMARKT_*` variables (see `config.ts`). Passwords come from
 * `GLOWMARKT_PASSWORD` / `GLOWMARKT_NEW_PASSWORD` or a hidden prompt; admin keys from the
 * variables `Credentials.adminConfig` reads. Codes are flags (`--code 1234`) or typed at a
 * prompt.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Credentials from "../services/Credentials.js"
import * as Session from "../services/Session.js"
import { Users } from "../services/Users.js"
import * as CodeSource from "../workflows/CodeSource.js"
import * as Onboarding from "../workflows/Onboarding.js"
import * as Config from "./config.js"
import { UsageError } from "./errors.js"
import * as ImportCommand from "./import.js"
import { emit, userLines, userObject } from "./output.js"
import * as Secrets from "./secrets.js"

const password = (command: ReadonlyArray<string>) =>
  Secrets.secret({ env: "GLOWMARKT_PASSWORD", what: "the user's password", command })

const usernameOption = Options.text("username").pipe(
  Options.withDescription("The username (usually the email; trimmed and lowercased).")
)

const codeOption = Options.text("code").pipe(
  Options.withDescription("The 4-digit code from the email (prompted for when omitted, on a terminal)."),
  Options.optional
)

/** `--id ID` or `--username NAME`: which user an admin command is about. */
const whoOption = Options.text("id").pipe(
  Options.withDescription("The user id."),
  Options.orElseEither(Options.text("username").pipe(Options.withDescription("The username (looked up first).")))
)

const userIdOf = (who: Either.Either<string, string>) =>
  Either.match(who, {
    onLeft: (userId) => Effect.succeed(userId),
    onRight: (username) => Effect.flatMap(Users, (users) => users.getByUsername(username)).pipe(Effect.map((u) => u.userId))
  })

// ---------------------------------------------------------------------------------------------

const registerPath = ["users", "register"]

const register = Command.make(
  "register",
  {
    ...Config.common,
    name: Options.text("name").pipe(Options.withDescription("The user's full name.")),
    email: Options.text("email").pipe(Options.withDescription("Where the 4-digit code is sent.")),
    username: Options.text("username").pipe(
      Options.withDescription("The username (default: the email)."),
      Options.optional
    ),
    waitForCode: Options.boolean("wait-for-code").pipe(
      Options.withDescription("After registering, wait for the emailed code to be typed at a prompt, and verify.")
    )
  },
  (o) =>
    Effect.gen(function*() {
      if (o.waitForCode && !(yield* Secrets.canPrompt)) {
        return yield* new UsageError({
          message: "--wait-for-code needs a terminal to type the code at; without one, run `glowmarkt users verify --code NNNN` later",
          command: registerPath
        })
      }
      const pass = yield* password(registerPath)
      const users = yield* Users
      const username = Option.getOrElse(o.username, () => o.email)
      if (!o.waitForCode) {
        const user = yield* users.register({ name: o.name, email: o.email, username, password: pass })
        return yield* emit(o.json, { registered: true, ...userObject(user) }, [
          `registered ${username.trim().toLowerCase()} (${user.status}):`,
          ...userLines(user),
          `a 4-digit code was emailed to ${o.email}; verify with: glowmarkt users verify --username ${username} --code NNNN`
        ])
      }
      // The flow waits for the code at a prompt; a wrong one is refused and a new code is sent.
      const source = yield* CodeSource.prompt((request) =>
        Secrets.promptCode(
          `${request.round > 1 ? "a new code was sent: " : ""}the verification code sent to ${request.email ?? request.username}`
        )
      )
      const onboarded = yield* Onboarding.registerAndVerify(
        { name: o.name, email: o.email, username, password: pass },
        { codeTimeout: Duration.minutes(30) }
      ).pipe(Effect.provideService(CodeSource.CodeSource, source))
      const userId = Option.getOrUndefined(onboarded.userId)
      return yield* emit(
        o.json,
        { registered: true, verified: true, username: onboarded.username, ...(userId === undefined ? {} : { userId }) },
        [
          `${onboarded.outcome === "verified" ? "registered and verified" : "already verified"} ${onboarded.username}` +
          `${userId === undefined ? "" : ` (user ${userId})`}: status active`
        ]
      )
    }).pipe(Config.withClient(o, registerPath))
).pipe(Command.withDescription("Register a user (POST /register); the password comes from GLOWMARKT_PASSWORD or a prompt."))

const verifyPath = ["users", "verify"]

const verify = Command.make(
  "verify",
  {
    ...Config.common,
    username: usernameOption,
    code: codeOption,
    resend: Options.boolean("resend").pipe(
      Options.withDescription("Instead of verifying, ask Glowmarkt to email a new code.")
    )
  },
  (o) =>
    Effect.gen(function*() {
      if (o.resend && Option.isSome(o.code)) {
        return yield* new UsageError({ message: "--resend and --code cannot be used together", command: verifyPath })
      }
      const code = o.resend ? "" : yield* Secrets.code({ given: o.code, what: "the verification code", flag: "--code", command: verifyPath })
      const pass = yield* password(verifyPath)
      const users = yield* Users
      if (o.resend) {
        yield* users.requestVerificationCode({ username: o.username, password: pass })
        return yield* emit(o.json, { username: o.username, codeSent: true }, [
          `a new verification code was emailed for ${o.username}`
        ])
      }
      const res = yield* users.verify({ username: o.username, password: pass, code })
      return yield* emit(o.json, { username: o.username, verified: res.valid }, [`verified ${o.username}: the user is active`])
    }).pipe(Config.withClient(o, verifyPath))
).pipe(
  Command.withDescription(
    "Verify a user with the emailed code (PUT /user/verify), or --resend one; the password comes from GLOWMARKT_PASSWORD or a prompt."
  )
)

const requestResetPath = ["users", "request-reset"]

const requestReset = Command.make(
  "request-reset",
  { ...Config.common, username: usernameOption },
  (o) =>
    Effect.gen(function*() {
      const users = yield* Users
      yield* users.requestPasswordReset({ username: o.username })
      return yield* emit(o.json, { username: o.username, codeSent: true }, [
        `a password-reset code was emailed for ${o.username}; then: glowmarkt users reset --username ${o.username} --code NNNN`
      ])
    }).pipe(Config.withClient(o, requestResetPath))
).pipe(Command.withDescription("Ask Glowmarkt to email a password-reset code (POST /user/resetpassword)."))

const resetPath = ["users", "reset"]

const reset = Command.make(
  "reset",
  { ...Config.common, username: usernameOption, code: codeOption },
  (o) =>
    Effect.gen(function*() {
      const code = yield* Secrets.code({ given: o.code, what: "the password-reset code", flag: "--code", command: resetPath })
      const newPassword = yield* Secrets.secret({ env: "GLOWMARKT_NEW_PASSWORD", what: "the new password", command: resetPath })
      const users = yield* Users
      yield* users.resetPassword({ username: o.username, code, newPassword })
      return yield* emit(o.json, { username: o.username, passwordReset: true }, [`the password of ${o.username} was reset`])
    }).pipe(Config.withClient(o, resetPath))
).pipe(
  Command.withDescription(
    "Set a new password with the emailed code (PUT /user/resetpassword); it comes from GLOWMARKT_NEW_PASSWORD or a prompt."
  )
)

const getPath = ["users", "get"]

const get = Command.make(
  "get",
  { ...Config.common, who: whoOption },
  (o) =>
    Effect.gen(function*() {
      const admin = yield* Config.adminCredential(getPath)
      const users = yield* Users
      const user = yield* Either.match(o.who, {
        onLeft: (id) => users.getById(id),
        onRight: (username) => users.getByUsername(username)
      }).pipe(Credentials.withAdmin(admin))
      return yield* emit(o.json, userObject(user), userLines(user))
    }).pipe(Config.withClient(o, getPath))
).pipe(Command.withDescription("Look a user up by --id or --username (admin; credentials from GLOWMARKT_* variables)."))

const deletePath = ["users", "delete"]

const del = Command.make(
  "delete",
  {
    ...Config.common,
    who: whoOption,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription("Do not ask for confirmation (required when stdin is not a terminal).")
    )
  },
  (o) =>
    Effect.gen(function*() {
      const admin = yield* Config.adminCredential(deletePath)
      const users = yield* Users
      const userId = yield* userIdOf(o.who).pipe(Credentials.withAdmin(admin))
      if (!o.yes) {
        if (!(yield* Secrets.canPrompt)) {
          return yield* new UsageError({
            message: "deleting a user cannot be undone: pass --yes to confirm (stdin is not a terminal, so it cannot ask)",
            command: deletePath
          })
        }
        const confirmed = yield* Secrets.confirm(`Delete user ${userId} and all their accounts?`)
        if (!confirmed) return yield* new UsageError({ message: "cancelled: nothing was deleted" })
      }
      yield* users.delete(userId).pipe(Credentials.withAdmin(admin))
      return yield* emit(o.json, { userId, deleted: true }, [`deleted user ${userId}`])
    }).pipe(Config.withClient(o, deletePath))
).pipe(
  Command.withDescription("Delete a user and all their accounts, by --id or --username (admin; asks first unless --yes).")
)

const renamePath = ["users", "rename"]

const rename = Command.make(
  "rename",
  {
    ...Config.common,
    username: usernameOption.pipe(Options.withDescription("The current username (to log in with).")),
    newUsername: Options.text("new-username").pipe(Options.withDescription("The new username.")),
    userId: Options.text("user-id").pipe(
      Options.withDescription("The user's id (looked up with the admin credential when omitted)."),
      Options.optional
    )
  },
  (o) =>
    Effect.gen(function*() {
      const users = yield* Users
      const userId = Option.isSome(o.userId)
        ? o.userId.value
        : yield* Effect.flatMap(Config.adminCredential(renamePath), (admin) =>
          userIdOf(Either.right(o.username)).pipe(Credentials.withAdmin(admin)))
      const pass = yield* password(renamePath)
      yield* users.changeUsername({ userId, username: o.newUsername }).pipe(
        Session.withSession({ username: o.username, password: pass })
      )
      return yield* emit(o.json, { userId, username: o.newUsername.trim().toLowerCase(), renamed: true }, [
        `renamed ${o.username} to ${o.newUsername.trim().toLowerCase()} (user ${userId})`
      ])
    }).pipe(Config.withClient(o, renamePath))
).pipe(
  Command.withDescription(
    "Change a user's username, as that user (PUT /user/{id}/username); the password comes from GLOWMARKT_PASSWORD or a prompt."
  )
)

/**
 * The `users` subcommands by name.
 *
 * @since 0.1.0
 */
export const subcommands = [
  ["register", register],
  ["verify", verify],
  ["request-reset", requestReset],
  ["reset", reset],
  ["get", get],
  ["delete", del],
  ["rename", rename],
  ["import", ImportCommand.command]
] as const

/**
 * The `users` command.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "users",
  {},
  () =>
    new UsageError({
      message: "a users command is required: register, verify, request-reset, reset, get, delete, rename or import",
      command: ["users"]
    })
).pipe(
  Command.withDescription("Act on users of the Glowmarkt User System."),
  Command.withSubcommands([register, verify, requestReset, reset, get, del, rename, ImportCommand.command])
)
