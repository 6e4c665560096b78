/**
 * The errors of the flows, beyond the library's own: what went wrong in terms of the flow, each
 * with a `message` that tells the caller what to do next. None holds a password, code or token.
 *
 * The flows also fail with the library's errors where those already say it (`InvalidInputError`
 * for bad input, the `CallError`s when the API is down, `AccessDeniedError`, `BadRequestError`),
 * and with `CodeSource.CodeNotReceived` when no code arrived.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { Purpose } from "./CodeSource.js"

export {
  /** @since 0.1.0 */
  CodeNotReceived
} from "./CodeSource.js"

/**
 * The username is registered by someone else (or with another password): the flow cannot go
 * on with it.
 *
 * @since 0.1.0
 */
export class UsernameTaken extends Schema.TaggedError<UsernameTaken>()("UsernameTaken", {
  username: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `The username ${this.username} is already registered with another password: choose another username, ` +
      `or, if it is yours, reset its password`
  }
}

/**
 * Every code entered was wrong or expired, round after round: the flow stopped asking.
 *
 * @since 0.1.0
 */
export class TooManyWrongCodes extends Schema.TaggedError<TooManyWrongCodes>()("TooManyWrongCodes", {
  username: Schema.String,
  purpose: Purpose,
  rounds: Schema.Number
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `${this.rounds} ${this.purpose === "verification" ? "verification" : "password-reset"} codes for ` +
      `${this.username} were wrong or expired; check that the newest email is used, then run the flow again ` +
      `(it sends a new code)`
  }
}

/**
 * Nobody has this username (in this application): there is nothing to reset.
 *
 * @since 0.1.0
 */
export class UnknownUser extends Schema.TaggedError<UnknownUser>()("UnknownUser", {
  username: Schema.String
}) {
  /** @since 0.1.0 */
  override get message(): string {
    return `No user ${this.username} in this application: check the spelling, or register the user first`
  }
}
