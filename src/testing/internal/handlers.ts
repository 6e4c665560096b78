/**
 * The endpoints of the `GlowmarktApi` declaration, implemented over the in-memory
 * {@link UserSystem} with `HttpApiBuilder`.
 *
 * Credentials of the `admin` and `session` groups are checked before the router runs (see
 * `server.ts`), which hands the result to these handlers through two `FiberRef`s.
 *
 * @internal
 */
import type * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import type * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { GlowmarktApi } from "../../schema/GlowmarktApi.js"
import { AccountId, ApplicationId, UserId } from "../../schema/Identifiers.js"
import {
  AddUserRes,
  CreateUserRes,
  IsValidRes,
  LoginRes,
  NewTokenRes,
  TokenCheckRes,
  UserApplication,
  VerifyUserRes
} from "../../schema/Models.js"
import { WireAccessDenied } from "../../schema/WireErrors.js"
import type { InboxService } from "../Inbox.js"
import type { CheckedToken, UserSystem, UserView } from "./state.js"
import { messages } from "./state.js"
import { type ConsentSubject, groups } from "./moreHandlers.js"

/** The checked token of the current `session` request. @internal */
export const currentSession: FiberRef.FiberRef<CheckedToken | undefined> = FiberRef.unsafeMake<CheckedToken | undefined>(
  undefined
)

/** The application the current `admin` request acts for. @internal */
export const currentAdminApplication: FiberRef.FiberRef<string | undefined> = FiberRef.unsafeMake<string | undefined>(
  undefined
)

/** Who the current `consent` request is for. @internal */
export const currentConsentSubject: FiberRef.FiberRef<ConsentSubject | undefined> = FiberRef.unsafeMake<
  ConsentSubject | undefined
>(undefined)

/** What the handlers work on. @internal */
export interface Core {
  readonly state: UserSystem
  readonly inbox: InboxService
  readonly clock: Clock.Clock
}

const denied = () => new WireAccessDenied({ message: messages.accessDenied })

const toUser = <A>(make: (fields: ConstructorParameters<typeof AddUserRes>[0]) => A) => ({ accounts, user }: UserView): A =>
  make({
    userId: UserId.make(user.userId),
    status: user.status,
    active: user.status === "active",
    applications: accounts.map((a) =>
      new UserApplication({
        accountId: AccountId.make(a.accountId),
        active: a.active,
        applicationId: ApplicationId.make(a.applicationId)
      })
    ),
    createdAt: new Date(user.createdAt),
    updatedAt: new Date(user.updatedAt)
  })

const toAddUserRes = toUser((f) => new AddUserRes(f))
const toCreateUserRes = toUser((f) => new CreateUserRes(f))

const valid = new IsValidRes({ valid: true })

