/**
 * The in-memory User System: applications, directories, users, their accounts, pending codes
 * and issued tokens. Every method is synchronous and takes the current time, so that one call
 * is one atomic step and all time comes from the caller's `Clock`.
 *
 * @internal
 */
import { createHash } from "node:crypto"
import * as Either from "effect/Either"
import { WireAccessDenied, WireBadRequest, WireNotFound } from "../../schema/WireErrors.js"
import * as Jwt from "./jwt.js"
import * as Prng from "./prng.js"

/** The messages of the simulator's error bodies. @internal */
export const messages = {
  accessDenied: "Access denied",
  missingElements: "missing elements",
  incorrectElements: "incorrect elements",
  userAlreadyExists: "user already exists",
  userAlreadyVerified: "user already verified",
  userNotFound: "user not found",
  invalidCode: "invalid token",
  expiredCode: "token expired",
  noPendingCode: "no valid token, request a new one",
  tooManyAttempts: "too many attempts, request a new token",
  notFound: "Not found",
  internalError: "An error has occurred",
  tooManyRequests: "Too many requests",
  accountNotFound: "account not found",
  wrongOldPassword: "old password is incorrect",
  weakPassword: "weak new password",
  meterPointNotFound: "meter point not found",
  consentTooLong: "consent can be extended to at most 18 months",
  oauthCodeExpired: "authorization code expired, request a new one",
  oauthCodeUsed: "no valid authorization code, request a new one",
  invalidGrant: "no valid refresh token, request a new authorization code"
} as const

/** The two purposes of a 4-digit code, each with its own pending slot. @internal */
export type CodeKind = "verification" | "passwordReset"

interface PendingCode {
  readonly code: string
  readonly expiresAt: number
  wrongAttempts: number
}

/** A user of a directory, mutable in place by the operations below. @internal */
export interface UserRecord {
  readonly userId: string
  readonly directoryId: string
  username: string
  email: string | undefined
  name: string | undefined
  passwordHash: string | undefined
  status: "unverified" | "active"
  readonly createdAt: number
  updatedAt: number
  readonly codes: Partial<Record<CodeKind, PendingCode>>
  readonly lastCodes: Partial<Record<CodeKind, string>>
}

/** The link between a user and one application: what login and the admin look-ups check. @internal */
export interface AccountRecord {
  readonly accountId: string
  readonly userId: string
  readonly applicationId: string
  readonly active: boolean
}

/** The knobs of the user system, resolved from the simulator options. @internal */
export interface Settings {
  readonly seed: string | number
  readonly codeTtlMillis: number
  readonly maxCodeAttempts: number
  readonly tokenLifetimeSeconds: number
}

/** The seeded world. @internal */
export interface Seed {
  readonly organisationId: string
  readonly applicationId: string
  readonly applicationName: string
  readonly directoryId: string
  readonly appKeys: { readonly keyId: string; readonly secret: string }
  readonly organisationKeys: { readonly keyId: string; readonly secret: string }
  readonly developerUserId: string
  readonly developerAccountId: string
  readonly developerToken: string
}

/** A user as the admin look-ups show it. @internal */
export interface UserView {
  readonly user: UserRecord
  readonly accounts: ReadonlyArray<AccountRecord>
}

/** A token that was checked: its claims and whether it is the developer token. @internal */
export interface CheckedToken {
  readonly claims: Jwt.Claims
  readonly developer: boolean
}

/** How a token stopped being valid before it expired. @internal */
export type TokenEnd = "deleteToken" | "deleteTokenById" | "passwordReset" | "accountDeleted" | "userDeleted"

/** An issued token, as the token list shows it. @internal */
export interface TokenEntry {
  readonly userId: string
  revoked: boolean
  /** What revoked it first (for the admin view). */
  endedBy?: TokenEnd | undefined
  readonly createdAt: number
  readonly expiresAt: number
  readonly framework: "jwt" | "oauth"
  readonly grantType: string
  readonly accountId?: string | undefined
}

/** An account that was removed, and how. @internal */
export interface AccountRemoval {
  readonly accountId: string
  readonly userId: string
  readonly applicationId: string
  readonly removedBy: "deleteAccount" | "userDeleted"
}

/** What an account keeps besides its link: a name, push tokens, profiles, a session. @internal */
export interface AccountData {
  name: string | undefined
  readonly createdAt: number
  updatedAt: number
  readonly mobileTokens: Set<string>
  readonly profiles: Map<string, { readonly profileName: string; readonly InformationAboutDashboard: unknown }>
  session: { sessionvalue1?: string | undefined; sessionvalue2?: string | undefined }
}

interface OAuthCode {
  readonly userId: string
  readonly accountId: string
  readonly applicationId: string
  readonly expiresAt: number
  used: boolean
}

interface RefreshToken {
  readonly userId: string
  readonly accountId: string
  readonly applicationId: string
  used: boolean
}

/** Who renewed or revoked a consent. @internal */
export interface ConsentActor {
  readonly userId: string
  readonly applicationId: string
}

