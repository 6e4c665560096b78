/**
 * How the flows read the library's errors: which ones mean "the server may have acted", which
 * ones mean "it surely did not", and the server messages they recognise.
 *
 * @internal
 */
import * as GlowmarktError from "../../schema/GlowmarktError.js"

// The flows validate their inputs exactly as the services do.
export { decodeInput, invalidInput } from "../../services/internal/input.js"

/** Any tagged error of the library (structurally, so every union fits). */
export interface Tagged {
  readonly _tag: string
}

/** See `GlowmarktError.mayHaveActed` and `surelyNotActed`: the flows and the client agree. */
export const mayHaveActed: (error: Tagged) => boolean = GlowmarktError.mayHaveActed
export const notActed: (error: Tagged) => boolean = GlowmarktError.surelyNotActed

/** A transient failure worth another try: either kind above. */
export const isTransient = (error: Tagged): boolean => mayHaveActed(error) || notActed(error)

/** The `Retry-After` the server asked for, in milliseconds. */
export const retryAfterMillis = (error: Tagged): number | undefined =>
  error instanceof GlowmarktError.UnexpectedStatusError && error.retryAfterSeconds !== undefined
    ? error.retryAfterSeconds * 1000
    : undefined

const badRequestMatching = (pattern: RegExp) => (error: Tagged): boolean =>
  error instanceof GlowmarktError.BadRequestError && pattern.test(error.serverMessage)

/** `400 {"error":"user already exists"}` (and the upstream variants seen: "exists", "taken"). */
export const isAlreadyExists = badRequestMatching(/already exist|already registered|exists|taken/i)

/** `400 {"error":"user already verified"}`: the user is active. */
export const isAlreadyVerified = badRequestMatching(/already (verified|active)/i)

/** `400 {"error":"user not found"}` or a 404: nobody has this username. */
export const isUnknownUser = (error: Tagged): boolean =>
  error._tag === "NotFoundError" || badRequestMatching(/not found|no such user|unknown user/i)(error)

/** A 400 about the code: wrong, expired, used up, or none pending. */
export const isCodeRefused = (error: Tagged): boolean =>
  error._tag === "BadRequestError" && !isAlreadyVerified(error) && !isUnknownUser(error) && !isAlreadyExists(error)

/** The code itself was malformed: refused before sending. */
export const isMalformedCode = (error: Tagged): boolean =>
  error instanceof GlowmarktError.InvalidInputError && (error.field === "code" || error.field === "token")

