/**
 * The derived clients, one per group of the declaration (the lean client of `lean.ts`), each with
 * its own `HttpClient` that adds exactly that group's headers. Built once per layer, never per
 * call.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { basePath, GlowmarktApi } from "../../schema/GlowmarktApi.js"
import type { ApplicationId, AuthToken, UserId } from "../../schema/Identifiers.js"
import { AdminAuth, applyAdmin } from "../Credentials.js"
import { GlowmarktConfig } from "../GlowmarktConfig.js"
import { recordResponse } from "./call.js"
import * as UndiciHttpClient from "../../transport/UndiciHttpClient.js"
import * as Deadlines from "./deadlines.js"
import * as Lean from "./lean.js"

/**
 * The `applicationId` and token of the current session call. Internal: callers provide a
 * `UserSession`, whose calls provide this.
 */
export class SessionToken extends Context.Tag("effect-glowmarkt/internal/SessionToken")<SessionToken, {
  readonly applicationId: ApplicationId
  readonly token: AuthToken
}>() {}

/** The OAuth access token of the current `oauthAccess` call. Internal. */
export class OAuthAccessToken extends Context.Tag("effect-glowmarkt/internal/OAuthAccessToken")<OAuthAccessToken, {
  readonly token: Redacted.Redacted<string>
}>() {}

/** The user an admin `consent` call is for (the `userId` header). Internal. */
export class ConsentUser extends Context.Tag("effect-glowmarkt/internal/ConsentUser")<ConsentUser, {
  readonly userId: UserId
}>() {}

/**
 * Builds the derived clients from the configured `HttpClient`, and starts the fiber that times
 * out their attempts (it lives as long as the scope).
 */
export const makeClients = Effect.gen(function*() {
  const settings = yield* GlowmarktConfig
  const deadlines = Deadlines.make(yield* Effect.clock, settings.requestTimeout)
  yield* Effect.forkScoped(deadlines.watch)
  // The declaration carries the `/api/v0-1` prefix; the configured base URL ends with it.
  const origin = settings.baseUrl.slice(0, settings.baseUrl.length - basePath.length)
  // Each attempt runs in a scope of its own: closing it aborts the request (see deadlines.ts).
  // `UndiciHttpClient` needs no scope per request: its request hands its abort to the attempt
  // (`RequestAbort`), without an `AbortController` (13-27 µs a call, BENCHMARKS.md).
  // The platform's own client span is disabled for the attempt (call.ts): it would end with the
  // failed request in its exit, body (passwords) and headers (keys, tokens) included.
  const http = yield* HttpClient.HttpClient
  const base = UndiciHttpClient.honoursRequestAbort(http) ? http : HttpClient.withScope(http)
  // The origin and `accept` are part of each request as the lean client builds it (one request
  // object per call, not one per `mapRequest`); it records each response's status and request
  // into the current attempt (`call.ts`).
  const common = { baseUrl: origin, headers: { accept: "application/json" }, onResponse: recordResponse } as const
  const adminHttp = HttpClient.mapRequestEffect(base, (request) => Effect.map(AdminAuth, (credential) => applyAdmin(credential)(request)))
  const sessionHttp = HttpClient.mapRequestEffect(base, (request) =>
    Effect.map(SessionToken, ({ applicationId, token }) =>
      HttpClientRequest.setHeaders(request, { applicationId, token: Redacted.value(token) })))
  const publicClient = yield* Lean.group(GlowmarktApi, { ...common, group: "public", httpClient: base })
  const adminClient = yield* Lean.group(GlowmarktApi, { ...common, group: "admin", httpClient: adminHttp })
  const sessionClient = yield* Lean.group(GlowmarktApi, { ...common, group: "session", httpClient: sessionHttp })
  const accountAdmin = yield* Lean.group(GlowmarktApi, {
    ...common, group: "accountAdmin", httpClient: adminHttp })
  const accountSession = yield* Lean.group(GlowmarktApi, {
    ...common, group: "accountSession", httpClient: sessionHttp })
  const userTokens = yield* Lean.group(GlowmarktApi, {
    ...common, group: "userTokens", httpClient: sessionHttp })
  const oauthPublic = yield* Lean.group(GlowmarktApi, {
    ...common, group: "oauthPublic", httpClient: base })
  const oauthAccess = yield* Lean.group(GlowmarktApi, {
    ...common,
    group: "oauthAccess",
    httpClient: HttpClient.mapRequestEffect(base, (request) =>
        Effect.map(OAuthAccessToken, ({ token }) => HttpClientRequest.setHeader(request, "token", Redacted.value(token))))
  })
  // The consent operations, twice: as an admin for a user (`userId` header), and as the user.
  const consentAsAdmin = yield* Lean.group(GlowmarktApi, {
    ...common,
    group: "consent",
    httpClient: HttpClient.mapRequestEffect(base, (request) =>
        Effect.zipWith(
          AdminAuth,
          ConsentUser,
          (credential, { userId }) => HttpClientRequest.setHeader(applyAdmin(credential)(request), "userId", userId)
        ))
  })
  const consentAsUser = yield* Lean.group(GlowmarktApi, {
    ...common, group: "consent", httpClient: sessionHttp })
  return {
    settings,
    deadlines,
    // What the layer was built with, under each attempt's own context, as `HttpApiClient` merges
    // it into every call: a transport reads its options from there (`UndiciRequestOptions`,
    // `FetchHttpClient.RequestInit`) when they are provided to the layer rather than the call.
    built: yield* Effect.context<never>(),
    public: publicClient,
    admin: adminClient,
    session: sessionClient,
    accountAdmin,
    accountSession,
    userTokens,
    oauthPublic,
    oauthAccess,
    consentAsAdmin,
    consentAsUser
  } as const
})

/** The derived clients. */
export type Clients = Effect.Effect.Success<typeof makeClients>

/**
 * The derived clients as a service, so that every service layer of one build shares one set
 * (layers are memoised by reference: `Glowmarkt.layer` merges the services' own layers, and
 * this one is built once).
 */
export class ClientsService extends Context.Tag("effect-glowmarkt/internal/Clients")<ClientsService, Clients>() {}

/** {@link ClientsService} from the configured `HttpClient`. */
export const clientsLayer = Layer.scoped(ClientsService, makeClients)
