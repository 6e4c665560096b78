/**
 * What a 400 means: the one place where the server's words are read. Each recognised message
 * becomes a domain error, but only where the operation can produce it (see `operations.ts`);
 * anything else stays a `BadRequestError` with its (bounded, redacted) message. The table is
 * mirrored in docs/ERRORS.md with where each message was seen.
 *
 * @internal
 */
import {
  AlreadyVerifiedError,
  BadRequestError,
  type CodeRejection,
  CodeRejectedError,
  type Operation,
  TokenRejectedError,
  UnknownUserError,
  UsernameTakenError
} from "../../schema/GlowmarktError.js"
import { type DomainErrors, policies } from "./operations.js"

/** One recognised message. */
export interface Recognised {
  readonly error: keyof DomainErrors
  readonly reason?: CodeRejection
  readonly pattern: RegExp
  /** Where the wording was seen. */
  readonly seen: string
}

/** The recognised messages, first match wins (so "too many attempts, request a new token" is not "no pending code"). */
export const recognised: ReadonlyArray<Recognised> = [
  {
    error: "UsernameTakenError",
    pattern: /already (exists|registered|taken)|username (is )?taken/i,
    seen: "`user already exists`: the simulator, modelled on the upstream answer to registering a taken address"
  },
  {
    error: "AlreadyVerifiedError",
    pattern: /already (verified|active)/i,
    seen: "`user already verified`: the simulator (POST and PUT /user/verify for an active user)"
  },
  {
    error: "UnknownUserError",
    pattern: /user not found|no such user|unknown user/i,
    seen: "`user not found`: the simulator (POST and PUT /user/resetpassword; POST /account for a username not in the directory)"
  },
  {
    error: "CodeRejectedError",
    reason: "tooManyAttempts",
    pattern: /too many attempts/i,
    seen: "`too many attempts, request a new token`: the simulator (the 5th wrong code)"
  },
  {
    error: "CodeRejectedError",
    reason: "expired",
    pattern: /expired/i,
    seen: "`token expired`: the simulator; `authorization code expired, request a new one`: the simulator (POST /auth/oauth/access)"
  },
  {
    error: "CodeRejectedError",
    reason: "noPendingCode",
    pattern: /no valid token|no pending|request a new/i,
    seen: "`no valid token, request a new one`: the simulator; `no valid authorization code, request a new one` and " +
      "`no valid refresh token, request a new authorization code`: the simulator (POST /auth/oauth/access, a used or unknown code or refresh token)"
  },
  {
    error: "CodeRejectedError",
    reason: "wrong",
    pattern: /invalid (token|code)|wrong (token|code)|incorrect (token|code)/i,
    seen: "`invalid token`: the simulator"
  }
]

/**
 * A 400 of `operation` as the library's error. `raw` is the server's message as it came (what
 * is matched: redaction could hide the words, a password "already" in "user already verified"),
 * `fit` makes it fit for an error (bounded, redacted); `raw` is `undefined` when the body was
 * `{"valid": false}`.
 */
export const classifyBadRequest = (
  operation: Operation,
  raw: string | undefined,
  fit: (raw: string) => string,
  username: string | undefined
): BadRequestError | DomainErrors[keyof DomainErrors] => {
  const allowed: ReadonlyArray<keyof DomainErrors> = policies[operation].badRequest
  if (raw === undefined) {
    return allowed.includes("TokenRejectedError")
      ? new TokenRejectedError({ operation, detail: "the server answered valid: false" })
      : new BadRequestError({ operation, serverMessage: "valid: false" })
  }
  const match = recognised.find((r) => allowed.includes(r.error) && r.pattern.test(raw))
  const who = username ?? "(unknown)"
  const message = fit(raw)
  switch (match?.error) {
    case "UsernameTakenError":
      return new UsernameTakenError({ operation, username: who })
    case "AlreadyVerifiedError":
      return new AlreadyVerifiedError({ operation, username: who })
    case "UnknownUserError":
      return new UnknownUserError({ operation, username: who })
    case "CodeRejectedError":
      return new CodeRejectedError({ operation, reason: match.reason!, serverMessage: message })
    default:
      return new BadRequestError({ operation, serverMessage: message })
  }
}