/** One meter point of a user, with its renewal and revocation history. @internal */
export interface ConsentRecord {
  readonly mpxn: string
  readonly mpxnKey: "mpan" | "mprn"
  /** Until when consent holds (milliseconds); `undefined` before the first renewal. */
  isValidUntil: number | undefined
  readonly renewals: Array<{
    readonly id: string
    readonly createdAt: number
    readonly isValidUntil: number
    readonly by: ConsentActor
  }>
  readonly revocations: Array<{ readonly id: string; readonly createdAt: number; readonly by: ConsentActor }>
}

/** How long an OAuth authorization code lives: codes are single-use and short-lived. @internal */
export const oauthCodeTtlMillis = 10 * 60 * 1000

/** The longest consent a renewal may give: 18 months (counted as 548 days). @internal */
export const maxConsentMillis = 548 * 24 * 60 * 60 * 1000

/** The developer token never expires within any test's horizon (1 January 2100). */
const developerTokenExp = 4102444800

const denied = () => new WireAccessDenied({ message: messages.accessDenied })

/** The security schemes of the spec that the simulator's operations use. @internal */
export type SecurityScheme =
  | "appKeys"
  | "orgAppKeys"
  | "applicationId"
  | "devUserToken"
  | "userToken"
  | "oAccessAuthToken"
  | "userId"

