/**
 * Meter points and the bodies of the Meter Point Consent & Verification operations.
 *
 * A meter point number (MPxN) is checked before anything is sent:
 *
 * - an **MPAN** (electricity): the 13-digit MPAN core, or the full 21-digit MPAN (profile class,
 *   meter time-switch code and line loss factor, then the core);
 * - an **MPRN** (gas): 6 to 10 digits.
 *
 * Spaces are not part of the number (`"12 3456 7890 123"` is refused: send the digits). Anything
 * else is an `InvalidInputError` naming the field. The spec's own example, `123456789012`, has 12
 * digits and is neither.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"
import { ApplicationId, PathSegment } from "./Identifiers.js"

/**
 * Which kind of meter point a number is, by its length.
 *
 * @since 0.1.0
 */
export const MpxnKey = Schema.Literal("mpan", "mprn").annotations({ identifier: "MpxnKey" })
/** @since 0.1.0 */
export type MpxnKey = typeof MpxnKey.Type

const mpxnPattern = /^(?:[0-9]{6,10}|[0-9]{13}|[0-9]{21})$/

/**
 * A meter point number: an MPRN (gas, 6 to 10 digits), an MPAN core (electricity, 13 digits)
 * or a full MPAN (21 digits). Surrounding whitespace is trimmed on decode.
 *
 * @since 0.1.0
 */
export const Mpxn = Schema.Trim.pipe(
  Schema.compose(
    Schema.String.pipe(
      Schema.filter((s) =>
        mpxnPattern.test(s) ||
        "must be a meter point number: an MPRN (gas, 6 to 10 digits), an MPAN core (electricity, 13 digits) or a full MPAN (21 digits)"
      )
    )
  ),
  Schema.brand("Mpxn"),
  Schema.annotations({ identifier: "Mpxn" })
)
/** @since 0.1.0 */
export type Mpxn = typeof Mpxn.Type

/**
 * The kind of a valid meter point number: 13 or 21 digits is an MPAN, 6 to 10 an MPRN.
 *
 * @since 0.1.0
 */
export const mpxnKeyOf = (mpxn: Mpxn): MpxnKey => (mpxn.length === 13 || mpxn.length === 21 ? "mpan" : "mprn")

/**
 * A meter point number as a path parameter: percent-encoded on the way out (a valid one never
 * needs it; an invalid one never leaves).
 *
 * @since 0.1.0
 */
export const MpxnPathParam = Schema.compose(PathSegment, Mpxn)

/** The wire's meter point number: lenient on decode (the server's to choose). */
const WireMpxn = Schema.String

/**
 * `MeterPointConsentAndVerification`: one meter point of the user, with its consent.
 *
 * @since 0.1.0
 */
export class MeterPointConsent extends Schema.Class<MeterPointConsent>("MeterPointConsentAndVerification")({
  mpxn: WireMpxn,
  mpxnKey: Schema.optionalWith(Schema.String, { exact: true }),
  isVerified: Schema.optionalWith(Schema.Boolean, { exact: true }),
  isValidUntil: Schema.optionalWith(Schema.Date, { exact: true })
}) {}

/**
 * `UserMeterPointConsentAndVerification`: the answer of `GET /user/verification/status`.
 *
 * @since 0.1.0
 */
export class UserMeterPointConsentRes extends Schema.Class<UserMeterPointConsentRes>("UserMeterPointConsentAndVerification")({
  meterPointVerification: Schema.optionalWith(Schema.Array(MeterPointConsent), { default: () => [] })
}) {}

/** Who acted: `{ key: "userId", value }`. */
const ActedBy = Schema.Struct({ key: Schema.optionalWith(Schema.String, { exact: true }), value: Schema.optionalWith(Schema.String, { exact: true }) })

/**
 * `MeterPointConsentAndVerificationRenewal`: one renewal in a meter point's history.
 *
 * @since 0.1.0
 */
