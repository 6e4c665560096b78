/**
 * Meter point consent and verification: a user's meter points with their consent, and the
 * renewal and revocation of consent per meter point (MPxN) and in bulk.
 *
 * Each operation can be called two ways, as the spec allows, and the types say which needs what:
 *
 * - `Consent.forUser(userId)`: as an administrator of the application (`AdminAuth`), for one of
 *   its users (the `userId` header); a refused credential is an `AccessDeniedError`;
 * - `Consent.own`: as the user (`UserSession`); a refused token is a `TokenRejectedError`, after
 *   the session logged in again when it could.
 *
 * | operationId                                  | method         |
 * |----------------------------------------------|----------------|
 * | `getUserMeterPointVerificationConsentStatus` | `status`       |
 * | `getMeterPointConsentRenewal`                | `renewals`     |
 * | `renewMeterPointConsent`                     | `renew`        |
 * | `getMeterPointConsentRevocation`             | `revocations`  |
 * | `revokeMeterPointConsent`                    | `revoke`       |
 * | `renewMeterPointConsentBulk`                 | `renewAll`     |
 * | `renewMeterPointConsentRevokeBulk`           | `revokeAll`    |
 *
 * A meter point number is checked before anything is sent (see `ConsentModels.Mpxn`: an MPRN of
 * 6 to 10 digits, a 13-digit MPAN core or a 21-digit full MPAN). Renewals and revocations are
 * records in the meter point's history, so they are sent once, never replayed.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import {
  type ConsentBulkRenewalRes,
  ConsentBulkReq,
  type ConsentBulkRevocationRes,
  ConsentChangeReq,
  type ConsentChangeRes,
  type ConsentRenewalsRes,
  type ConsentRevocationsRes,
  Mpxn,
  MpxnElem,
  type UserMeterPointConsentRes
} from "../schema/ConsentModels.js"
import {
  AccessDeniedError,
  type InvalidInputError,
  type TokenRejectedError,
  UnexpectedResponseError
} from "../schema/GlowmarktError.js"
import type { OperationId } from "../schema/GlowmarktApi.js"
import { UserId } from "../schema/Identifiers.js"
import type { AdminAuth } from "./Credentials.js"
import { call } from "./internal/call.js"
import { type Clients, ConsentUser, ClientsService, clientsLayer, makeClients, type SessionToken } from "./internal/client.js"
import type { OperationError, RawError } from "./internal/edge.js"
import { decodeInput } from "./internal/input.js"
import { sessionCall } from "./internal/session.js"
import type { SessionError, UserSession } from "./Session.js"
import type * as Scope from "effect/Scope"

/** The consent operations. @since 0.1.0 */
export type ConsentOperation =
  | "getUserMeterPointVerificationConsentStatus"
  | "getMeterPointConsentRenewal"
  | "renewMeterPointConsent"
  | "getMeterPointConsentRevocation"
  | "revokeMeterPointConsent"
  | "renewMeterPointConsentBulk"
  | "renewMeterPointConsentRevokeBulk"

/**
 * The two ways of making a consent call: as an administrator for one of the application's users
 * (`"admin"`), or as the user (`"own"`).
 *
 * @since 0.1.0
 */
export type Way = "admin" | "own"

/** What a call made with an admin credential fails with instead of a refused token. */
type AsAdmin<E> = Exclude<E, TokenRejectedError> | (TokenRejectedError extends E ? AccessDeniedError : never)

/**
 * What consent operation `Op` can fail with when made `W`'s way: the operation's own errors (its
 * declared statuses and its row in the operations table), where a refused token is, made as an
 * administrator, a refused credential (`AccessDeniedError`), and, made as the user, also what
 * getting the session's token can fail with.
 *
 * @category errors
 * @since 0.1.0
 */
export type ErrorOf<Op extends ConsentOperation, W extends Way> = W extends "admin" ? AsAdmin<OperationError<Op>>
  : OperationError<Op> | SessionError

/** What a consent call made `W`'s way needs. @since 0.1.0 */
export type NeedsOf<W extends Way> = W extends "admin" ? AdminAuth : UserSession

/**
 * What any consent call can fail with when `Refused` stands for a refused token: a refused value
 * (400: an unknown meter point, a renewal beyond 18 months), `Refused`, a bad input, a call error.
 *
 * @category errors
 * @since 0.1.0
 */
export type ConsentError<Refused> = Exclude<OperationError<ConsentOperation>, TokenRejectedError> | Refused

/**
 * What a consent call made as an administrator can fail with (any of them).
 *
 * @category errors
 * @since 0.1.0
 */
export type AdminConsentError = ErrorOf<ConsentOperation, "admin">

/**
 * What a consent call made as the user can fail with (any of them).
 *
 * @category errors
 * @since 0.1.0
 */
