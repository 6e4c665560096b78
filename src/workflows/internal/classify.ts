/**
 * How the flows read the library's errors: which ones mean "the server may have acted", which
 * ones mean "it surely did not", and the server messages they recognise.
 *
 * @internal
 */
// The flows validate their inputs exactly as the services do.
export { decodeInput, invalidInput } from "../../services/internal/call.js"

/** Any tagged error of the library (structurally, so every union fits). */
export interface Tagged {
  readonly _tag: string
}

/**
 * The request may have reached the server and been acted on, but no clean answer came back: a
 * transport failure after sending, a 5xx, or a 2xx whose body could not be read.
 */
export const mayHaveActed = (error: Tagged): boolean => {
  const e = error as any
  switch (e._tag) {
    case "TransportError":
      return e.mayHaveReachedServer === true
    case "ServerError":
      return true
    case "UnexpectedStatusError":
      return e.status >= 500
    case "UnexpectedResponseError":
      return e.status < 300
    default:
      return false
  }
}

/** The server surely did not act (it refused to start, or the request never left): safe to send again. */
export const notActed = (error: Tagged): boolean => {
  const e = error as any
  switch (e._tag) {
    case "TransportError":
      return e.mayHaveReachedServer === false
    case "UnexpectedStatusError":
      return e.status === 408 || e.status === 429
    default:
      return false
  }
}

/** A transient failure worth another try: either kind above. */
export const isTransient = (error: Tagged): boolean => mayHaveActed(error) || notActed(error)

/** The `Retry-After` the server asked for, in milliseconds. */
export const retryAfterMillis = (error: Tagged): number | undefined => {
  const e = error as any
  return e._tag === "UnexpectedStatusError" && typeof e.retryAfterSeconds === "number"
    ? e.retryAfterSeconds * 1000
    : undefined
}

const badRequestMatching = (pattern: RegExp) => (error: Tagged): boolean =>
  error._tag === "BadRequestError" && pattern.test((error as any).serverMessage ?? "")

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
  error._tag === "InvalidInputError" && ((error as any).field === "code" || (error as any).field === "token")