export class ConsentRenewal extends Schema.Class<ConsentRenewal>("MeterPointConsentAndVerificationRenewal")({
  meterPointVerificationRenewalId: Schema.String,
  mpxn: WireMpxn,
  mpxnKey: Schema.optionalWith(Schema.String, { exact: true }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  isValidUntil: Schema.optionalWith(Schema.Date, { exact: true }),
  auditReference: Schema.optionalWith(Schema.Struct({ applicationId: Schema.optional(ApplicationId) }), { exact: true }),
  renewedBy: Schema.optionalWith(ActedBy, { exact: true })
}) {}

/**
 * `MeterPointConsentAndVerificationRevocation`: one revocation in a meter point's history.
 *
 * @since 0.1.0
 */
export class ConsentRevocation extends Schema.Class<ConsentRevocation>("MeterPointConsentAndVerificationRevocation")({
  meterPointVerificationRevocationId: Schema.String,
  mpxn: WireMpxn,
  mpxnKey: Schema.optionalWith(Schema.String, { exact: true }),
  createdAt: Schema.optionalWith(Schema.Date, { exact: true }),
  auditReference: Schema.optionalWith(Schema.Struct({ applicationId: Schema.optional(ApplicationId) }), { exact: true }),
  revokedBy: Schema.optionalWith(ActedBy, { exact: true })
}) {}

/**
 * The answer of `GET .../mpxn/{mpxn}/renewal`: the renewal history of a meter point.
 *
 * @since 0.1.0
 */
export class ConsentRenewalsRes extends Schema.Class<ConsentRenewalsRes>("MeterPointConsentAndVerificationRenewalRes")({
  meterPointRenewals: Schema.optionalWith(Schema.Array(ConsentRenewal), { default: () => [] }),
  valid: Schema.Boolean
}) {}

/**
 * The answer of `GET .../mpxn/{mpxn}/revocation`. The spec names the list `meterPointRenewals`
 * here too; both that and `meterPointRevocations` are read.
 *
 * @since 0.1.0
 */
export class ConsentRevocationsRes extends Schema.Class<ConsentRevocationsRes>("MeterPointConsentAndVerificationRevocationRes")({
  meterPointRenewals: Schema.optionalWith(Schema.Array(ConsentRevocation), { default: () => [] }),
  valid: Schema.Boolean
}) {}

/**
 * `RenewMeterPointConsentReq` / `RevokeMeterPointConsentReq`: until when (renewal; at most 18
 * months ahead, the server's default when left out), or from when (revocation; now when left out).
 *
 * @since 0.1.0
 */
export class ConsentChangeReq extends Schema.Class<ConsentChangeReq>("RenewMeterPointConsentReq")({
  isValidUntil: Schema.optional(Schema.Date)
}) {}

/**
 * The answer of renewing or revoking one meter point's consent (the spec says `AddUserRes`;
 * what is read is whether it was accepted, and the meter point as it now stands).
 *
 * @since 0.1.0
 */
export class ConsentChangeRes extends Schema.Class<ConsentChangeRes>("ConsentChangeRes")({
  valid: Schema.optionalWith(Schema.Boolean, { exact: true }),
  mpxn: Schema.optionalWith(WireMpxn, { exact: true }),
  isVerified: Schema.optionalWith(Schema.Boolean, { exact: true }),
  isValidUntil: Schema.optionalWith(Schema.Date, { exact: true })
}) {}

/**
 * `MpxnElem`: one meter point of a bulk request.
 *
 * @since 0.1.0
 */
export class MpxnElem extends Schema.Class<MpxnElem>("MpxnElem")({ mpxn: Mpxn }) {}

/**
 * `MeterPointConsentManagementBulkReq`: the meter points of a bulk renewal or revocation.
 *
 * @since 0.1.0
 */
export class ConsentBulkReq extends Schema.Class<ConsentBulkReq>("MeterPointConsentManagementBulkReq")({
  meterPoints: Schema.Array(MpxnElem).pipe(Schema.maxItems(100))
}) {}

/**
 * `MeterPointVerificationRenewalElem`: one meter point's outcome in a bulk renewal.
 *
 * @since 0.1.0
 */
export class BulkRenewalElem extends Schema.Class<BulkRenewalElem>("MeterPointVerificationRenewalElem")({
  mpxn: WireMpxn,
  valid: Schema.Boolean,
  isValidUntil: Schema.optionalWith(Schema.String, { exact: true }),
  meterPointVerificationRenewalId: Schema.optionalWith(Schema.String, { exact: true })
}) {}

/**
 * The answer of a bulk renewal.
 *
 * @since 0.1.0
 */
export class ConsentBulkRenewalRes extends Schema.Class<ConsentBulkRenewalRes>("MeterPointConsentManagementBulkRenewalRes")({
  meterPointVerificationRenewals: Schema.optionalWith(Schema.Array(BulkRenewalElem), { default: () => [] }),
  valid: Schema.Boolean
}) {}

/**
 * The answer of a bulk revocation: the meter points revoked.
 *
 * @since 0.1.0
 */
export class ConsentBulkRevocationRes extends Schema.Class<ConsentBulkRevocationRes>("MeterPointConsentManagementBulkRevocationRes")({
  meterPointRevocations: Schema.optionalWith(Schema.Array(Schema.Struct({ mpxn: WireMpxn })), { default: () => [] }),
  valid: Schema.Boolean
}) {}