/** The key id and secret of an `Authorization: Basic` header, if it is one. */
const parseBasic = (authorization: string | undefined): { readonly keyId: string; readonly secret: string } | undefined => {
  if (authorization === undefined) return undefined
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization)
  if (match === null) return undefined
  const decoded = Buffer.from(match[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return colon < 0 ? undefined : { keyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}
const loginDenied = () => new WireAccessDenied({ message: undefined })
const bad = (message: string) => new WireBadRequest({ message })

/** Revokes a token, remembering what revoked it first. */
const end = (entry: TokenEntry, by: TokenEnd) => {
  if (!entry.revoked) entry.endedBy = by
  entry.revoked = true
}

const hashPassword = (userId: string, password: string) =>
  createHash("sha256").update(`${userId}\u0000${password}`).digest("hex")

/** The whole in-memory service: one instance per simulator. @internal */
export class UserSystem {
  readonly seed: Seed
  private readonly prng: Prng.Prng
  private readonly jwtSecret: string
  private readonly applications = new Map<string, { directoryId: string; organisationId: string; name: string }>()
  private readonly users = new Map<string, UserRecord>()
  // Accounts by user, and users by directory + username: a look-up costs the same with 10 users
  // or 100,000.
  private readonly userIdByName = new Map<string, string>()
  private readonly accountsByUser = new Map<string, Array<AccountRecord>>()
  private readonly tokens = new Map<string, TokenEntry>()
  private readonly accountsById = new Map<string, AccountRecord>()
  /** Accounts deleted by id, so that deleting one again answers as the first time did. */
  private readonly deletedAccounts = new Map<string, { readonly applicationId: string; readonly userId: string }>()
  /**
   * The applications a user had an account in that was deleted (`DELETE /account/{id}`): the
   * user is still in the directory, and an administrator of the application can still look them
   * up, act on their consent and delete them (an erasure removes the accounts first).
   */
  private readonly formerApplications = new Map<string, Set<string>>()
  /** Every account that was removed, and how (for the admin view). */
  private readonly removedAccounts = new Map<string, AccountRemoval>()
  private readonly accountData = new Map<string, AccountData>()
  private readonly oauthCodes = new Map<string, OAuthCode>()
  private readonly refreshTokens = new Map<string, RefreshToken>()
  private readonly consents = new Map<string, Map<string, ConsentRecord>>()

  constructor(readonly settings: Settings) {
    this.prng = Prng.make(settings.seed, "state")
    const p = this.prng
    const organisationId = p.uuid()
    const applicationId = p.uuid()
    const directoryId = p.uuid()
    const appKeys = { keyId: p.uuid(), secret: p.hex(40) }
    const organisationKeys = { keyId: p.uuid(), secret: p.hex(40) }
    this.jwtSecret = p.hex(64)
    const developerUserId = p.uuid()
    const developerAccountId = p.uuid()
    const jti = p.uuid()
    const developerToken = Jwt.encode(this.jwtSecret, {
      sub: developerUserId,
      accountId: developerAccountId,
      applicationId,
      iat: 0,
      exp: developerTokenExp,
      jti
    })
    this.tokens.set(jti, { userId: developerUserId, revoked: false, createdAt: 0, expiresAt: developerTokenExp * 1000, framework: "jwt", grantType: "password" })
    const applicationName = "Simulator demo application"
    this.applications.set(applicationId, { directoryId, organisationId, name: applicationName })
    this.seed = {
      organisationId,
      applicationId,
      applicationName,
      directoryId,
      appKeys,
      organisationKeys,
      developerUserId,
      developerAccountId,
      developerToken
    }
  }

  // ---------------------------------------------------------------------------------------------
  // look-ups

  /** Every user, oldest first. */
  listUsers(): ReadonlyArray<UserView> {
    return Array.from(this.users.values(), (user) => this.view(user))
  }

  private view(user: UserRecord): UserView {
    return { user, accounts: [...(this.accountsByUser.get(user.userId) ?? [])] }
  }

  private static nameKey(directoryId: string, username: string): string {
    return `${directoryId}\u0000${username.trim().toLowerCase()}`
  }

  private byUsername(directoryId: string, username: string): UserRecord | undefined {
    const userId = this.userIdByName.get(UserSystem.nameKey(directoryId, username))
    return userId === undefined ? undefined : this.users.get(userId)
  }

  private accountOf(userId: string, applicationId: string): AccountRecord | undefined {
    return this.accountsByUser.get(userId)?.find((account) => account.applicationId === applicationId)
  }

  /** Stores a new user with its first account, and indexes both. */
  private insertUser(user: UserRecord, account: AccountRecord): void {
    this.users.set(user.userId, user)
    this.userIdByName.set(UserSystem.nameKey(user.directoryId, user.username), user.userId)
    this.accountsByUser.set(user.userId, [account])
    this.accountsById.set(account.accountId, account)
  }

  private application(applicationId: string) {
    return this.applications.get(applicationId)
  }

  /** The user named `username` in the directory of `applicationId`. */
  private userInApplication(applicationId: string, username: string): UserRecord | undefined {
    const app = this.application(applicationId)
    return app === undefined ? undefined : this.byUsername(app.directoryId, username)
  }

  private checkPassword(user: UserRecord, password: string): boolean {
    return user.passwordHash !== undefined && user.passwordHash === hashPassword(user.userId, password)
  }

  private newCode(user: UserRecord, kind: CodeKind, now: number): string {
    let code = this.prng.digits(4)
    // A new code never equals the one it replaces, so "the old code is refused" always holds.
    while (code === user.lastCodes[kind]) code = this.prng.digits(4)
    user.codes[kind] = { code, expiresAt: now + this.settings.codeTtlMillis, wrongAttempts: 0 }
    user.lastCodes[kind] = code
    return code
  }

  private consumeCode(user: UserRecord, kind: CodeKind, code: string, now: number): Either.Either<void, WireBadRequest> {
    const pending = user.codes[kind]
    if (pending === undefined) return Either.left(bad(messages.noPendingCode))
    if (now >= pending.expiresAt) {
      delete user.codes[kind]
      return Either.left(bad(messages.expiredCode))
    }
    if (pending.code !== code) {
      pending.wrongAttempts++
      if (pending.wrongAttempts >= this.settings.maxCodeAttempts) {
        delete user.codes[kind]
        return Either.left(bad(messages.tooManyAttempts))
      }
      return Either.left(bad(messages.invalidCode))
    }
    delete user.codes[kind]
    return Either.void
  }

  // ---------------------------------------------------------------------------------------------
  // public endpoints

  /** `POST /register`: an unverified user with an account in the application, and a code. */
  register(
    req: {
      readonly applicationId: string
      readonly directoryId: string
      readonly email: string
      readonly name: string
      readonly password: string
      readonly username: string
    },
    now: number
  ): Either.Either<{ readonly view: UserView; readonly code: string; readonly to: string }, WireBadRequest> {
    const app = this.application(req.applicationId)
    if (app === undefined || app.directoryId !== req.directoryId) return Either.left(bad(messages.incorrectElements))
    if (this.byUsername(req.directoryId, req.username) !== undefined) {
      return Either.left(bad(messages.userAlreadyExists))
    }
    const userId = this.prng.uuid()
    const user: UserRecord = {
      userId,
      directoryId: req.directoryId,
      username: req.username,
      email: req.email,
      name: req.name,
      passwordHash: hashPassword(userId, req.password),
      status: "unverified",
      createdAt: now,
      updatedAt: now,
      codes: {},
      lastCodes: {}
    }
    this.insertUser(user, { accountId: this.prng.uuid(), userId, applicationId: req.applicationId, active: true })
    const code = this.newCode(user, "verification", now)
    return Either.right({ view: this.view(user), code, to: user.email ?? user.username })
  }

  /** `POST /user/verify`: a new verification code, replacing the pending one. */
  requestVerification(
    req: { readonly applicationId: string; readonly username: string; readonly password: string },
    now: number
  ): Either.Either<{ readonly code: string; readonly to: string }, WireBadRequest | WireAccessDenied> {
    const user = this.userInApplication(req.applicationId, req.username)
    if (user === undefined || !this.checkPassword(user, req.password)) return Either.left(denied())
    if (user.status === "active") return Either.left(bad(messages.userAlreadyVerified))
    const code = this.newCode(user, "verification", now)
    return Either.right({ code, to: user.email ?? user.username })
  }

  /** `PUT /user/verify`: the right code makes the user active. */
  verify(
    req: { readonly applicationId: string; readonly username: string; readonly password: string; readonly code: string },
    now: number
  ): Either.Either<UserRecord, WireBadRequest | WireAccessDenied> {
    const user = this.userInApplication(req.applicationId, req.username)
    if (user === undefined || !this.checkPassword(user, req.password)) return Either.left(denied())
    if (user.status === "active") return Either.left(bad(messages.userAlreadyVerified))
    return Either.map(this.consumeCode(user, "verification", req.code, now), () => {
      user.status = "active"
      user.updatedAt = now
      return user
    })
  }

  /** `POST /user/resetpassword`: a password-reset code. */
  requestReset(
    req: { readonly applicationId: string; readonly username: string },
    now: number
  ): Either.Either<{ readonly code: string; readonly to: string }, WireBadRequest> {
    if (this.application(req.applicationId) === undefined) return Either.left(bad(messages.incorrectElements))
    const user = this.userInApplication(req.applicationId, req.username)
    if (user === undefined) return Either.left(bad(messages.userNotFound))
    const code = this.newCode(user, "passwordReset", now)
    return Either.right({ code, to: user.email ?? user.username })
  }

  /** `PUT /user/resetpassword`: the right code sets the new password and revokes the user's tokens. */
  resetPassword(
    req: { readonly applicationId: string; readonly username: string; readonly newPassword: string; readonly code: string },
    now: number
  ): Either.Either<void, WireBadRequest> {
    if (this.application(req.applicationId) === undefined) return Either.left(bad(messages.incorrectElements))
    const user = this.userInApplication(req.applicationId, req.username)
    if (user === undefined) return Either.left(bad(messages.userNotFound))
    return Either.map(this.consumeCode(user, "passwordReset", req.code, now), () => {
      user.passwordHash = hashPassword(user.userId, req.newPassword)
      user.updatedAt = now
      this.revokeAll(user.userId)
    })
  }

  /** `POST /auth`: a token for an active user with the right password and an account in the application. */
  login(
    req: { readonly applicationId: string; readonly username: string; readonly password: string; readonly directoryId: string | undefined },
    now: number
  ): Either.Either<{ readonly token: string; readonly claims: Jwt.Claims; readonly user: UserRecord }, WireAccessDenied> {
    const app = this.application(req.applicationId)
    if (app === undefined) return Either.left(loginDenied())
    if (req.directoryId !== undefined && req.directoryId !== app.directoryId) return Either.left(loginDenied())
    const user = this.byUsername(app.directoryId, req.username)
    if (user === undefined || user.status !== "active" || !this.checkPassword(user, req.password)) {
      return Either.left(loginDenied())
    }
    const account = this.accountOf(user.userId, req.applicationId)
    if (account === undefined || !account.active) return Either.left(loginDenied())
    return Either.right({ ...this.issue(user.userId, account.accountId, req.applicationId, now), user })
  }

  private issue(
    userId: string,
    accountId: string,
    applicationId: string,
    now: number,
    kind: { readonly framework: "jwt" | "oauth"; readonly grantType: string } = { framework: "jwt", grantType: "password" }
  ) {
    const iat = Math.floor(now / 1000)
    const jti = this.prng.uuid()
    const claims: Jwt.Claims = { sub: userId, accountId, applicationId, iat, exp: iat + this.settings.tokenLifetimeSeconds, jti }
    this.tokens.set(jti, { userId, revoked: false, createdAt: now, expiresAt: claims.exp * 1000, accountId, ...kind })
    return { token: Jwt.encode(this.jwtSecret, claims), claims }
  }

  private revokeAll(userId: string) {
    for (const entry of this.tokens.values()) if (entry.userId === userId) end(entry, "passwordReset")
  }

  /**
   * Whether an administrator of `applicationId` may act on `userId`: the user has an account
   * there, or had one that was deleted (and the user is still in the directory).
   */
  private memberOf(userId: string, applicationId: string): boolean {
    return this.accountOf(userId, applicationId) !== undefined ||
      (this.users.has(userId) && (this.formerApplications.get(userId)?.has(applicationId) ?? false))
  }

  /** Every token ever issued, with how it ended (for the admin view). */
  listAllTokens(): ReadonlyArray<TokenEntry & { readonly tokenId: string }> {
    return Array.from(this.tokens, ([tokenId, entry]) => ({ tokenId, ...entry }))
  }

  /** Every account, live and removed (for the admin view). */
  listAllAccounts(): ReadonlyArray<AccountRecord & { readonly removedBy: AccountRemoval["removedBy"] | undefined }> {
    return [
      ...Array.from(this.accountsById.values(), (a) => ({ ...a, removedBy: undefined })),
      ...Array.from(this.removedAccounts.values(), (r) => ({
        accountId: r.accountId,
        userId: r.userId,
        applicationId: r.applicationId,
        active: false,
        removedBy: r.removedBy
      }))
    ]
  }

  // ---------------------------------------------------------------------------------------------
  // tokens

  /** A valid token: signed here, not expired, not revoked, of an existing user, for this application. */
  checkToken(applicationId: string, token: string, now: number): CheckedToken | undefined {
    const claims = Jwt.decode(this.jwtSecret, token)
    if (claims === undefined) return undefined
    const entry = this.tokens.get(claims.jti)
    if (entry === undefined || entry.revoked || entry.userId !== claims.sub) return undefined
    if (Math.floor(now / 1000) >= claims.exp) return undefined
    if (claims.applicationId !== applicationId) return undefined
    const developer = claims.sub === this.seed.developerUserId
    if (!developer && !this.users.has(claims.sub)) return undefined
    return { claims, developer }
  }

  /** `GET /auth/newToken`: a fresh token for the same account (the old one stays valid until it expires). */
  renew(claims: Jwt.Claims, now: number) {
    return this.issue(claims.sub, claims.accountId, claims.applicationId, now)
  }

  /** `DELETE /auth/deleteToken`. */
  revoke(claims: Jwt.Claims): void {
    const entry = this.tokens.get(claims.jti)
    if (entry !== undefined) end(entry, "deleteToken")
  }

  /** `PUT /user/{userId}/username`, once the caller has shown that user's token. */
  changeUsername(userId: string, username: string, now: number): Either.Either<void, WireBadRequest | WireAccessDenied> {
    const user = this.users.get(userId)
    if (user === undefined) return Either.left(denied())
    const other = this.byUsername(user.directoryId, username)
    if (other !== undefined && other.userId !== userId) return Either.left(bad(messages.userAlreadyExists))
    this.userIdByName.delete(UserSystem.nameKey(user.directoryId, user.username))
    user.username = username.trim().toLowerCase()
    this.userIdByName.set(UserSystem.nameKey(user.directoryId, user.username), userId)
    user.updatedAt = now
    return Either.void
  }

  // ---------------------------------------------------------------------------------------------
  // admin

  /**
   * Whether a request satisfies one security scheme of the spec, and what it grants: the
   * application it acts for, and for a user's token the checked token. `undefined`: not
   * satisfied. The alternatives that combine schemes are evaluated in `security.ts`.
   */
  satisfies(
    scheme: SecurityScheme,
    headers: { readonly authorization: string | undefined; readonly applicationId: string | undefined; readonly token: string | undefined },
    now: number
  ): { readonly application?: string; readonly session?: CheckedToken } | undefined {
    const { applicationId, authorization, token } = headers
    switch (scheme) {
      case "applicationId":
        return applicationId !== undefined && this.application(applicationId) !== undefined ? { application: applicationId } : undefined
      case "appKeys": {
        const basic = parseBasic(authorization)
        const keys = this.seed.appKeys
        return basic !== undefined && basic.keyId === keys.keyId && basic.secret === keys.secret
          ? { application: this.seed.applicationId }
          : undefined
      }
      case "orgAppKeys": {
        // Organisation keys act for an application of the organisation, named by `applicationId`.
        const basic = parseBasic(authorization)
        const keys = this.seed.organisationKeys
        const app = applicationId === undefined ? undefined : this.application(applicationId)
        return basic !== undefined && basic.keyId === keys.keyId && basic.secret === keys.secret &&
            app !== undefined && app.organisationId === this.seed.organisationId
          ? { application: applicationId! }
          : undefined
      }
      case "devUserToken":
      case "userToken": {
        if (applicationId === undefined || token === undefined) return undefined
        const checked = this.checkToken(applicationId, token, now)
        if (checked === undefined || checked.developer !== (scheme === "devUserToken")) return undefined
        return scheme === "userToken" ? { application: applicationId, session: checked } : { application: applicationId }
      }
      case "oAccessAuthToken": {
        const checked = token === undefined ? undefined : this.checkOAuthToken(token, now)
        return checked === undefined ? undefined : { application: checked.claims.applicationId, session: checked }
      }
      case "userId":
        // A user the alternative's other schemes may act for: checked in security.ts, which
        // knows the application they granted.
        return {}
    }
  }

  /** `POST /user`: an active user without a password, with an account in the application. */
  adminCreate(applicationId: string, req: { readonly directoryId: string; readonly username: string }, now: number): Either.Either<UserView, WireBadRequest> {
    const app = this.application(applicationId)
    if (app === undefined || app.directoryId !== req.directoryId) return Either.left(bad(messages.incorrectElements))
    if (this.byUsername(req.directoryId, req.username) !== undefined) return Either.left(bad(messages.userAlreadyExists))
    const userId = this.prng.uuid()
    const user: UserRecord = {
      userId,
      directoryId: req.directoryId,
      username: req.username,
      email: undefined,
      name: undefined,
      passwordHash: undefined,
      status: "active",
      createdAt: now,
      updatedAt: now,
      codes: {},
      lastCodes: {}
    }
    this.insertUser(user, { accountId: this.prng.uuid(), userId, applicationId, active: true })
    return Either.right(this.view(user))
  }

  /** A user with an account in the application, by id. */
  getUser(applicationId: string, userId: string): Either.Either<UserView, WireNotFound> {
    const user = this.users.get(userId)
    if (user === undefined || !this.memberOf(userId, applicationId)) {
      return Either.left(new WireNotFound({ message: messages.notFound }))
    }
    return Either.right(this.view(user))
  }

  /** A user with an account in the application, by username. */
  findUser(applicationId: string, username: string): Either.Either<UserView, WireNotFound> {
    const user = this.userInApplication(applicationId, username)
    if (user === undefined || !this.memberOf(user.userId, applicationId)) {
      return Either.left(new WireNotFound({ message: messages.notFound }))
    }
    return Either.right(this.view(user))
  }

  /**
   * Deletes a user, all its accounts and tokens, and its pending codes; answers the addresses
   * its codes went to, whose unread messages the caller voids in the inbox. The tokens' entries
   * stay, revoked (`userDeleted`), for the admin view: none of them is valid any more.
   */
  deleteUser(applicationId: string, userId: string): Either.Either<ReadonlyArray<string>, WireNotFound> {
    return Either.map(this.getUser(applicationId, userId), ({ user }) => {
      this.userIdByName.delete(UserSystem.nameKey(user.directoryId, user.username))
      this.users.delete(userId)
      for (const account of this.accountsByUser.get(userId) ?? []) {
        this.accountsById.delete(account.accountId)
        this.accountData.delete(account.accountId)
        this.removedAccounts.set(account.accountId, { ...account, removedBy: "userDeleted" })
      }
      this.accountsByUser.delete(userId)
      this.formerApplications.delete(userId)
      for (const entry of this.tokens.values()) if (entry.userId === userId) end(entry, "userDeleted")
      for (const [code, entry] of this.oauthCodes) if (entry.userId === userId) this.oauthCodes.delete(code)
      for (const [token, entry] of this.refreshTokens) if (entry.userId === userId) this.refreshTokens.delete(token)
      this.consents.delete(userId)
      return [...new Set([user.email ?? user.username, user.username])]
    })
  }

  // ---------------------------------------------------------------------------------------------
  // accounts

  private data(account: AccountRecord, now: number): AccountData {
    let d = this.accountData.get(account.accountId)
    if (d === undefined) {
      d = { name: undefined, createdAt: now, updatedAt: now, mobileTokens: new Set(), profiles: new Map(), session: {} }
      this.accountData.set(account.accountId, d)
    }
    return d
  }

  /** An account with what the admin views show of it and of its user. */
  accountView(account: AccountRecord, now: number) {
    const user = this.users.get(account.userId)
    const d = this.data(account, now)
    return {
      account,
      directoryId: user?.directoryId,
      username: user?.username,
      email: user?.email,
      name: d.name ?? user?.name,
      createdAt: user === undefined ? d.createdAt : Math.min(user.createdAt, d.createdAt),
      updatedAt: Math.max(user?.updatedAt ?? 0, d.updatedAt),
      mobileTokens: [...d.mobileTokens],
      profileNames: [...d.profiles.keys()],
      session: { ...d.session }
    }
  }

  /** The account `accountId` of the application, or `undefined`. */
  accountIn(applicationId: string, accountId: string): AccountRecord | undefined {
    const account = this.accountsById.get(accountId)
    return account === undefined || account.applicationId !== applicationId ? undefined : account
  }

  /** `GET /account`: every account of the application. */
  listAccounts(applicationId: string, now: number) {
    const out = []
    for (const account of this.accountsById.values()) {
      if (account.applicationId === applicationId) out.push(this.accountView(account, now))
    }
    return out
  }

  /** `POST /account`: links a user of the application's directory to it (the existing account if there is one). */
  addAccount(
    applicationId: string,
    req: { readonly directoryId: string; readonly username: string },
    now: number
  ): Either.Either<AccountRecord, WireBadRequest> {
    const app = this.application(applicationId)
    if (app === undefined || app.directoryId !== req.directoryId) return Either.left(bad(messages.incorrectElements))
    const user = this.byUsername(req.directoryId, req.username)
    if (user === undefined) return Either.left(bad(messages.userNotFound))
    const existing = this.accountOf(user.userId, applicationId)
    if (existing !== undefined) return Either.right(existing)
    const account: AccountRecord = { accountId: this.prng.uuid(), userId: user.userId, applicationId, active: true }
    this.accountsByUser.get(user.userId)!.push(account)
    this.accountsById.set(account.accountId, account)
    this.data(account, now)
    return Either.right(account)
  }

  /** `PUT /account/{accountId}`: renames the account. */
  updateAccount(applicationId: string, accountId: string, name: string, now: number): Either.Either<AccountRecord, WireBadRequest> {
    const account = this.accountIn(applicationId, accountId)
    if (account === undefined) return Either.left(bad(messages.accountNotFound))
    const d = this.data(account, now)
    d.name = name
    d.updatedAt = now
    return Either.right(account)
  }

  /**
   * `DELETE /account/{accountId}`: removes the account, its data and the tokens issued for it.
   * Deleting it again answers as the first time did (the spec declares no 404).
   */
  deleteAccount(applicationId: string, accountId: string): Either.Either<{ readonly userId: string }, WireBadRequest> {
    const gone = this.deletedAccounts.get(accountId)
    if (gone !== undefined && gone.applicationId === applicationId) return Either.right({ userId: gone.userId })
    const account = this.accountIn(applicationId, accountId)
    if (account === undefined) return Either.left(bad(messages.accountNotFound))
    const list = this.accountsByUser.get(account.userId)
    if (list !== undefined) list.splice(list.indexOf(account), 1)
    this.accountsById.delete(accountId)
    this.accountData.delete(accountId)
    this.deletedAccounts.set(accountId, { applicationId, userId: account.userId })
    this.removedAccounts.set(accountId, { accountId, userId: account.userId, applicationId, removedBy: "deleteAccount" })
    let former = this.formerApplications.get(account.userId)
    if (former === undefined) this.formerApplications.set(account.userId, former = new Set())
    former.add(applicationId)
    for (const entry of this.tokens.values()) {
      if (entry.userId === account.userId && entry.accountId === accountId) end(entry, "accountDeleted")
    }
    return Either.right({ userId: account.userId })
  }

  // ---------------------------------------------------------------------------------------------
  // the user's own account (the caller has shown the user's token)

  /** The account a token was issued for. */
  accountOfClaims(claims: Jwt.Claims): AccountRecord | undefined {
    return this.accountIn(claims.applicationId, claims.accountId)
  }

  /** `POST /account/changepassword`. */
  changePassword(claims: Jwt.Claims, oldPassword: string, newPassword: string, now: number): Either.Either<void, WireBadRequest | WireAccessDenied> {
    const user = this.users.get(claims.sub)
    if (user === undefined) return Either.left(denied())
    if (!this.checkPassword(user, oldPassword)) return Either.left(bad(messages.wrongOldPassword))
    if (newPassword.length < 8) return Either.left(bad(messages.weakPassword))
    user.passwordHash = hashPassword(user.userId, newPassword)
    user.updatedAt = now
    return Either.void
  }

  /** `POST /account/email` and `POST /account/name`. */
  changeProfile(claims: Jwt.Claims, change: { readonly email?: string; readonly name?: string }, now: number): Either.Either<void, WireAccessDenied> {
    const user = this.users.get(claims.sub)
    if (user === undefined) return Either.left(denied())
    if (change.email !== undefined) user.email = change.email
    if (change.name !== undefined) user.name = change.name
    user.updatedAt = now
    return Either.void
  }

  /** The data of the token's account, if `accountId` (when given) is that account. */
  ownAccount(claims: Jwt.Claims, now: number, accountId?: string): Either.Either<AccountData, WireAccessDenied> {
    const account = this.accountOfClaims(claims)
    if (account === undefined || (accountId !== undefined && accountId !== account.accountId)) return Either.left(denied())
    return Either.right(this.data(account, now))
  }

  // ---------------------------------------------------------------------------------------------
  // the token list

  /** `GET /auth/token`: the user's tokens that are neither revoked nor expired. */
  listTokens(userId: string, now: number) {
    const out = []
    for (const [tokenId, entry] of this.tokens) {
      if (entry.userId === userId && !entry.revoked && entry.expiresAt > now) out.push({ tokenId, ...entry })
    }
    return out
  }

  /** `DELETE /auth/token/{tokenId}`: revokes one of the user's tokens (again: no change). */
  revokeToken(userId: string, tokenId: string): Either.Either<void, WireBadRequest> {
    const entry = this.tokens.get(tokenId)
    if (entry === undefined || entry.userId !== userId) return Either.left(bad(messages.incorrectElements))
    end(entry, "deleteTokenById")
    return Either.void
  }

  // ---------------------------------------------------------------------------------------------
  // OAuth

  /** `POST /auth/oauth`: a single-use authorization code, for the same checks as a login. */
  oauthCode(
    req: { readonly applicationId: string; readonly username: string; readonly password: string; readonly directoryId: string | undefined },
    now: number
  ): Either.Either<{ readonly code: string; readonly expiresAt: number; readonly user: UserRecord; readonly accountId: string }, WireAccessDenied> {
    const app = this.application(req.applicationId)
    if (app === undefined) return Either.left(loginDenied())
    if (req.directoryId !== undefined && req.directoryId !== app.directoryId) return Either.left(loginDenied())
    const user = this.byUsername(app.directoryId, req.username)
    if (user === undefined || user.status !== "active" || !this.checkPassword(user, req.password)) return Either.left(loginDenied())
    const account = this.accountOf(user.userId, req.applicationId)
    if (account === undefined || !account.active) return Either.left(loginDenied())
    const code = this.prng.hex(42)
    const expiresAt = now + oauthCodeTtlMillis
    this.oauthCodes.set(code, { userId: user.userId, accountId: account.accountId, applicationId: req.applicationId, expiresAt, used: false })
    return Either.right({ code, expiresAt, user, accountId: account.accountId })
  }

  /** `POST /auth/oauth/access`: access and refresh tokens for a code or a refresh token, each usable once. */
  oauthExchange(
    req: { readonly grantType: "authorization_code" | "refresh_token"; readonly clientId: string; readonly secret: string | undefined },
    now: number
  ): Either.Either<{ readonly accessToken: string; readonly refreshToken: string; readonly expiresIn: number }, WireBadRequest | WireAccessDenied> {
    let grant: { userId: string; accountId: string; applicationId: string; used: boolean } | undefined
    if (req.secret === undefined) return Either.left(bad(messages.missingElements))
    if (req.grantType === "authorization_code") {
      const code = this.oauthCodes.get(req.secret)
      if (code === undefined || code.used) return Either.left(bad(messages.oauthCodeUsed))
      if (now >= code.expiresAt) {
        this.oauthCodes.delete(req.secret)
        return Either.left(bad(messages.oauthCodeExpired))
      }
      grant = code
    } else {
      const refresh = this.refreshTokens.get(req.secret)
      if (refresh === undefined || refresh.used) return Either.left(bad(messages.invalidGrant))
      grant = refresh
    }
    // The client is the application the code was issued for.
    if (req.clientId !== grant.applicationId) return Either.left(denied())
    if (!this.users.has(grant.userId)) return Either.left(denied())
    grant.used = true
    const issued = this.issue(grant.userId, grant.accountId, grant.applicationId, now, { framework: "oauth", grantType: req.grantType })
    const refreshToken = this.prng.hex(48)
    this.refreshTokens.set(refreshToken, { userId: grant.userId, accountId: grant.accountId, applicationId: grant.applicationId, used: false })
    return Either.right({ accessToken: issued.token, refreshToken, expiresIn: issued.claims.exp - issued.claims.iat })
  }

  /** A valid OAuth access token (of any application): signed here, not expired, not revoked. */
  checkOAuthToken(token: string, now: number): CheckedToken | undefined {
    const claims = Jwt.decode(this.jwtSecret, token)
    if (claims === undefined) return undefined
    const entry = this.tokens.get(claims.jti)
    if (entry === undefined || entry.framework !== "oauth") return undefined
    return this.checkToken(claims.applicationId, token, now)
  }

  /** A user, by id (for the OAuth validation answer). */
  userById(userId: string): UserView | undefined {
    const user = this.users.get(userId)
    return user === undefined ? undefined : this.view(user)
  }

  // ---------------------------------------------------------------------------------------------
  // meter point consent

  /** Whether an admin of `applicationId` may act for `userId` (an account there, now or deleted). */
  userInApp(applicationId: string, userId: string): boolean {
    return this.memberOf(userId, applicationId)
  }

  /** The user's meter points, in the order they were first consented. */
  consentsOf(userId: string): ReadonlyArray<ConsentRecord> {
    return [...(this.consents.get(userId)?.values() ?? [])]
  }

  /** One meter point's record, if the user has one. */
  consentOf(userId: string, mpxn: string): ConsentRecord | undefined {
    return this.consents.get(userId)?.get(mpxn)
  }

  /** Renews consent for a meter point (the first renewal creates its record). */
  renewConsent(by: ConsentActor & { readonly subject: string }, mpxn: string, until: number | undefined, now: number): Either.Either<ConsentRecord, WireBadRequest> {
    const isValidUntil = until ?? now + maxConsentMillis
    if (isValidUntil <= now || isValidUntil > now + maxConsentMillis) return Either.left(bad(messages.consentTooLong))
    let records = this.consents.get(by.subject)
    if (records === undefined) {
      records = new Map()
      this.consents.set(by.subject, records)
    }
    let record = records.get(mpxn)
    if (record === undefined) {
      record = { mpxn, mpxnKey: mpxn.length === 13 || mpxn.length === 21 ? "mpan" : "mprn", isValidUntil: undefined, renewals: [], revocations: [] }
      records.set(mpxn, record)
    }
    record.isValidUntil = isValidUntil
    record.renewals.push({ id: this.prng.uuid(), createdAt: now, isValidUntil, by: { userId: by.userId, applicationId: by.applicationId } })
    return Either.right(record)
  }

  /** Revokes consent for a meter point the user has a record of (again: another revocation, no change to the end). */
  revokeConsent(by: ConsentActor & { readonly subject: string }, mpxn: string, from: number | undefined, now: number): Either.Either<ConsentRecord, WireBadRequest> {
    const record = this.consents.get(by.subject)?.get(mpxn)
    if (record === undefined) return Either.left(bad(messages.meterPointNotFound))
    const at = Math.max(now, from ?? now)
    if (record.isValidUntil === undefined || record.isValidUntil > at) record.isValidUntil = at
    record.revocations.push({ id: this.prng.uuid(), createdAt: now, by: { userId: by.userId, applicationId: by.applicationId } })
    return Either.right(record)
  }
}
