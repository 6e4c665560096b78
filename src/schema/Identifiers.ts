/**
 * Identifiers and constrained strings of the Glowmarkt User System.
 *
 * Every value that a caller hands to the library passes through one of these schemas before
 * anything is sent, so a bad value becomes an `InvalidInputError` naming the field instead of
 * a confusing answer from the server.
 *
 * @since 0.1.0
 */
import * as Equivalence from "effect/Equivalence"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { heldValue } from "./internal/redacted.js"

// Control characters (C0, DEL, C1) never belong in an identifier, a header or a path.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

/**
 * Whether a string is well-formed UTF-16 (no lone surrogate). A lone surrogate cannot be
 * percent-encoded (`encodeURIComponent` throws) and becomes U+FFFD in UTF-8: the server would
 * see another value than the one given.
 */
const isWellFormed = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) return false
  }
  return true
}

const wellFormedMessage = "must not contain a lone surrogate (malformed UTF-16)"

/**
 * A string that is well-formed UTF-16 (no lone surrogate): the base of every string the
 * library sends, so nothing is altered on its way to the wire.
 *
 * @category schemas
 * @since 0.1.0
 */
export const WellFormedString = Schema.String.pipe(
  Schema.filter((s) => isWellFormed(s) || wellFormedMessage),
  Schema.annotations({ identifier: "WellFormedString" })
)

// What a header value may hold, decided once: visible Latin-1 (0x21-0x7E, 0xA0-0xFF) and inner
// spaces. A header is a byte string: a character above 0xFF has no byte, and the transport
// would refuse it after the request was counted as sent.
const headerCharacters = /^[\u0020-\u007e\u00a0-\u00ff]*$/

/**
 * Why `s` cannot be a header value, or `undefined` when it can: non-empty, no leading or
 * trailing whitespace, no control characters, only Latin-1 characters.
 *
 * @category predicates
 * @since 0.1.0
 */
export const headerValueProblem = (s: string): string | undefined =>
  s.length === 0
    ? "must not be empty"
    : s.length > 8192
    ? "must be at most 8192 characters"
    : s.trim() !== s
    ? "must not start or end with whitespace"
    : controlCharacters.test(s)
    ? "must not contain control characters"
    : !headerCharacters.test(s)
    ? "must contain only visible Latin-1 characters (it is sent in a header)"
    : undefined

/**
 * A string that can travel as an HTTP header value unchanged (see {@link headerValueProblem}):
 * every value the library puts in a header (`applicationId`, tokens, the key id and secret of
 * HTTP basic keys) satisfies it.
 *
 * @category schemas
 * @since 0.1.0
 */
export const HeaderValue = Schema.String.pipe(
  Schema.filter((s) => headerValueProblem(s) ?? true),
  Schema.annotations({ identifier: "HeaderValue" })
)

/**
 * Why `s` cannot be an identifier, or `undefined`: the rules in the order they are checked.
 * One filter, not one per rule: each filter is a step of its own in the schema's parser, and
 * every identifier of every answer and every call's input is checked through it (BENCHMARKS.md,
 * "The answer's decode"). The other checks of this module follow the same pattern.
 */
const identifierProblem = (s: string): string | undefined =>
  s.length === 0
    ? "must not be empty"
    : trimmedTextProblem(s) ??
      // "." and ".." are path segments that URL parsers collapse, however they are encoded.
      (s === "." || s === ".." ? "must not be \".\" or \"..\"" : undefined)

/** The rules an identifier and a name share, in the order they are checked. */
function trimmedTextProblem(s: string): string | undefined {
  return s.trim() !== s
    ? "must not start or end with whitespace"
    : controlCharacters.test(s)
    ? "must not contain control characters"
    : s.length > 256
    ? "must be at most 256 characters"
    : undefined
}

/** A trimmed, non-empty string without control characters: the base of every identifier. */
const Identifier = WellFormedString.pipe(Schema.filter((s) => identifierProblem(s) ?? true))

/**
 * The id of a user (a UUID upstream; any identifier is accepted, since the id is the server's
 * to choose).
 *
 * @category models
 * @since 0.1.0
 */
export const UserId = Identifier.pipe(Schema.brand("UserId"), Schema.annotations({ identifier: "UserId" }))
/** @category models @since 0.1.0 */
export type UserId = typeof UserId.Type

/**
 * The id of an application: sent as the `applicationId` header and in request bodies, so it
 * also satisfies the header rule ({@link HeaderValue}: Latin-1 only).
 *
 * @category models
 * @since 0.1.0
 */
