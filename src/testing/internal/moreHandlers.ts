/**
 * The Account, Account Profile, Account Session, token-list, OAuth and meter-point-consent
 * endpoints, implemented over the in-memory {@link UserSystem}. The credentials were checked
 * before the router ran (see `server.ts`); the result arrives through the `FiberRef`s passed in.
 *
 * @internal
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Redacted from "effect/Redacted"
import {
  AccountProfile,
  AccountProfileNamesRes,
  AccountRes,
  AccountSessionRes,
  AccountStatus,
  AddAccountProfileRes,
  AddAccountRes,
  DeleteAccountRes,
  ProfileName,
  UpdateAccountRes,
  UpdateAccountSessionRes
} from "../../schema/AccountModels.js"
import {
  BulkRenewalElem,
  ConsentBulkRenewalRes,
  ConsentBulkRevocationRes,
  ConsentChangeRes,
  ConsentRenewal,
  ConsentRenewalsRes,
  ConsentRevocation,
  ConsentRevocationsRes,
  MeterPointConsent,
  UserMeterPointConsentRes
} from "../../schema/ConsentModels.js"
import { GlowmarktApi } from "../../schema/GlowmarktApi.js"
import { AccountId, ApplicationId, DirectoryId, UserId } from "../../schema/Identifiers.js"
import { IsValidRes } from "../../schema/Models.js"
import { OAuthCodeRes, OAuthTokenRes, OAuthValidAccessTokenRes, TokenDocument, TokenId } from "../../schema/OAuthModels.js"
import { WireAccessDenied, WireBadRequest, WireNotFound } from "../../schema/WireErrors.js"
import type { Core } from "./handlers.js"
import type { AccountRecord, CheckedToken, ConsentRecord } from "./state.js"
import { messages } from "./state.js"

/** Who a consent call is for, and for which application. @internal */
export interface ConsentSubject {
  readonly userId: string
  readonly applicationId: string
}

/** The `FiberRef`s the credential checks fill. @internal */
export interface Refs {
  readonly session: FiberRef.FiberRef<CheckedToken | undefined>
  readonly admin: FiberRef.FiberRef<string | undefined>
  readonly consent: FiberRef.FiberRef<ConsentSubject | undefined>
}

const denied = () => new WireAccessDenied({ message: messages.accessDenied })
const valid = new IsValidRes({ valid: true })
const atomic = { uninterruptible: true } as const

