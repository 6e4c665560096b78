/**
 * `glowmarkt accounts ...`, `glowmarkt consent ...` and `glowmarkt offboard`: the administrator's
 * commands of the Account and Consent groups, and offboarding for an erasure request.
 *
 * All of them act as an administrator of the application: the credential comes from the
 * `GLOWMARKT_*` variables `Credentials.adminConfig` reads (a missing secret is asked for at a
 * hidden prompt, on a terminal). Nothing secret is ever a flag.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import type { AccountRes } from "../schema/AccountModels.js"
import { Accounts } from "../services/Accounts.js"
import { Consent } from "../services/Consent.js"
import * as Credentials from "../services/Credentials.js"
import * as Offboarding from "../workflows/Offboarding.js"
import * as Config from "./config.js"
import { UsageError } from "./errors.js"
import { emit } from "./output.js"
import * as Secrets from "./secrets.js"

const accountObject = (a: AccountRes): Record<string, unknown> => ({
  accountId: a.accountId,
  ...(a.userId === undefined ? {} : { userId: a.userId }),
  ...(a.username === undefined ? {} : { username: a.username }),
  ...(a.name === undefined ? {} : { name: a.name }),
  ...(a.applicationId === undefined ? {} : { applicationId: a.applicationId }),
  ...(a.status === undefined ? {} : { status: a.status }),
  ...(a.active === undefined ? {} : { active: a.active }),
  ...(a.createdAt === undefined ? {} : { createdAt: a.createdAt.toISOString() })
})

const accountLine = (a: AccountRes) =>
  `  ${a.accountId}  ${a.username ?? "?"}${a.userId === undefined ? "" : ` (user ${a.userId})`}` +
  `${a.active === false ? " (inactive)" : ""}`

// ---------------------------------------------------------------------------------------------
// accounts

const accountsListPath = ["accounts", "list"]

const accountsList = Command.make("list", { ...Config.common }, (o) =>
  Effect.gen(function*() {
    const admin = yield* Config.adminCredential(accountsListPath)
    const accounts = yield* Effect.flatMap(Accounts, (a) => a.list()).pipe(Credentials.withAdmin(admin))
    return yield* emit(o.json, { accounts: accounts.map(accountObject) }, [
      `${accounts.length} account(s) in the application${accounts.length === 0 ? "" : ":"}`,
      ...accounts.map(accountLine)
    ])
  }).pipe(Config.withClient(o, accountsListPath))).pipe(
    Command.withDescription("List the application's accounts (GET /account; admin, credentials from GLOWMARKT_* variables).")
  )

const accountsGetPath = ["accounts", "get"]

const accountsGet = Command.make(
  "get",
  { ...Config.common, accountId: Options.text("account-id").pipe(Options.withDescription("The account id.")) },
  (o) =>
    Effect.gen(function*() {
      const admin = yield* Config.adminCredential(accountsGetPath)
      const account = yield* Effect.flatMap(Accounts, (a) => a.get(o.accountId)).pipe(Credentials.withAdmin(admin))
      return yield* emit(o.json, accountObject(account), [
        `account ${account.accountId}:`,
        ...Object.entries(accountObject(account)).filter(([k]) => k !== "accountId").map(([k, v]) => `  ${k}: ${String(v)}`)
      ])
    }).pipe(Config.withClient(o, accountsGetPath))
).pipe(Command.withDescription("Look an account up by --account-id (GET /account/{id}; admin)."))

/**
 * The `accounts` subcommands by name.
 *
 * @since 0.1.0
 */
export const accountsSubcommands = [["list", accountsList], ["get", accountsGet]] as const

/**
 * The `accounts` command.
 *
 * @since 0.1.0
 */
export const accounts = Command.make(
  "accounts",
  {},
  () => new UsageError({ message: "an accounts command is required: list or get", command: ["accounts"] })
).pipe(
  Command.withDescription("The application's accounts (admin)."),
  Command.withSubcommands([accountsList, accountsGet])
)

// ---------------------------------------------------------------------------------------------
// consent

const userIdOption = Options.text("user-id").pipe(Options.withDescription("The user's id."))
const mpxnOption = Options.text("mpxn").pipe(
  Options.withDescription("A meter point number (MPRN or MPAN); repeat for several."),
  Options.repeated
)

const mpxnsOf = (mpxns: ReadonlyArray<string>, command: ReadonlyArray<string>) =>
  mpxns.length === 0
    ? Effect.fail(new UsageError({ message: "at least one --mpxn is required", command }))
    : Effect.succeed(mpxns)

const consentStatusPath = ["consent", "status"]

const consentStatus = Command.make("status", { ...Config.common, userId: userIdOption }, (o) =>
  Effect.gen(function*() {
    const admin = yield* Config.adminCredential(consentStatusPath)
    const status = yield* Effect.flatMap(Consent, (c) => c.forUser(o.userId).status()).pipe(Credentials.withAdmin(admin))
    const points = status.meterPointVerification.map((m) => ({
      mpxn: m.mpxn,
      ...(m.mpxnKey === undefined ? {} : { mpxnKey: m.mpxnKey }),
      consented: m.isVerified === true,
      ...(m.isValidUntil === undefined ? {} : { validUntil: m.isValidUntil.toISOString() })
    }))
    return yield* emit(o.json, { userId: o.userId, meterPoints: points }, [
      `${points.length} meter point(s) of user ${o.userId}${points.length === 0 ? "" : ":"}`,
      ...points.map((p) =>
        `  ${p.mpxn}  ${p.consented ? `consented${p.validUntil === undefined ? "" : ` until ${p.validUntil}`}` : "no consent"}`
      )
    ])
  }).pipe(Config.withClient(o, consentStatusPath))).pipe(
    Command.withDescription("A user's meter points and their consent (GET /user/verification/status; admin).")
  )