export const ApplicationId = Identifier.pipe(
  Schema.filter((s) => headerValueProblem(s) ?? true),
  Schema.brand("ApplicationId"),
  Schema.annotations({ identifier: "ApplicationId" })
)
/** @category models @since 0.1.0 */
export type ApplicationId = typeof ApplicationId.Type

/**
 * The id of a user directory, where usernames are unique.
 *
 * @category models
 * @since 0.1.0
 */
export const DirectoryId = Identifier.pipe(
  Schema.brand("DirectoryId"),
  Schema.annotations({ identifier: "DirectoryId" })
)
/** @category models @since 0.1.0 */
export type DirectoryId = typeof DirectoryId.Type

/**
 * The id of an account: the link between a user and one application.
 *
 * @category models
 * @since 0.1.0
 */
export const AccountId = Identifier.pipe(Schema.brand("AccountId"), Schema.annotations({ identifier: "AccountId" }))
/** @category models @since 0.1.0 */
export type AccountId = typeof AccountId.Type

/** Trims and lowercases on decode; encodes what it holds. */
const Normalised = Schema.transform(WellFormedString, Schema.String, {
  strict: true,
  decode: (s) => s.trim().toLowerCase(),
  encode: (s) => s
})

/**
 * A username as the API wants it: trimmed and lowercase. Decoding normalises, so
 * `"  Scotty@Enterprise.ST "` becomes `"scotty@enterprise.st"`.
 *
 * @category models
 * @since 0.1.0
 */
export const Username = Normalised.pipe(
  Schema.compose(Identifier),
  Schema.brand("Username"),
  Schema.annotations({ identifier: "Username", description: "a trimmed, lowercase username" })
)
/** @category models @since 0.1.0 */
export type Username = typeof Username.Type

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/** Why a normalised `s` cannot be an email address, or `undefined` (one filter: see {@link identifierProblem}). */
const emailProblem = (s: string): string | undefined =>
  controlCharacters.test(s)
    ? "must not contain control characters"
    : !emailPattern.test(s)
    ? "must be an email address such as name@example.com"
    : s.length > 254
    ? "must be at most 254 characters"
    : undefined

/**
 * An email address (trimmed and lowercased): where the 4-digit codes are sent.
 *
 * @category models
 * @since 0.1.0
 */
export const Email = Normalised.pipe(
  Schema.compose(
    Schema.String.pipe(Schema.filter((s) => emailProblem(s) ?? true))
  ),
  Schema.brand("Email"),
  Schema.annotations({ identifier: "Email" })
)
/** @category models @since 0.1.0 */
export type Email = typeof Email.Type

/**
 * A username that must also be an email address: the registration flows use the email as the
 * username, as Glowmarkt's own apps do.
 *
 * @category models
 * @since 0.1.0
 */
export const EmailUsername = Email.pipe(
  Schema.compose(Username, { strict: false }),
  Schema.annotations({ identifier: "EmailUsername" })
)

/**
 * The 4-digit code that Glowmarkt emails for verification and password reset.
 *
 * @category schemas
 * @since 0.1.0
 */
export const VerificationCode = Schema.Trim.pipe(
  Schema.compose(Schema.String.pipe(Schema.filter((s) => /^[0-9]{4}$/.test(s) || "must be exactly 4 digits"))),
  Schema.brand("VerificationCode"),
  Schema.annotations({ identifier: "VerificationCode" })
)
/** @category models @since 0.1.0 */
export type VerificationCode = typeof VerificationCode.Type

/**
 * A secret string as a caller holds it, `Redacted`: checked, and passed on as it is.
 *
 * `Schema.RedactedFromSelf(Schema.String)` makes a new `Redacted` each time it decodes or
 * encodes one, and each is an entry in Effect's registry of redacted values (a `WeakMap`,
 * traced by the collector as an ephemeron): two per `register` (its input checked, its body
 * encoded), 4 % of its CPU back to back (BENCHMARKS.md, "The input check and the secrets'
 * schemas"). This one decodes and encodes to the value it was given. Its description, arbitrary,
 * pretty printer and equivalence are those of `RedactedFromSelf(String)`.
 *
 * @category schemas
 * @since 0.1.0
 */
export const RedactedStringFromSelf = Schema.declare(
  (u: unknown): u is Redacted.Redacted<string> => Redacted.isRedacted(u) && typeof heldValue(u) === "string",
  {
    description: "Redacted(<redacted>)",
    pretty: () => () => "Redacted(<redacted>)",
    arbitrary: () => (fc) => fc.string().map((s) => Redacted.make(s)),
    equivalence: () => Redacted.getEquivalence(Equivalence.string)
  }
)