/** The groups, implemented. @internal */
export const groups = (core: Core, refs: Refs) => {
  const { clock, state } = core
  const now = clock.currentTimeMillis
  const adminApplication = Effect.flatMap(FiberRef.get(refs.admin), (app) => (app === undefined ? Effect.fail(denied()) : Effect.succeed(app)))
  const session = Effect.flatMap(FiberRef.get(refs.session), (s) => (s === undefined ? Effect.fail(denied()) : Effect.succeed(s.claims)))
  const subject = Effect.flatMap(FiberRef.get(refs.consent), (s) => (s === undefined ? Effect.fail(denied()) : Effect.succeed(s)))

  const toAccountRes = (account: AccountRecord, at: number) => {
    const v = state.accountView(account, at)
    return new AccountRes({
      accountId: AccountId.make(account.accountId),
      active: account.active,
      applicationId: ApplicationId.make(account.applicationId),
      createdAt: new Date(v.createdAt),
      updatedAt: new Date(v.updatedAt),
      status: account.active ? "active" : "inactive",
      userId: UserId.make(account.userId),
      ...(v.directoryId === undefined ? {} : { directoryId: DirectoryId.make(v.directoryId) }),
      ...(v.username === undefined ? {} : { username: v.username }),
      ...(v.email === undefined ? {} : { email: v.email }),
      ...(v.name === undefined ? {} : { name: v.name })
    })
  }
  const statusOf = (account: AccountRecord) =>
    new AccountStatus({
      accountId: AccountId.make(account.accountId),
      active: account.active,
      applicationId: ApplicationId.make(account.applicationId)
    })

  const AccountAdmin = HttpApiBuilder.group(GlowmarktApi, "accountAdmin", (handlers) =>
    handlers
      .handle("getAccounts", () =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const at = yield* now
          return state.listAccounts(app, at).map((v) => toAccountRes(v.account, at))
        }))
      .handle("addAccount", ({ payload }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const account = yield* state.addAccount(app, payload, yield* now)
          return new AddAccountRes({
            accountId: AccountId.make(account.accountId),
            applicationId: ApplicationId.make(account.applicationId),
            status: "OK",
            userId: UserId.make(account.userId)
          })
        }), atomic)
      .handle("getAccountbyId", ({ path }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const account = state.accountIn(app, path.accountId)
          if (account === undefined) return yield* Effect.fail(new WireNotFound({ message: messages.notFound }))
          return toAccountRes(account, yield* now)
        }))
      .handle("updateAccount", ({ path, payload }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const at = yield* now
          const account = yield* state.updateAccount(app, path.accountId, payload.name, at)
          return new UpdateAccountRes(toAccountRes(account, at))
        }), atomic)
      .handle("deleteAccount", ({ path }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const { userId } = yield* state.deleteAccount(app, path.accountId)
          return new DeleteAccountRes({
            accountId: AccountId.make(path.accountId),
            status: "inactive",
            userId: UserId.make(userId),
            valid: true
          })
        }), atomic)
      .handle("getAccountStatusbyId", ({ path }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const account = state.accountIn(app, path.accountId)
          if (account === undefined) return yield* Effect.fail(new WireNotFound({ message: messages.notFound }))
          return statusOf(account)
        })))

  const AccountSession = HttpApiBuilder.group(GlowmarktApi, "accountSession", (handlers) =>
    handlers
      .handle("userChangePassWord", ({ payload }) =>
        Effect.gen(function*() {
          const claims = yield* session
          yield* state.changePassword(claims, Redacted.value(payload.oldPassword), Redacted.value(payload.newPassword), yield* now)
          return valid
        }), atomic)
      .handle("userChangeEmail", ({ payload }) =>
        Effect.gen(function*() {
          yield* state.changeProfile(yield* session, { email: payload.email }, yield* now)
          return valid
        }), atomic)
      .handle("userChangeName", ({ payload }) =>
        Effect.gen(function*() {
          yield* state.changeProfile(yield* session, { name: payload.name }, yield* now)
          return valid
        }), atomic)
      .handle("getAccountStatusbyUserToken", () =>
        Effect.gen(function*() {
          const account = state.accountOfClaims(yield* session)
          if (account === undefined) return yield* Effect.fail(new WireNotFound({ message: messages.notFound }))
          return statusOf(account)
        }))
      .handle("addMobileAppToken", ({ path, payload }) =>
        Effect.gen(function*() {
          const data = yield* state.ownAccount(yield* session, yield* now, path.accountId)
          data.mobileTokens.add(payload.newToken)
          return valid
        }), atomic)
      .handle("removeMobileAppToken", ({ path, payload }) =>
        Effect.gen(function*() {
          const data = yield* state.ownAccount(yield* session, yield* now, path.accountId)
          data.mobileTokens.delete(payload.removeToken)
          return valid
        }), atomic)
      .handle("getAccountProfile", () =>
        Effect.gen(function*() {
          const claims = yield* session
          const data = yield* state.ownAccount(claims, yield* now)
          return new AccountProfileNamesRes({ accountId: AccountId.make(claims.accountId), profileNames: [...data.profiles.keys()] })
        }))
      .handle("addAccountProfile", ({ payload }) =>
        Effect.gen(function*() {
          const claims = yield* session
          const data = yield* state.ownAccount(claims, yield* now)
          data.profiles.set(payload.profileName, {
            profileName: payload.profileName,
            InformationAboutDashboard: payload.InformationAboutDashboard
          })
          return new AddAccountProfileRes({ devUserId: claims.sub, profileName: payload.profileName, status: "OK" })
        }), atomic)
      .handle("getAccountProfilebyProfileName", ({ path }) =>
        Effect.gen(function*() {
          const data = yield* state.ownAccount(yield* session, yield* now)
          const profile = data.profiles.get(path.profileName)
          if (profile === undefined) return yield* Effect.fail(new WireNotFound({ message: messages.notFound }))
          return new AccountProfile({
            profileName: ProfileName.make(profile.profileName),
            ...(profile.InformationAboutDashboard === undefined
              ? {}
              : { InformationAboutDashboard: profile.InformationAboutDashboard as Record<string, unknown> })
          })
        }))
      .handle("getAccountSession", () =>
        Effect.gen(function*() {
          const data = yield* state.ownAccount(yield* session, yield* now)
          return new AccountSessionRes({ ...data.session, valid: true })
        }))
      .handle("updateAccountSession", ({ payload }) =>
        Effect.gen(function*() {
          const data = yield* state.ownAccount(yield* session, yield* now)
          // The fields sent are overwritten; those left out are kept.
          if (payload.sessionvalue1 !== undefined) data.session.sessionvalue1 = payload.sessionvalue1
          if (payload.sessionvalue2 !== undefined) data.session.sessionvalue2 = payload.sessionvalue2
          return new UpdateAccountSessionRes({ ...data.session, status: "OK", valid: true })
        }), atomic))

  const UserTokens = HttpApiBuilder.group(GlowmarktApi, "userTokens", (handlers) =>
    handlers
      .handle("getTokenOfUser", () =>
        Effect.gen(function*() {
          const claims = yield* session
          return state.listTokens(claims.sub, yield* now).map((t) =>
            new TokenDocument({
              tokenId: TokenId.make(t.tokenId),
              userId: UserId.make(t.userId),
              authenticationFramework: t.framework,
              grant_type: t.grantType,
              createdAt: new Date(t.createdAt),
              expiresAt: new Date(t.expiresAt)
            })
          )
        }))
      .handle("deleteTokenById", ({ path }) =>
        Effect.gen(function*() {
          const claims = yield* session
          yield* state.revokeToken(claims.sub, path.tokenId)
          return [valid]
        }), atomic))

  const OAuthPublic = HttpApiBuilder.group(GlowmarktApi, "oauthPublic", (handlers) =>
    handlers
      .handle("generateOAuthorizationCode", ({ headers, payload }) =>
        Effect.gen(function*() {
          const { accountId, code, expiresAt, user } = yield* state.oauthCode({
            applicationId: headers.applicationid,
            username: payload.username,
            password: Redacted.value(payload.password),
            directoryId: payload.directoryId
          }, yield* now)
          return new OAuthCodeRes({
            valid: true,
            code: Redacted.make(code),
            exp: Math.floor(expiresAt / 1000),
            accountId: AccountId.make(accountId),
            name: user.name ?? user.username
          })
        }), atomic)
      .handle("exchangeAuthorizationCodeWithAccess", ({ payload }) =>
        Effect.gen(function*() {
          const secret = payload.grant_type === "authorization_code" ? payload.code : payload.refresh_token
          const issued = yield* state.oauthExchange({
            grantType: payload.grant_type,
            clientId: payload.client_id,
            secret: secret === undefined ? undefined : Redacted.value(secret)
          }, yield* now)
          const refresh = Redacted.make(issued.refreshToken)
          return new OAuthTokenRes({
            access_token: Redacted.make(issued.accessToken),
            expires_in: issued.expiresIn,
            refresh_token: refresh,
            refresh_type: refresh,
            token_type: "bearer"
          })
        }), atomic))

  const OAuthAccess = HttpApiBuilder.group(GlowmarktApi, "oauthAccess", (handlers) =>
    handlers.handle("validateOAuthAccessToken", () =>
      Effect.gen(function*() {
        const claims = yield* session
        const view = state.userById(claims.sub)
        if (view === undefined) return yield* Effect.fail(denied())
        return new OAuthValidAccessTokenRes({
          userId: UserId.make(view.user.userId),
          status: view.user.status,
          active: view.user.status === "active",
          authenticationFramework: "oauth",
          createdAt: new Date(view.user.createdAt),
          updatedAt: new Date(view.user.updatedAt)
        })
      })))

  const consentOf = (record: ConsentRecord, at: number) =>
    new MeterPointConsent({
      mpxn: record.mpxn,
      mpxnKey: record.mpxnKey,
      isVerified: record.isValidUntil !== undefined && record.isValidUntil > at,
      ...(record.isValidUntil === undefined ? {} : { isValidUntil: new Date(record.isValidUntil) })
    })
  const changed = (record: ConsentRecord, at: number) =>
    new ConsentChangeRes({
      valid: true,
      mpxn: record.mpxn,
      isVerified: record.isValidUntil !== undefined && record.isValidUntil > at,
      ...(record.isValidUntil === undefined ? {} : { isValidUntil: new Date(record.isValidUntil) })
    })
  const actor = (s: ConsentSubject) => ({ subject: s.userId, userId: s.userId, applicationId: s.applicationId })
  const unknownMeterPoint = () => new WireBadRequest({ message: messages.meterPointNotFound })

  const Consent = HttpApiBuilder.group(GlowmarktApi, "consent", (handlers) =>
    handlers
      .handle("getUserMeterPointVerificationConsentStatus", () =>
        Effect.gen(function*() {
          const s = yield* subject
          const at = yield* now
          return new UserMeterPointConsentRes({ meterPointVerification: state.consentsOf(s.userId).map((r) => consentOf(r, at)) })
        }))
      .handle("getMeterPointConsentRenewal", ({ path }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const record = state.consentOf(s.userId, path.mpxn)
          if (record === undefined) return yield* Effect.fail(unknownMeterPoint())
          return new ConsentRenewalsRes({
            valid: true,
            meterPointRenewals: record.renewals.map((r) =>
              new ConsentRenewal({
                meterPointVerificationRenewalId: r.id,
                mpxn: record.mpxn,
                mpxnKey: record.mpxnKey,
                createdAt: new Date(r.createdAt),
                isValidUntil: new Date(r.isValidUntil),
                auditReference: { applicationId: ApplicationId.make(r.by.applicationId) },
                renewedBy: { key: "userId", value: r.by.userId }
              })
            )
          })
        }))
      .handle("renewMeterPointConsent", ({ path, payload }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const at = yield* now
          const record = yield* state.renewConsent(actor(s), path.mpxn, payload.isValidUntil?.getTime(), at)
          return changed(record, at)
        }), atomic)
      .handle("getMeterPointConsentRevocation", ({ path }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const record = state.consentOf(s.userId, path.mpxn)
          if (record === undefined) return yield* Effect.fail(unknownMeterPoint())
          return new ConsentRevocationsRes({
            valid: true,
            meterPointRenewals: record.revocations.map((r) =>
              new ConsentRevocation({
                meterPointVerificationRevocationId: r.id,
                mpxn: record.mpxn,
                mpxnKey: record.mpxnKey,
                createdAt: new Date(r.createdAt),
                auditReference: { applicationId: ApplicationId.make(r.by.applicationId) },
                revokedBy: { key: "userId", value: r.by.userId }
              })
            )
          })
        }))
      .handle("revokeMeterPointConsent", ({ path, payload }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const at = yield* now
          const record = yield* state.revokeConsent(actor(s), path.mpxn, payload.isValidUntil?.getTime(), at)
          return changed(record, at)
        }), atomic)
      .handle("renewMeterPointConsentBulk", ({ payload }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const at = yield* now
          const out = payload.meterPoints.map(({ mpxn }) => {
            const result = state.renewConsent(actor(s), mpxn, undefined, at)
            if (result._tag === "Left") return new BulkRenewalElem({ mpxn, valid: false })
            const record = result.right
            return new BulkRenewalElem({
              mpxn,
              valid: true,
              ...(record.isValidUntil === undefined ? {} : { isValidUntil: new Date(record.isValidUntil).toISOString() }),
              meterPointVerificationRenewalId: record.renewals[record.renewals.length - 1]!.id
            })
          })
          return new ConsentBulkRenewalRes({ valid: true, meterPointVerificationRenewals: out })
        }), atomic)
      .handle("renewMeterPointConsentRevokeBulk", ({ payload }) =>
        Effect.gen(function*() {
          const s = yield* subject
          const at = yield* now
          const revoked = payload.meterPoints.filter(({ mpxn }) => state.revokeConsent(actor(s), mpxn, undefined, at)._tag === "Right")
          return new ConsentBulkRevocationRes({ valid: true, meterPointRevocations: revoked.map(({ mpxn }) => ({ mpxn })) })
        }), atomic))


  return [AccountAdmin, AccountSession, UserTokens, OAuthPublic, OAuthAccess, Consent] as const
}