export type OwnConsentError = ErrorOf<ConsentOperation, "own">

/** Options of {@link Operations.renew}. @since 0.1.0 */
export interface RenewOptions {
  /** Until when; at most 18 months ahead (the server's default when left out). */
  readonly until?: Date | undefined
}

/** Options of {@link Operations.revoke}. @since 0.1.0 */
export interface RevokeOptions {
  /** From when; now when left out. */
  readonly from?: Date | undefined
}

/**
 * The consent operations, made one way (`W`): each method's error type is that of its operation.
 *
 * @since 0.1.0
 */
export interface Operations<W extends Way> {
  /** `GET /user/verification/status`: the user's meter points and their consent. */
  readonly status: () => Effect.Effect<UserMeterPointConsentRes, ErrorOf<"getUserMeterPointVerificationConsentStatus", W>, NeedsOf<W>>
  /** `GET .../mpxn/{mpxn}/renewal`: the meter point's renewal history. */
  readonly renewals: (mpxn: string) => Effect.Effect<ConsentRenewalsRes, ErrorOf<"getMeterPointConsentRenewal", W>, NeedsOf<W>>
  /** `POST .../mpxn/{mpxn}/renewal`: renews consent (the first renewal adds the meter point). */
  readonly renew: (
    mpxn: string,
    options?: RenewOptions
  ) => Effect.Effect<ConsentChangeRes, ErrorOf<"renewMeterPointConsent", W>, NeedsOf<W>>
  /** `GET .../mpxn/{mpxn}/revocation`: the meter point's revocation history. */
  readonly revocations: (
    mpxn: string
  ) => Effect.Effect<ConsentRevocationsRes, ErrorOf<"getMeterPointConsentRevocation", W>, NeedsOf<W>>
  /** `POST .../mpxn/{mpxn}/revocation`: revokes consent. */
  readonly revoke: (
    mpxn: string,
    options?: RevokeOptions
  ) => Effect.Effect<ConsentChangeRes, ErrorOf<"revokeMeterPointConsent", W>, NeedsOf<W>>
  /** `POST .../mpxns/renewal`: renews consent for several meter points (at most 100). */
  readonly renewAll: (
    mpxns: ReadonlyArray<string>
  ) => Effect.Effect<ConsentBulkRenewalRes, ErrorOf<"renewMeterPointConsentBulk", W>, NeedsOf<W>>
  /** `POST .../mpxns/revocation`: revokes consent for several meter points (at most 100). */
  readonly revokeAll: (
    mpxns: ReadonlyArray<string>
  ) => Effect.Effect<ConsentBulkRevocationRes, ErrorOf<"renewMeterPointConsentRevokeBulk", W>, NeedsOf<W>>
}

/**
 * The consent service.
 *
 * @since 0.1.0
 */
export interface Service {
  /** As an administrator of the application, for one of its users. */
  readonly forUser: (userId: string) => Operations<"admin">
  /** As the user of the current `UserSession`. */
  readonly own: Operations<"own">
}

/**
 * The Consent service.
 *
 * @since 0.1.0
 */
export class Consent extends Context.Tag("effect-glowmarkt/Consent")<Consent, Service>() {}

const MpxnInput = Schema.Struct({ mpxn: Mpxn })
const BulkInput = Schema.Struct({ mpxns: Schema.Array(Mpxn).pipe(Schema.minItems(1), Schema.maxItems(100)) })
const UserIdInput = Schema.Struct({ userId: UserId })

type ConsentClient = Clients["consentAsUser"]
type ConsentOp = Extract<OperationId, ConsentOperation>

/** Runs one consent call one way: its errors are those of its operation, made that way. */
type Runner<W extends Way> = <Op extends ConsentOp, A>(
  operation: Op,
  attempt: (client: ConsentClient) => Effect.Effect<A, RawError, SessionToken | Scope.Scope>
) => Effect.Effect<A, ErrorOf<Op, W>, NeedsOf<W>>

const expectValid = (operation: ConsentOp) => <A extends { readonly valid?: boolean | undefined }>(res: A) =>
  res.valid === false
    ? Effect.fail(new UnexpectedResponseError({ operation, status: 200, problem: "valid: false in a success answer" }))
    : Effect.succeed(res)

