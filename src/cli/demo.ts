/**
 * `glowmarkt demo` (what `npm start` runs): starts the simulator on a free loopback port and
 * walks through the library against it, a few lines per step. Every step checks its outcome;
 * the first that fails ends the demo with exit code 1. Passwords, tokens, keys and codes are
 * masked in everything printed.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { Auth } from "../services/Auth.js"
import * as Credentials from "../services/Credentials.js"
import * as GlowmarktConfig from "../services/GlowmarktConfig.js"
import * as Session from "../services/Session.js"
import { Users } from "../services/Users.js"
import * as InboxCodeSource from "../testing/InboxCodeSource.js"
import * as Simulator from "../testing/Simulator.js"
import * as CodeSource from "../workflows/CodeSource.js"
import * as Offboarding from "../workflows/Offboarding.js"
import * as Onboarding from "../workflows/Onboarding.js"
import * as Config from "./config.js"
import * as DemoImport from "./demoImport.js"
import { CommandFailed } from "./errors.js"
import { mask } from "./output.js"
import { formatDuration } from "./progress.js"

/**
 * What the demo uses. The passwords are fixed so that a test can prove they are never printed.
 *
 * @since 0.1.0
 */
export const fixtures = {
  name: "Ada Lovelace",
  email: "ada@example.com",
  renamedTo: "ada.lovelace@example.com",
  password: "demo-Password-1843",
  newPassword: "demo-NewPassword-1852",
  seed: "glowmarkt-demo",
  household: { name: "Charles Babbage", email: "charles@example.com", meterPoints: ["1234567", "1300023300001"] }
} as const

const check = (condition: boolean, what: string) =>
  condition ? Effect.void : Effect.fail(new CommandFailed({ message: `demo step failed: ${what}` }))

let stepNumber = 0

/** Prints a step's title, runs it, then its lines with the time it took. */
const step = <E, R>(title: string, body: Effect.Effect<ReadonlyArray<string>, E, R>) =>
  Effect.gen(function*() {
    stepNumber++
    yield* Console.log(`\n${stepNumber}. ${title}`)
    const start = Date.now()
    const lines = yield* body
    for (const line of lines) yield* Console.log(`   ${line}`)
    yield* Console.log(`   ✓ ${formatDuration(Date.now() - start)}`)
  })

/**
 * The simulator's inbox as the code source, saying when it hands a code over (masked).
 */
const narratedInbox = Effect.map(Simulator.Simulator, (sim) => {
  const inner = InboxCodeSource.fromInbox(sim.inbox)
  return CodeSource.fromEffect((request) =>
    inner.await(request).pipe(
      Effect.tap(() =>
        Console.log(
          `   ${request.purpose === "verification" ? "verification" : "reset"} code emailed to ${
            request.email ?? request.username
          } read from the simulator inbox (${mask})`
        )
      )
    )
  )
})

/**
 * The walk through the library, on a running simulator.
 *
 * @since 0.1.0
 */
