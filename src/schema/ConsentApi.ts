/**
 * The Meter Point Consent & Verification endpoints.
 *
 * The spec lists four alternatives for each: app keys + `userId` header; `applicationId` +
 * organisation keys + `userId`; `applicationId` + developer token + `userId`; `applicationId` +
 * the user's `token`. The operations are declared once, in one group; the client derives two
 * clients from it, one that adds an admin credential and the `userId` header, one that adds the
 * user's token (see `services/internal/client.ts`), and the `Consent` service lets a caller
 * reach each only with what it needs.
 *
 * @since 0.1.0
 */
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as Schema from "effect/Schema"
import {
  ConsentBulkRenewalRes,
  ConsentBulkReq,
  ConsentBulkRevocationRes,
  ConsentChangeReq,
  ConsentChangeRes,
  ConsentRenewalsRes,
  ConsentRevocationsRes,
  MpxnPathParam,
  UserMeterPointConsentRes
} from "./ConsentModels.js"
import { WireAccessDeniedBody, WireBadRequestBody, WireInternalServerErrorBody } from "./WireErrors.js"

const MpxnPath = Schema.Struct({ mpxn: MpxnPathParam })

/**
 * A user's meter points: consent status, renewal and revocation, one by one and in bulk.
 *
 * @since 0.1.0
 */
export class ConsentGroup extends HttpApiGroup.make("consent")
  .add(
    HttpApiEndpoint.get("getUserMeterPointVerificationConsentStatus", "/user/verification/status")
      .addSuccess(UserMeterPointConsentRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getMeterPointConsentRenewal", "/user/verification/status/mpxn/:mpxn/renewal")
      .setPath(MpxnPath)
      .addSuccess(ConsentRenewalsRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("renewMeterPointConsent", "/user/verification/status/mpxn/:mpxn/renewal")
      .setPath(MpxnPath)
      .setPayload(ConsentChangeReq)
      .addSuccess(ConsentChangeRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getMeterPointConsentRevocation", "/user/verification/status/mpxn/:mpxn/revocation")
      .setPath(MpxnPath)
      .addSuccess(ConsentRevocationsRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("revokeMeterPointConsent", "/user/verification/status/mpxn/:mpxn/revocation")
      .setPath(MpxnPath)
      .setPayload(ConsentChangeReq)
      .addSuccess(ConsentChangeRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("renewMeterPointConsentBulk", "/user/verification/status/mpxns/renewal")
      .setPayload(ConsentBulkReq)
      .addSuccess(ConsentBulkRenewalRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("renewMeterPointConsentRevokeBulk", "/user/verification/status/mpxns/revocation")
      .setPayload(ConsentBulkReq)
      .addSuccess(ConsentBulkRevocationRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}