const operations = <W extends Way>(
  run: Runner<W>,
  /** A check of what the way was built with (the admin way's user id), as an error of `operation`. */
  before: (operation: ConsentOp) => Effect.Effect<void, InvalidInputError> = () => Effect.void
): Operations<W> => {
  const mpxnOf = (operation: ConsentOp, mpxn: string) =>
    Effect.zipRight(before(operation), Effect.map(decodeInput(operation, MpxnInput, { mpxn }), (i) => i.mpxn))
  const bulkOf = (operation: ConsentOp, mpxns: ReadonlyArray<string>) =>
    Effect.zipRight(
      before(operation),
      Effect.map(decodeInput(operation, BulkInput, { mpxns }), (i) => new ConsentBulkReq({ meterPoints: i.mpxns.map((mpxn) => new MpxnElem({ mpxn })) }, true))
    )
  const change = (until: Date | undefined) => new ConsentChangeReq(until === undefined ? {} : { isValidUntil: until }, true)
  return {
    status: () =>
      Effect.zipRight(before("getUserMeterPointVerificationConsentStatus"), run("getUserMeterPointVerificationConsentStatus", (c) => c.getUserMeterPointVerificationConsentStatus())),
    renewals: (mpxn) =>
      Effect.flatMap(mpxnOf("getMeterPointConsentRenewal", mpxn), (m) =>
        run("getMeterPointConsentRenewal", (c) => c.getMeterPointConsentRenewal({ path: { mpxn: m } }))),
    renew: (mpxn, options) =>
      Effect.flatMap(mpxnOf("renewMeterPointConsent", mpxn), (m) =>
        run("renewMeterPointConsent", (c) => c.renewMeterPointConsent({ path: { mpxn: m }, payload: change(options?.until) })).pipe(
          Effect.flatMap(expectValid("renewMeterPointConsent"))
        )),
    revocations: (mpxn) =>
      Effect.flatMap(mpxnOf("getMeterPointConsentRevocation", mpxn), (m) =>
        run("getMeterPointConsentRevocation", (c) => c.getMeterPointConsentRevocation({ path: { mpxn: m } }))),
    revoke: (mpxn, options) =>
      Effect.flatMap(mpxnOf("revokeMeterPointConsent", mpxn), (m) =>
        run("revokeMeterPointConsent", (c) => c.revokeMeterPointConsent({ path: { mpxn: m }, payload: change(options?.from) })).pipe(
          Effect.flatMap(expectValid("revokeMeterPointConsent"))
        )),
    renewAll: (mpxns) =>
      Effect.flatMap(bulkOf("renewMeterPointConsentBulk", mpxns), (payload) =>
        run("renewMeterPointConsentBulk", (c) => c.renewMeterPointConsentBulk({ payload }))),
    revokeAll: (mpxns) =>
      Effect.flatMap(bulkOf("renewMeterPointConsentRevokeBulk", mpxns), (payload) =>
        run("renewMeterPointConsentRevokeBulk", (c) => c.renewMeterPointConsentRevokeBulk({ payload })))
  }
}

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => {
  // The calls' errors are mapped by the operation's row (`call`, `sessionCall`); the runners are
  // generic in the operation, so their results are stated as the operation's type.
  const own: Runner<"own"> = <Op extends ConsentOp, A>(
    operation: Op,
    attempt: (client: ConsentClient) => Effect.Effect<A, RawError, SessionToken | Scope.Scope>
  ) => sessionCall(operation, clients, attempt(clients.consentAsUser)) as Effect.Effect<A, ErrorOf<Op, "own">, UserSession>
  const asAdmin = (userId: UserId): Runner<"admin"> => <Op extends ConsentOp, A>(
    operation: Op,
    attempt: (client: ConsentClient) => Effect.Effect<A, RawError, SessionToken | Scope.Scope>
  ) =>
    // The derived client of the admin way needs `AdminAuth` and the `userId` instead of a token;
    // otherwise both ways are the same client of the same group.
    call(operation, clients, attempt(clients.consentAsAdmin as unknown as ConsentClient)).pipe(
      Effect.provideService(ConsentUser, { userId }),
      // The operations' rows read a 401 as the user's token; made with an admin credential, it
      // is the credential that was refused.
      Effect.catchIf(
        (e): e is TokenRejectedError => e._tag === "TokenRejectedError",
        (e) => Effect.fail(new AccessDeniedError({ operation: e.operation, ...(e.detail === undefined ? {} : { serverMessage: e.detail }) }))
      )
    ) as unknown as Effect.Effect<A, ErrorOf<Op, "admin">, AdminAuth>
  return {
    own: operations(own),
    forUser: (userId) => {
      const decoded = Schema.decodeUnknownEither(UserIdInput)({ userId })
      const id = decoded._tag === "Right" ? decoded.right.userId : (userId as UserId)
      const check = (operation: ConsentOp) =>
        decoded._tag === "Right" ? Effect.void : Effect.asVoid(decodeInput(operation, UserIdInput, { userId }))
      return operations(asAdmin(id), check)
    }
  }
}

/**
 * Builds the service from the configured `HttpClient`.
 *
 * @since 0.1.0
 */
export const make = Effect.map(makeClients, fromClients)

/**
 * The service, on `GlowmarktConfig` and an `HttpClient`.
 *
 * @since 0.1.0
 */
export const layer = Layer.effect(Consent, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