export const walkThrough = (options: { readonly users: number }) =>
  Effect.gen(function*() {
    stepNumber = 0
    const sim = yield* Simulator.Simulator
    const admin = yield* Simulator.adminCredential("appKeys")
    const source = yield* narratedInbox
    const users = yield* Users
    const auth = yield* Auth
    const password = Redacted.make(fixtures.password)
    const newPassword = Redacted.make(fixtures.newPassword)
    let userId = ""
    let householdId = ""

    yield* Console.log(`glowmarkt demo: the library against the embedded simulator at ${sim.info.baseUrl}`)
    yield* Console.log(`(application ${sim.info.applicationId}; secrets are shown as ${mask})`)

    yield* step(
      "register → verify (Onboarding.registerAndVerify, code from the simulator inbox)",
      Effect.gen(function*() {
        const onboarded = yield* Onboarding.registerAndVerify({
          name: fixtures.name,
          email: fixtures.email,
          username: fixtures.email,
          password
        }, { codeTimeout: Duration.seconds(5) }).pipe(Effect.provideService(CodeSource.CodeSource, source))
        yield* check(onboarded.outcome === "verified" && Option.isSome(onboarded.userId), "the user was not verified")
        userId = Option.getOrElse(onboarded.userId, () => "")
        const snapshot = yield* sim.user(fixtures.email)
        yield* check(Option.exists(snapshot, (u) => u.status === "active"), "the simulator does not hold an active user")
        return [
          `registered ${onboarded.username} with password ${mask}: user ${userId}`,
          `verified after ${onboarded.codesSent} code${onboarded.codesSent === 1 ? "" : "s"}: status active`
        ]
      })
    )

    yield* step(
      "log in (Auth.login)",
      Effect.gen(function*() {
        const issued = yield* auth.login({ username: fixtures.email, password })
        const checked = yield* auth.check(issued.token)
        yield* check(checked.valid, "the new token is not valid")
        return [
          `token ${mask}, expires ${issued.expiresAt.toISOString()} (read from its exp, never assumed)`,
          `GET /auth says the token is valid`
        ]
      })
    )

    yield* step(
      "change username, as the user (Users.changeUsername in a UserSession)",
      Effect.gen(function*() {
        yield* users.changeUsername({ userId, username: fixtures.renamedTo }).pipe(
          Session.withSession({ username: fixtures.email, password })
        )
        const renamed = yield* sim.user(fixtures.renamedTo)
        yield* check(Option.isSome(renamed), "the simulator does not know the new username")
        return [`${fixtures.email} → ${fixtures.renamedTo}`]
      })
    )

    yield* step(
      "request reset → reset → log in with the new password (Onboarding.resetPassword)",
      Effect.gen(function*() {
        const { token } = yield* Onboarding.resetPassword({
          username: fixtures.renamedTo,
          email: fixtures.email,
          newPassword
        }, { codeTimeout: Duration.seconds(5) }).pipe(Effect.provideService(CodeSource.CodeSource, source))
        yield* check(Option.isSome(token), "the new password does not log in")
        const issued = Option.getOrThrow(token)
        const old = yield* Effect.either(auth.login({ username: fixtures.renamedTo, password }))
        yield* check(old._tag === "Left" && old.left._tag === "InvalidCredentialsError", "the old password still works")
        return [
          `new password ${mask} set; logged in with it: token ${mask}, expires ${issued.expiresAt.toISOString()}`,
          `the old password is refused (401)`
        ]
      })
    )

    yield* step(
      "admin look-ups by id and by username (Users.getById / getByUsername, app keys)",
      Effect.gen(function*() {
        const byId = yield* users.getById(userId)
        const byName = yield* users.getByUsername(fixtures.renamedTo)
        yield* check(byId.userId === userId && byName.userId === userId, "the look-ups disagree")
        return [
          `by id:       ${byId.userId} (${byId.status}, ${byId.applications.length} account)`,
          `by username: ${fixtures.renamedTo} → ${byName.userId}`
        ]
      }).pipe(Credentials.withAdmin(admin))
    )

    yield* step(
      "delete (Users.delete)",
      Effect.gen(function*() {
        yield* users.delete(userId)
        const after = yield* Effect.either(users.getById(userId))
        yield* check(after._tag === "Left" && after.left._tag === "NotFoundError", "the user is still there")
        return [`deleted ${userId}; looking it up now answers 404`]
      }).pipe(Credentials.withAdmin(admin))
    )

    yield* step(
      "household onboarding: register → verify → log in → consent for its meter points (Onboarding.household)",
      Effect.gen(function*() {
        const household = yield* Onboarding.household({
          name: fixtures.household.name,
          email: fixtures.household.email,
          username: fixtures.household.email,
          password,
          meterPoints: fixtures.household.meterPoints
        }, { codeTimeout: Duration.seconds(5) }).pipe(Effect.provideService(CodeSource.CodeSource, source))
        householdId = Option.getOrElse(household.onboarded.userId, () => "")
        yield* check(
          household.onboarded.outcome === "verified" && household.meterPoints.every((m) => m.outcome === "renewed"),
          "the household was not onboarded with every meter point renewed"
        )
        const snapshot = yield* sim.user(fixtures.household.email)
        yield* check(
          Option.exists(snapshot, (u) =>
            u.status === "active" &&
            fixtures.household.meterPoints.every((mpxn) => u.meterPoints.some((m) => m.mpxn === mpxn && m.consented && m.renewals === 1))),
          "the simulator does not hold an active household with consent for each meter point"
        )
        // Run again: it finds the user active and the consents holding, and sends no renewal.
        const again = yield* Onboarding.household({
          name: fixtures.household.name,
          email: fixtures.household.email,
          username: fixtures.household.email,
          password,
          meterPoints: fixtures.household.meterPoints
        }).pipe(Effect.provideService(CodeSource.CodeSource, source))
        yield* check(
          again.onboarded.outcome === "alreadyVerified" && again.meterPoints.every((m) => m.outcome === "alreadyConsented"),
          "a rerun did not find the household as the first run left it"
        )
        return [
          `registered and verified ${household.onboarded.username}: user ${householdId}, account ${Option.getOrElse(household.accountId, () => "?")}`,
          ...household.meterPoints.map((m) => `meter point ${m.mpxn}: consent ${m.outcome}`),
          `run again: ${again.onboarded.outcome}, ${again.meterPoints.map((m) => `${m.mpxn} ${m.outcome}`).join(", ")}`
        ]
      })
    )

    yield* step(
      "offboarding for an erasure request: revoke every consent, remove the accounts, delete the user (Offboarding.offboard)",
      Effect.gen(function*() {
        const report = yield* Offboarding.offboard(householdId)
        yield* check(
          report.found && report.userDeleted && report.meterPoints.length === fixtures.household.meterPoints.length &&
            report.meterPoints.every((m) => m.outcome === "revoked"),
          "the report does not say every consent was revoked and the user deleted"
        )
        const gone = (yield* Simulator.users.pipe(Effect.provideService(Simulator.Simulator, sim))).every((u) => u.userId !== householdId)
        yield* check(gone, "the simulator still holds the household")
        const again = yield* Offboarding.offboard(householdId)
        yield* check(!again.found && !again.userDeleted, "a rerun did something")
        return [
          ...report.meterPoints.map((m) => `meter point ${m.mpxn}: consent ${m.outcome}`),
          `accounts removed: ${report.accountsRemoved.join(", ")}; tokens ended with them; user ${householdId} deleted`,
          `run again: user not found, nothing done`
        ]
      }).pipe(Credentials.withAdmin(admin))
    )

    if (options.users > 0) {
      yield* step(
        `bulk import of ${options.users} generated users, with injected faults (BulkImport)`,
        DemoImport.run({ users: options.users, admin })
      )
    }

    yield* Console.log(`\ndemo finished: every step passed`)
  })

