/**
 * Identifiers and constrained strings of the Glowmarkt User System.
 *
 * Every value that a caller hands to the library passes through one of these schemas before
 * anything is sent, so a bad value becomes an `InvalidInputError` naming the field instead of
 * a confusing answer from the server.
 *
 * @since 0.1.0
 */
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"

// Control characters (C0, DEL, C1) never belong in an identifier, a header or a path.
// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

/** A trimmed, non-empty string without control characters: the base of every identifier. */
const Identifier = Schema.String.pipe(
  Schema.filter((s) => s.length > 0 || "must not be empty"),
  Schema.filter((s) => s.trim() === s || "must not start or end with whitespace"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  // "." and ".." are path segments that URL parsers collapse, however they are encoded.
  Schema.filter((s) => (s !== "." && s !== "..") || "must not be \".\" or \"..\"")
)

/**
 * The id of a user (a UUID upstream; any identifier is accepted, since the id is the server's
 * to choose).
 *
 * @since 0.1.0
 */
export const UserId = Identifier.pipe(Schema.brand("UserId"), Schema.annotations({ identifier: "UserId" }))
/** @since 0.1.0 */
export type UserId = typeof UserId.Type

/**
 * The id of an application: sent as the `applicationId` header and in request bodies.
 *
 * @since 0.1.0
 */
export const ApplicationId = Identifier.pipe(
  Schema.brand("ApplicationId"),
  Schema.annotations({ identifier: "ApplicationId" })
)
/** @since 0.1.0 */
export type ApplicationId = typeof ApplicationId.Type

/**
 * The id of a user directory, where usernames are unique.
 *
 * @since 0.1.0
 */
export const DirectoryId = Identifier.pipe(
  Schema.brand("DirectoryId"),
  Schema.annotations({ identifier: "DirectoryId" })
)
/** @since 0.1.0 */
export type DirectoryId = typeof DirectoryId.Type

/**
 * The id of an account: the link between a user and one application.
 *
 * @since 0.1.0
 */
export const AccountId = Identifier.pipe(Schema.brand("AccountId"), Schema.annotations({ identifier: "AccountId" }))
/** @since 0.1.0 */
export type AccountId = typeof AccountId.Type

/** Trims and lowercases on decode; encodes what it holds. */
const Normalised = Schema.transform(Schema.String, Schema.String, {
  strict: true,
  decode: (s) => s.trim().toLowerCase(),
  encode: (s) => s
})

/**
 * A username as the API wants it: trimmed and lowercase. Decoding normalises, so
 * `"  Scotty@Enterprise.ST "` becomes `"scotty@enterprise.st"`.
 *
 * @since 0.1.0
 */
export const Username = Normalised.pipe(
  Schema.compose(Identifier),
  Schema.brand("Username"),
  Schema.annotations({ identifier: "Username", description: "a trimmed, lowercase username" })
)
/** @since 0.1.0 */
export type Username = typeof Username.Type

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

/**
 * An email address (trimmed and lowercased): where the 4-digit codes are sent.
 *
 * @since 0.1.0
 */
export const Email = Normalised.pipe(
  Schema.compose(
    Schema.String.pipe(
      Schema.filter((s) => emailPattern.test(s) || "must be an email address such as name@example.com"),
      Schema.filter((s) => s.length <= 254 || "must be at most 254 characters")
    )
  ),
  Schema.brand("Email"),
  Schema.annotations({ identifier: "Email" })
)
/** @since 0.1.0 */
export type Email = typeof Email.Type

/**
 * A username that must also be an email address: the registration flows use the email as the
 * username, as Glowmarkt's own apps do.
 *
 * @since 0.1.0
 */
export const EmailUsername = Email.pipe(
  Schema.compose(Username, { strict: false }),
  Schema.annotations({ identifier: "EmailUsername" })
)

/**
 * The 4-digit code that Glowmarkt emails for verification and password reset.
 *
 * @since 0.1.0
 */
export const VerificationCode = Schema.Trim.pipe(
  Schema.compose(Schema.String.pipe(Schema.filter((s) => /^[0-9]{4}$/.test(s) || "must be exactly 4 digits"))),
  Schema.brand("VerificationCode"),
  Schema.annotations({ identifier: "VerificationCode" })
)
/** @since 0.1.0 */
export type VerificationCode = typeof VerificationCode.Type

/**
 * A password, held as `Redacted` so that it never shows in a log, an error or a span.
 * It must contain something other than whitespace.
 *
 * @since 0.1.0
 */
export const Password = Schema.Redacted(Schema.String).pipe(
  Schema.filter((r) => Redacted.value(r).trim().length > 0 || "must not be empty or whitespace"),
  Schema.filter((r) => Redacted.value(r).length <= 1024 || "must be at most 1024 characters"),
  Schema.annotations({ identifier: "Password" })
)
/** @since 0.1.0 */
export type Password = typeof Password.Type

/**
 * A password as a caller holds it: already `Redacted` (a plain string is refused, so that a
 * secret is never handled bare by mistake).
 *
 * @since 0.1.0
 */
export const PasswordFromSelf = Schema.RedactedFromSelf(Schema.String).pipe(
  Schema.filter((r) => Redacted.value(r).trim().length > 0 || "must not be empty or whitespace"),
  Schema.filter((r) => Redacted.value(r).length <= 1024 || "must be at most 1024 characters"),
  Schema.annotations({ identifier: "Password" })
)

/**
 * A user token (a JWT), sent in the `token` header. Held as `Redacted`.
 *
 * @since 0.1.0
 */
export const AuthToken = Schema.Redacted(Schema.String).pipe(
  Schema.filter((r) => Redacted.value(r).length > 0 || "must not be empty"),
  Schema.filter((r) => !/[\r\n\0]/.test(Redacted.value(r)) || "must not contain CR, LF or NUL"),
  Schema.annotations({ identifier: "AuthToken" })
)
/** @since 0.1.0 */
export type AuthToken = typeof AuthToken.Type

/**
 * A token as a caller holds it: `Redacted`, non-empty, without CR/LF (it becomes a header).
 *
 * @since 0.1.0
 */
export const AuthTokenFromSelf = Schema.RedactedFromSelf(Schema.String).pipe(
  Schema.filter((r) => Redacted.value(r).length > 0 || "must not be empty"),
  Schema.filter((r) => !/[\r\n\0]/.test(Redacted.value(r)) || "must not contain CR, LF or NUL"),
  Schema.annotations({ identifier: "AuthToken" })
)

/**
 * A path segment: the encoded side is percent-encoded, so `../x`, `a/b`, `x?y=1`, `%2F` and
 * `50%` all travel as one segment. The router on the server side has already decoded the
 * segment, so decoding is the identity.
 *
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
 * @since 0.1.0
 */
export const UserIdPathParam = Schema.compose(PathSegment, UserId)