/** The three groups, implemented. @internal */
export const layer = (core: Core): Layer.Layer<HttpApi.Api, never, HttpApiBuilder.Router> => {
  const { clock, inbox, state } = core
  const now = clock.currentTimeMillis
  // Every handler is one atomic step on the state (plus the email it sends): uninterruptible, so
  // that a client that goes away cannot leave half of it done.
  const atomic = { uninterruptible: true } as const

  const Public = HttpApiBuilder.group(GlowmarktApi, "public", (handlers) =>
    handlers
      .handle("addUser", ({ payload }) =>
        Effect.gen(function*() {
          const result = yield* state.register({
            applicationId: payload.applicationId,
            directoryId: payload.directoryId,
            email: payload.email,
            name: payload.name,
            password: Redacted.value(payload.password),
            username: payload.username
          }, yield* now)
          yield* inbox.deliver({ to: result.to, kind: "verification", code: result.code })
          return toAddUserRes(result.view)
        }), atomic)
      .handle("generateUserVerificationToken", ({ payload }) =>
        Effect.gen(function*() {
          const result = yield* state.requestVerification({
            applicationId: payload.applicationId,
            username: payload.username,
            password: Redacted.value(payload.password)
          }, yield* now)
          yield* inbox.deliver({ to: result.to, kind: "verification", code: result.code })
          return valid
        }), atomic)
      .handle("verifyUser", ({ payload }) =>
        Effect.gen(function*() {
          const user = yield* state.verify({
            applicationId: payload.applicationId,
            username: payload.username,
            password: Redacted.value(payload.password),
            code: payload.token
          }, yield* now)
          return new VerifyUserRes({ status: user.status, userId: UserId.make(user.userId), valid: true })
        }), atomic)
      .handle("generateUserPasswordResetToken", ({ payload }) =>
        Effect.gen(function*() {
          const result = yield* state.requestReset(payload, yield* now)
          yield* inbox.deliver({ to: result.to, kind: "passwordReset", code: result.code })
          return valid
        }), atomic)
      .handle("resetPasswordUser", ({ payload }) =>
        Effect.gen(function*() {
          yield* state.resetPassword({
            applicationId: payload.applicationId,
            username: payload.username,
            newPassword: Redacted.value(payload.newPassword),
            code: payload.token
          }, yield* now)
          return valid
        }), atomic)
      .handle("usernamelogin", ({ headers, payload }) =>
        Effect.gen(function*() {
          const { claims, token, user } = yield* state.login({
            applicationId: headers.applicationid,
            username: payload.username,
            password: Redacted.value(payload.password),
            directoryId: payload.directoryId
          }, yield* now)
          return new LoginRes({
            valid: true,
            token: Redacted.make(token),
            exp: claims.exp,
            accountId: AccountId.make(claims.accountId),
            applicationId: ApplicationId.make(claims.applicationId),
            name: user.name ?? user.username
          })
        }), atomic))

  const adminApplication = Effect.flatMap(
    FiberRef.get(currentAdminApplication),
    (app) => (app === undefined ? Effect.fail(denied()) : Effect.succeed(app))
  )

  const Admin = HttpApiBuilder.group(GlowmarktApi, "admin", (handlers) =>
    handlers
      .handle("createUser", ({ payload }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          return toCreateUserRes(yield* state.adminCreate(app, payload, yield* now))
        }), atomic)
      .handle("getUserbyUsername", ({ urlParams }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          return toAddUserRes(yield* state.findUser(app, urlParams.username))
        }))
      .handle("getUserbyId", ({ path }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          return toAddUserRes(yield* state.getUser(app, path.userId))
        }))
      .handle("deleteUserbyId", ({ path }) =>
        Effect.gen(function*() {
          const app = yield* adminApplication
          const addresses = yield* state.deleteUser(app, path.userId)
          yield* Effect.forEach(addresses, inbox.discard, { discard: true })
          return valid
        }), atomic))

  const session = Effect.flatMap(
    FiberRef.get(currentSession),
    (s) => (s === undefined ? Effect.fail(denied()) : Effect.succeed(s.claims))
  )

  const Session = HttpApiBuilder.group(GlowmarktApi, "session", (handlers) =>
    handlers
      .handle("tokencheck", () =>
        Effect.map(session, (claims) =>
          new TokenCheckRes({
            valid: true,
            exp: claims.exp,
            accountId: AccountId.make(claims.accountId),
            applicationId: ApplicationId.make(claims.applicationId)
          })))
      .handle("newToken", () =>
        Effect.gen(function*() {
          const claims = yield* session
          const renewed = state.renew(claims, yield* now)
          return new NewTokenRes({ valid: true, token: Redacted.make(renewed.token), exp: renewed.claims.exp })
        }), atomic)
      .handle("deleteToken", () =>
        Effect.gen(function*() {
          state.revoke(yield* session)
          return valid
        }), atomic)
      .handle("updateUsernameUserId", ({ path, payload }) =>
        Effect.gen(function*() {
          const claims = yield* session
          if (claims.sub !== path.userId) return yield* Effect.fail(denied())
          yield* state.changeUsername(path.userId, payload.username, yield* now)
          return valid
        }), atomic))

  const more = groups(core, { session: currentSession, admin: currentAdminApplication, consent: currentConsentSubject })
  return HttpApiBuilder.api(GlowmarktApi).pipe(Layer.provide([Public, Admin, Session, ...more]))
}