/**
 * The `demo` command.
 *
 * @since 0.1.0
 */
export const command = Command.make(
  "demo",
  {
    users: Options.integer("users").pipe(
      Options.withDescription("How many generated users the bulk import step imports (0 skips it)."),
      Options.withDefault(1000)
    ),
    verbose: Config.output.verbose
  },
  ({ users }) =>
    Effect.gen(function*() {
      const sim = yield* Simulator.Simulator
      const settings = yield* GlowmarktConfig.make({
        baseUrl: sim.info.baseUrl,
        applicationId: sim.info.applicationId,
        directoryId: sim.info.directoryId,
        requestTimeout: Duration.seconds(5),
        retry: { times: 4, baseDelay: Duration.millis(10), maxDelay: Duration.millis(200) }
      })
      yield* walkThrough({ users: Math.max(0, users) }).pipe(Effect.provide(Config.clientLayer(settings)))
    }).pipe(
      Effect.provide(Simulator.layerServer({ seed: fixtures.seed })),
      // The library and the simulator log at debug level only; keep the narration clean.
      Logger.withMinimumLogLevel(LogLevel.Warning),
      // Spans are for a backend's tracing; here they would only cost time.
      Effect.withTracerEnabled(false)
    )
).pipe(
  Command.withDescription(
    "Walk through the library against an embedded simulator on a free port: register → verify, login, rename, " +
      "reset, admin look-ups, delete, household onboarding with consent, offboarding, then a bulk import with " +
      "injected faults. Exits 0 when every step passed."
  )
)