const consentRenewPath = ["consent", "renew"]

const consentRenew = Command.make("renew", { ...Config.common, userId: userIdOption, mpxn: mpxnOption }, (o) =>
  Effect.gen(function*() {
    const mpxns = yield* mpxnsOf(o.mpxn, consentRenewPath)
    const admin = yield* Config.adminCredential(consentRenewPath)
    const consent = (yield* Consent).forUser(o.userId)
    const renewed = yield* Effect.forEach(mpxns, (mpxn) => consent.renew(mpxn)).pipe(Credentials.withAdmin(admin))
    const points = renewed.map((r, i) => ({
      mpxn: r.mpxn ?? mpxns[i]!,
      ...(r.isValidUntil === undefined ? {} : { validUntil: r.isValidUntil.toISOString() })
    }))
    return yield* emit(o.json, { userId: o.userId, renewed: points }, [
      `renewed consent of user ${o.userId}:`,
      ...points.map((p) => `  ${p.mpxn}${p.validUntil === undefined ? "" : `  until ${p.validUntil}`}`)
    ])
  }).pipe(Config.withClient(o, consentRenewPath))).pipe(
    Command.withDescription("Renew consent for meter points of a user, one --mpxn each (POST .../mpxn/{mpxn}/renewal; admin).")
  )

const consentRevokePath = ["consent", "revoke"]

const consentRevoke = Command.make("revoke", { ...Config.common, userId: userIdOption, mpxn: mpxnOption }, (o) =>
  Effect.gen(function*() {
    const mpxns = yield* mpxnsOf(o.mpxn, consentRevokePath)
    const admin = yield* Config.adminCredential(consentRevokePath)
    const consent = (yield* Consent).forUser(o.userId)
    yield* Effect.forEach(mpxns, (mpxn) => consent.revoke(mpxn), { discard: true }).pipe(Credentials.withAdmin(admin))
    return yield* emit(o.json, { userId: o.userId, revoked: mpxns.map((m) => m.trim()) }, [
      `revoked consent of user ${o.userId}:`,
      ...mpxns.map((m) => `  ${m.trim()}`)
    ])
  }).pipe(Config.withClient(o, consentRevokePath))).pipe(
    Command.withDescription("Revoke consent for meter points of a user, one --mpxn each (POST .../mpxn/{mpxn}/revocation; admin).")
  )

/**
 * The `consent` subcommands by name.
 *
 * @since 0.1.0
 */
export const consentSubcommands = [["status", consentStatus], ["renew", consentRenew], ["revoke", consentRevoke]] as const

/**
 * The `consent` command.
 *
 * @since 0.1.0
 */
export const consent = Command.make(
  "consent",
  {},
  () => new UsageError({ message: "a consent command is required: status, renew or revoke", command: ["consent"] })
).pipe(
  Command.withDescription("Meter point consent of a user (admin)."),
  Command.withSubcommands([consentStatus, consentRenew, consentRevoke])
)

// ---------------------------------------------------------------------------------------------
// offboard

const offboardPath = ["offboard"]

/**
 * The `offboard` command: `Offboarding.offboard` for one user.
 *
 * @since 0.1.0
 */
export const offboard = Command.make(
  "offboard",
  {
    ...Config.common,
    userId: userIdOption,
    yes: Options.boolean("yes").pipe(
      Options.withAlias("y"),
      Options.withDescription("Do not ask for confirmation (required when stdin is not a terminal).")
    )
  },
  (o) =>
    Effect.gen(function*() {
      const admin = yield* Config.adminCredential(offboardPath)
      if (!o.yes) {
        if (!(yield* Secrets.canPrompt)) {
          return yield* new UsageError({
            message: "offboarding cannot be undone: pass --yes to confirm (stdin is not a terminal, so it cannot ask)",
            command: offboardPath
          })
        }
        const confirmed = yield* Secrets.confirm(`Revoke every consent of user ${o.userId}, then remove all their accounts and delete the user?`)
        if (!confirmed) return yield* new UsageError({ message: "cancelled: nothing was done" })
      }
      const report = yield* Offboarding.offboard(o.userId).pipe(Credentials.withAdmin(admin))
      return yield* emit(o.json, { ...report }, report.found
        ? [
          `offboarded user ${o.userId}:`,
          ...report.meterPoints.map((m) => `  ${m.mpxn}  ${m.outcome === "revoked" ? "consent revoked" : "no consent held"}`),
          ...report.accountsRemoved.map((a) => `  account ${a} removed`),
          report.tokens === "revokedById"
            ? `  ${report.tokensRevoked.length} token(s) revoked by id`
            : "  tokens: ended with the accounts and the user (none is accepted any more)",
          `  user ${report.userDeleted ? "deleted" : "already gone"}`
        ]
        : [`user ${o.userId} not found: nothing to do`])
    }).pipe(Config.withClient(o, offboardPath))
).pipe(
  Command.withDescription(
    "Offboard a user for an erasure request: revoke every consent, remove each of their accounts (their tokens end with them), delete the user (admin; asks first unless --yes)."
  )
)
