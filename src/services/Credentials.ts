/**
 * Admin credentials, as a requirement of the calls that need them.
 *
 * The User System accepts three alternatives for its admin endpoints. Each is one value of
 * {@link AdminCredential}, and a call sends only the headers of the alternative it was given:
 *
 * | alternative        | headers sent                                    |
 * |--------------------|-------------------------------------------------|
 * | `AppKeys`          | `Authorization: Basic` (app key id and secret)  |
 * | `OrganisationKeys` | `applicationId` + `Authorization: Basic`        |
 * | `DeveloperToken`   | `applicationId` + `token`                       |
 *
 * Admin operations have {@link AdminAuth} in their requirements, so a program that calls one
 * without providing a credential does not compile. Provide it for a whole layer
 * ({@link layerAdmin}, {@link layerAdminConfig}) or for one call ({@link withAdmin}).
 *
 * @since 0.1.0
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { dual } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import { InvalidConfigError } from "../schema/GlowmarktError.js"
import { ApplicationId } from "../schema/Identifiers.js"

/**
 * An admin credential: one of the three alternatives the User System accepts.
 *
 * @since 0.1.0
 */
export type AdminCredential = Data.TaggedEnum<{
  /** HTTP basic app keys, alone. */
  AppKeys: { readonly keyId: string; readonly secret: Redacted.Redacted<string> }
  /** HTTP basic organisation keys, with the application they act for. */
  OrganisationKeys: {
    readonly applicationId: ApplicationId
    readonly keyId: string
    readonly secret: Redacted.Redacted<string>
  }
  /** A developer user's token, with the application it acts for. */
  DeveloperToken: { readonly applicationId: ApplicationId; readonly token: Redacted.Redacted<string> }
}>

const { $match, AppKeys, DeveloperToken, OrganisationKeys } = Data.taggedEnum<AdminCredential>()

const asRedacted = (s: string | Redacted.Redacted<string>) => (Redacted.isRedacted(s) ? s : Redacted.make(s))

const headerSafe = /^[^\r\n\0]*$/

const check = (credential: AdminCredential): Either.Either<AdminCredential, InvalidConfigError> => {
  const fail = (setting: string, problem: string) => Either.left(new InvalidConfigError({ setting, problem }))
  if ("keyId" in credential) {
    if (credential.keyId.length === 0) return fail(`${credential._tag}.keyId`, "must not be empty")
    if (credential.keyId.includes(":")) return fail(`${credential._tag}.keyId`, "must not contain ':'")
    if (!headerSafe.test(credential.keyId)) return fail(`${credential._tag}.keyId`, "must not contain CR, LF or NUL")
    if (Redacted.value(credential.secret).length === 0) return fail(`${credential._tag}.secret`, "must not be empty")
  }
  if ("token" in credential) {
    const token = Redacted.value(credential.token)
    if (token.length === 0) return fail("DeveloperToken.token", "must not be empty")
    if (!headerSafe.test(token)) return fail("DeveloperToken.token", "must not contain CR, LF or NUL")
  }
  return Either.right(credential)
}

const decodeApplicationId = (value: string) =>
  Schema.decodeUnknownEither(ApplicationId)(value).pipe(
    Either.mapLeft(() =>
      new InvalidConfigError({ setting: "applicationId", problem: "must be a non-empty id without spaces or control characters" })
    )
  )

/**
 * Constructors that check what they are given (an empty secret, a key id with `:`, a header
 * value with CR/LF are refused).
 *
 * @since 0.1.0
 */
export const AdminCredential = {
  /** HTTP basic app keys. */
  appKeys: (options: { readonly keyId: string; readonly secret: string | Redacted.Redacted<string> }) =>
    check(AppKeys({ keyId: options.keyId, secret: asRedacted(options.secret) })),
  /** `applicationId` + HTTP basic organisation keys. */
  organisationKeys: (options: {
    readonly applicationId: string
    readonly keyId: string
    readonly secret: string | Redacted.Redacted<string>
  }) =>
    Either.flatMap(decodeApplicationId(options.applicationId), (applicationId) =>
      check(OrganisationKeys({ applicationId, keyId: options.keyId, secret: asRedacted(options.secret) }))),
  /** `applicationId` + a developer user's token. */
  developerToken: (options: { readonly applicationId: string; readonly token: string | Redacted.Redacted<string> }) =>
    Either.flatMap(decodeApplicationId(options.applicationId), (applicationId) =>
      check(DeveloperToken({ applicationId, token: asRedacted(options.token) }))),
  $match
} as const

/**
 * The admin credential of the current call.
 *
 * @since 0.1.0
 */
export class AdminAuth extends Context.Tag("effect-glowmarkt/AdminAuth")<AdminAuth, AdminCredential>() {}

/**
 * The header names that carry secrets or identify a tenant: redacted wherever headers are
 * printed (logs, spans, errors).
 *
 * @since 0.1.0
 */
export const sensitiveHeaders: ReadonlyArray<string> = ["authorization", "token", "applicationid", "cookie"]

/**
 * Adds `applicationId` and `token` to `Headers.currentRedactedNames` for the rest of the
 * program: provide it once at the edge of an application.
 *
 * @since 0.1.0
 */
