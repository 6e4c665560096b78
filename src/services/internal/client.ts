/**
 * The three derived clients, one per security group, each with its own `HttpClient` that adds
 * exactly that group's headers. Built once per layer, never per call.
 *
 * @internal
 */
import * as HttpApiClient from "@effect/platform/HttpApiClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import { basePath, GlowmarktApi } from "../../schema/GlowmarktApi.js"
import type { ApplicationId, AuthToken } from "../../schema/Identifiers.js"
import { AdminAuth, applyAdmin } from "../Credentials.js"
import { GlowmarktConfig } from "../GlowmarktConfig.js"
import { withProbe } from "./call.js"
import * as Deadlines from "./deadlines.js"

/**
 * The `applicationId` and token of the current session call. Internal: callers provide a
 * `UserSession`, whose calls provide this.
 */
export class SessionToken extends Context.Tag("effect-glowmarkt/internal/SessionToken")<SessionToken, {
  readonly applicationId: ApplicationId
  readonly token: AuthToken
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
  const base = (yield* HttpClient.HttpClient).pipe(
    HttpClient.mapRequest(HttpClientRequest.prependUrl(origin)),
    HttpClient.mapRequest(HttpClientRequest.acceptJson),
    // The platform's own client span ends with the failed request in its exit: body (passwords)
    // and headers (keys, tokens) included. Each operation has its own span instead (see call.ts).
    HttpClient.withTracerDisabledWhen(() => true),
    // Each attempt runs in a scope of its own: closing it aborts the request (see deadlines.ts).
    HttpClient.withScope
  )
  const publicClient = yield* HttpApiClient.group(GlowmarktApi, { group: "public", httpClient: withProbe(base) })
  const adminClient = yield* HttpApiClient.group(GlowmarktApi, {
    group: "admin",
    httpClient: withProbe(
      HttpClient.mapRequestEffect(base, (request) => Effect.map(AdminAuth, (credential) => applyAdmin(credential)(request)))
    )
  })
  const sessionClient = yield* HttpApiClient.group(GlowmarktApi, {
    group: "session",
    httpClient: withProbe(
      HttpClient.mapRequestEffect(base, (request) =>
        Effect.map(SessionToken, ({ applicationId, token }) =>
          HttpClientRequest.setHeaders(request, { applicationId, token: Redacted.value(token) })))
    )
  })
  return { settings, deadlines, public: publicClient, admin: adminClient, session: sessionClient } as const
})

/** The derived clients. */
export type Clients = Effect.Effect.Success<typeof makeClients>