/**
 * A secret string on the wire, `Redacted` once decoded: `Schema.Redacted(Schema.String)` over
 * {@link RedactedStringFromSelf}, so that encoding one does not make another.
 *
 * @category schemas
 * @since 0.1.0
 */
export const RedactedString = Schema.transform(
  Schema.String,
  RedactedStringFromSelf,
  { strict: true, decode: (s) => Redacted.make(s), encode: (r) => Redacted.value(r) }
)

/** Why `s` cannot be a password, or `undefined` (one filter: see {@link identifierProblem}). */
const passwordProblem = (s: string): string | undefined =>
  s.trim().length === 0
    ? "must not be empty or whitespace"
    : s.length > 1024
    ? "must be at most 1024 characters"
    : !isWellFormed(s)
    ? wellFormedMessage
    : undefined

const passwordChecks = <S extends Schema.Schema<Redacted.Redacted<string>, any>>(self: S) =>
  self.pipe(Schema.filter((r) => passwordProblem(Redacted.value(r)) ?? true))

/**
 * A password, held as `Redacted` so that it never shows in a log, an error or a span.
 * It must contain something other than whitespace, and be well-formed UTF-16 (it travels in a
 * JSON body, where any other character arrives as it was given).
 *
 * @category models
 * @since 0.1.0
 */
export const Password = passwordChecks(RedactedString).pipe(
  Schema.annotations({ identifier: "Password" })
)
/** @category models @since 0.1.0 */
export type Password = typeof Password.Type

/**
 * A password as a caller holds it: already `Redacted` (a plain string is refused, so that a
 * secret is never handled bare by mistake).
 *
 * @category models
 * @since 0.1.0
 */
export const PasswordFromSelf = passwordChecks(RedactedStringFromSelf).pipe(
  Schema.annotations({ identifier: "Password" })
)

const tokenChecks = <S extends Schema.Schema<Redacted.Redacted<string>, any>>(self: S) =>
  self.pipe(Schema.filter((r) => headerValueProblem(Redacted.value(r)) ?? true))

/**
 * A user token (a JWT), sent in the `token` header. Held as `Redacted`. It satisfies the header
 * rule ({@link HeaderValue}): non-empty, not padded, visible Latin-1 only.
 *
 * @category models
 * @since 0.1.0
 */
export const AuthToken = tokenChecks(RedactedString).pipe(
  Schema.annotations({ identifier: "AuthToken" })
)
/** @category models @since 0.1.0 */
export type AuthToken = typeof AuthToken.Type

/**
 * A token as a caller holds it: `Redacted`, and a valid header value ({@link HeaderValue}), so a
 * blank, padded or non-Latin-1 token is refused before sending.
 *
 * @category models
 * @since 0.1.0
 */
export const AuthTokenFromSelf = tokenChecks(RedactedStringFromSelf).pipe(
  Schema.annotations({ identifier: "AuthToken" })
)

/** Why `s` cannot be a name, or `undefined` (one filter: see {@link identifierProblem}). */
const nameProblem = (s: string): string | undefined =>
  s.trim().length === 0 ? "must be a non-empty name" : trimmedTextProblem(s)

/**
 * A person's name, as registration sends it: non-empty, trimmed, without control characters,
 * well-formed UTF-16, at most 256 characters.
 *
 * @category models
 * @since 0.1.0
 */
export const Name = WellFormedString.pipe(
  Schema.filter((s) => nameProblem(s) ?? true),
  Schema.annotations({ identifier: "Name" })
)

/**
 * A free-form field sent in a body (the `status` of a username change): well-formed UTF-16,
 * without control characters, at most 256 characters.
 *
 * @category models
 * @since 0.1.0
 */
export const Text = WellFormedString.pipe(
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  Schema.annotations({ identifier: "Text" })
)

/**
 * A path segment: the encoded side is percent-encoded, so `../x`, `a/b`, `x?y=1`, `%2F` and
 * `50%` all travel as one segment. The router on the server side has already decoded the
 * segment, so decoding is the identity.
 *
 * @category schemas
 * @since 0.1.0
 */
export const PathSegment = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (s) => s,
  encode: (s) => encodeURIComponent(s)
})

/**
 * A user id as a path parameter: percent-encoded on the way out.
 *
 * @category schemas
 * @since 0.1.0
 */
export const UserIdPathParam = Schema.compose(PathSegment, UserId)
