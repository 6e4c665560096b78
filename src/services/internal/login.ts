/**
 * The body of a login (`POST /auth`) and of an OAuth authorization (`POST /auth/oauth`): the
 * same username and password, the directory only when given.
 *
 * @internal
 */
import type * as Redacted from "effect/Redacted"
import type { DirectoryId, Username } from "../../schema/Identifiers.js"
import { UserNameLoginReq } from "../../schema/Models.js"

/** The request body for checked login credentials. */
export const loginPayload = (i: {
  readonly username: Username
  readonly password: Redacted.Redacted<string>
  readonly directoryId?: DirectoryId | undefined
}): UserNameLoginReq =>
  new UserNameLoginReq({
    username: i.username,
    password: i.password,
    ...(i.directoryId === undefined ? {} : { directoryId: i.directoryId })
  }, true)
