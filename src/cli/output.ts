/**
 * How commands print their results: a few readable lines, or (with `--json`) one JSON object.
 * Nothing printed here ever holds a secret: results are built from the library's models, which
 * hold none once a token or password is left out, and {@link mask} stands in for one.
 *
 * @since 0.1.0
 */
import * as Console from "effect/Console"
import type * as Effect from "effect/Effect"
import type { AddUserRes } from "../schema/Models.js"

/**
 * What stands in for a secret in anything printed: the same for every secret, so it reveals
 * neither the value nor its length.
 *
 * @since 0.1.0
 */
export const mask = "********"

/**
 * A user as a plain object, for printing.
 *
 * @since 0.1.0
 */
export const userObject = (user: AddUserRes): Record<string, unknown> => ({
  userId: user.userId,
  status: user.status,
  ...(user.active === undefined ? {} : { active: user.active }),
  applications: user.applications.map((a) => ({
    ...(a.applicationId === undefined ? {} : { applicationId: a.applicationId }),
    ...(a.accountId === undefined ? {} : { accountId: a.accountId }),
    ...(a.active === undefined ? {} : { active: a.active })
  })),
  ...(user.createdAt === undefined ? {} : { createdAt: user.createdAt.toISOString() }),
  ...(user.updatedAt === undefined ? {} : { updatedAt: user.updatedAt.toISOString() })
})

/**
 * A user as readable lines.
 *
 * @since 0.1.0
 */
export const userLines = (user: AddUserRes): ReadonlyArray<string> => [
  `  userId:  ${user.userId}`,
  `  status:  ${user.status}`,
  ...user.applications.map((a) =>
    `  account: ${a.accountId ?? "?"} in application ${a.applicationId ?? "?"}${a.active === false ? " (inactive)" : ""}`
  ),
  ...(user.createdAt === undefined ? [] : [`  created: ${user.createdAt.toISOString()}`])
]

/**
 * Prints a result: `json` as one object when `--json` was given, else the `lines`.
 *
 * @since 0.1.0
 */
export const emit = (
  asJson: boolean,
  json: Record<string, unknown>,
  lines: ReadonlyArray<string>
): Effect.Effect<void> => asJson ? Console.log(JSON.stringify(json)) : Console.log(lines.join("\n"))

/**
 * A line for a person, printed only without `--json` (so stdout stays one JSON object).
 *
 * @since 0.1.0
 */
export const say = (asJson: boolean, line: string): Effect.Effect<void> => asJson ? Console.error(line) : Console.log(line)