export const layerRedactHeaders: Layer.Layer<never> = Layer.scopedDiscard(
  Effect.locallyScopedWith(Headers.currentRedactedNames, (names) => [...names, ...sensitiveHeaders])
)

const basic = (keyId: string, secret: Redacted.Redacted<string>) =>
  HttpClientRequest.setHeader(
    "authorization",
    `Basic ${Buffer.from(`${keyId}:${Redacted.value(secret)}`, "utf8").toString("base64")}`
  )

/**
 * Sets exactly the headers of one admin alternative on a request.
 *
 * @since 0.1.0
 */
export const applyAdmin = (credential: AdminCredential) =>
(request: HttpClientRequest.HttpClientRequest): HttpClientRequest.HttpClientRequest =>
  $match(credential, {
    AppKeys: ({ keyId, secret }) => basic(keyId, secret)(request),
    OrganisationKeys: ({ applicationId, keyId, secret }) =>
      basic(keyId, secret)(HttpClientRequest.setHeader(request, "applicationId", applicationId)),
    DeveloperToken: ({ applicationId, token }) =>
      HttpClientRequest.setHeaders(request, { applicationId, token: Redacted.value(token) })
  })

/**
 * Provides an admin credential to one effect: one process can act for many applications.
 *
 * @since 0.1.0
 */
export const withAdmin: {
  (credential: AdminCredential): <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, Exclude<R, AdminAuth>>
  <A, E, R>(self: Effect.Effect<A, E, R>, credential: AdminCredential): Effect.Effect<A, E, Exclude<R, AdminAuth>>
} = dual(
  2,
  <A, E, R>(self: Effect.Effect<A, E, R>, credential: AdminCredential): Effect.Effect<A, E, Exclude<R, AdminAuth>> =>
    Effect.provideService(self, AdminAuth, credential)
)

/**
 * Provides an admin credential to everything built on this layer.
 *
 * @since 0.1.0
 */
export const layerAdmin = (credential: AdminCredential): Layer.Layer<AdminAuth> => Layer.succeed(AdminAuth, credential)

/**
 * Reads an admin credential from `Config` (the environment, by default), choosing the first
 * alternative that is complete:
 *
 * - `GLOWMARKT_APP_KEY_ID` + `GLOWMARKT_APP_KEY_SECRET` (app keys);
 * - `GLOWMARKT_APPLICATION_ID` + `GLOWMARKT_ORG_KEY_ID` + `GLOWMARKT_ORG_KEY_SECRET`;
 * - `GLOWMARKT_APPLICATION_ID` + `GLOWMARKT_DEV_TOKEN`.
 *
 * Secrets are read with `Config.redacted`.
 *
 * @since 0.1.0
 */
export const adminConfig: Config.Config<AdminCredential> = Config.all({
  appKeyId: Config.option(Config.string("GLOWMARKT_APP_KEY_ID")),
  appKeySecret: Config.option(Config.redacted("GLOWMARKT_APP_KEY_SECRET")),
  applicationId: Config.option(Config.string("GLOWMARKT_APPLICATION_ID")),
  orgKeyId: Config.option(Config.string("GLOWMARKT_ORG_KEY_ID")),
  orgKeySecret: Config.option(Config.redacted("GLOWMARKT_ORG_KEY_SECRET")),
  devToken: Config.option(Config.redacted("GLOWMARKT_DEV_TOKEN"))
}).pipe(
  Config.mapOrFail((c) => {
    const result: Option.Option<Either.Either<AdminCredential, InvalidConfigError>> = Option.orElse(
      Option.orElse(
        Option.map(
          Option.all([c.appKeyId, c.appKeySecret]),
          ([keyId, secret]) => AdminCredential.appKeys({ keyId, secret })
        ),
        () =>
          Option.map(
            Option.all([c.applicationId, c.orgKeyId, c.orgKeySecret]),
            ([applicationId, keyId, secret]) => AdminCredential.organisationKeys({ applicationId, keyId, secret })
          )
      ),
      () =>
        Option.map(
          Option.all([c.applicationId, c.devToken]),
          ([applicationId, token]) => AdminCredential.developerToken({ applicationId, token })
        )
    )
    return Option.match(result, {
      onNone: () =>
        Either.left(
          ConfigError.MissingData(
            [],
            "no admin credential: set GLOWMARKT_APP_KEY_ID and GLOWMARKT_APP_KEY_SECRET, or GLOWMARKT_APPLICATION_ID with GLOWMARKT_ORG_KEY_ID and GLOWMARKT_ORG_KEY_SECRET, or GLOWMARKT_APPLICATION_ID with GLOWMARKT_DEV_TOKEN"
          )
        ),
      onSome: Either.mapLeft((e) => ConfigError.InvalidData([], e.message))
    })
  })
)

/**
 * An admin credential from `Config` (see {@link adminConfig}).
 *
 * @since 0.1.0
 */
export const layerAdminConfig = (
  config: Config.Config<AdminCredential> = adminConfig
): Layer.Layer<AdminAuth, ConfigError.ConfigError> => Layer.effect(AdminAuth, config)
