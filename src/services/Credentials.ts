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
import { ApplicationId, headerValueProblem } from "../schema/Identifiers.js"
import { heldValue } from "../schema/internal/redacted.js"

/**
 * An admin credential: one of the three alternatives the User System accepts.
 *
 * @category models
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

type Checked<A> = Either.Either<A, InvalidConfigError>

const refuse = (setting: string, problem: string): Checked<never> =>
  Either.left(new InvalidConfigError({ setting, problem }))

/** A header-bound string given by the caller (any JavaScript value): the field named, never the value. */
const headerString = (setting: string, value: unknown): Checked<string> => {
  if (typeof value !== "string") return refuse(setting, "must be a string")
  const problem = headerValueProblem(value)
  return problem === undefined ? Either.right(value) : refuse(setting, problem)
}

/** A secret given as a string or a `Redacted` string, checked as a header value. */
const secretOf = (setting: string, value: unknown): Checked<Redacted.Redacted<string>> => {
  const redacted = Redacted.isRedacted(value)
  // A wiped `Redacted` holds nothing: refused like any other non-string.
  const inner: unknown = redacted ? heldValue(value as Redacted.Redacted<unknown>) : value
  if (typeof inner !== "string") return refuse(setting, "must be a string or a Redacted string")
  const problem = headerValueProblem(inner)
  if (problem !== undefined) return refuse(setting, problem)
  return Either.right(redacted ? value as Redacted.Redacted<string> : Redacted.make(inner))
}

const keyIdOf = (setting: string, value: unknown): Checked<string> =>
  Either.flatMap(headerString(setting, value), (keyId) =>
    keyId.includes(":") ? refuse(setting, "must not contain ':'") : Either.right(keyId))

const applicationIdOf = (value: unknown): Checked<ApplicationId> =>
  Either.flatMap(headerString("applicationId", value), (s) =>
    Schema.decodeUnknownEither(ApplicationId)(s).pipe(
      Either.mapLeft(() =>
        new InvalidConfigError({ setting: "applicationId", problem: "must be a non-empty id without control characters" })
      )
    ))

const optionsOf = (tag: string, options: unknown): Checked<Record<string, unknown>> =>
  typeof options === "object" && options !== null
    ? Either.right(options as Record<string, unknown>)
    : refuse(tag, "must be an object of options")

/**
 * Checks a credential, however it was made (a constructor below, or a literal of the
 * {@link AdminCredential} type from untyped code): every value it puts in a header follows the
 * header rule (non-empty, not padded, visible Latin-1, no control characters), a key id has no
 * `:`. Errors name the setting, never its value.
 *
 * @category constructors
 * @since 0.1.0
 */
export const check = (credential: unknown): Checked<AdminCredential> => {
  if (typeof credential !== "object" || credential === null || !("_tag" in credential)) {
    return refuse("AdminCredential", "must be an AdminCredential (AppKeys, OrganisationKeys or DeveloperToken)")
  }
  const c = credential as Record<string, unknown>
  const known = checked.get(credential)
  // Remembered with the values it was checked with: a JavaScript caller may change a field later.
  if (known !== undefined && sameFields(known.fields, c)) return Either.right(known.result)
  return Either.map(checkFields(c), (result) => {
    checked.set(credential, { fields: fieldsOf(c), result })
    if (result !== credential) checked.set(result, { fields: fieldsOf(result as unknown as Record<string, unknown>), result })
    return result
  })
}

/** Credentials already checked (the ones the constructors return, and those seen by a call). */
const checked = new WeakMap<object, { readonly fields: ReadonlyArray<unknown>; readonly result: AdminCredential }>()

const fieldsOf = (c: Record<string, unknown>): ReadonlyArray<unknown> => [c._tag, c.keyId, c.secret, c.applicationId, c.token]

const sameFields = (fields: ReadonlyArray<unknown>, c: Record<string, unknown>): boolean => {
  const now = fieldsOf(c)
  return fields.every((f, i) => f === now[i])
}

const checkFields = (c: Record<string, unknown>): Checked<AdminCredential> => {
  switch (c._tag) {
    case "AppKeys":
      return Either.all([keyIdOf("AppKeys.keyId", c.keyId), secretOf("AppKeys.secret", c.secret)]).pipe(
        Either.map(([keyId, secret]) => AppKeys({ keyId, secret }))
      )
    case "OrganisationKeys":
      return Either.all([
        applicationIdOf(c.applicationId),
        keyIdOf("OrganisationKeys.keyId", c.keyId),
        secretOf("OrganisationKeys.secret", c.secret)
      ]).pipe(Either.map(([applicationId, keyId, secret]) => OrganisationKeys({ applicationId, keyId, secret })))
    case "DeveloperToken":
      return Either.all([applicationIdOf(c.applicationId), secretOf("DeveloperToken.token", c.token)]).pipe(
        Either.map(([applicationId, token]) => DeveloperToken({ applicationId, token }))
      )
    default:
      return refuse("AdminCredential", "must be an AdminCredential (AppKeys, OrganisationKeys or DeveloperToken)")
  }
}

/**
 * Constructors that check what they are given, at run time too: a missing, empty, padded or
 * non-string value, a key id with `:`, a value with control characters or characters outside
 * Latin-1 (every one of them is sent in a header) are refused with an `InvalidConfigError`
 * naming the setting. They never throw.
 *
 * @category models
 * @since 0.1.0
 */
export const AdminCredential = {
  /** HTTP basic app keys. */
  appKeys: (options: { readonly keyId: string; readonly secret: string | Redacted.Redacted<string> }) =>
    Either.flatMap(optionsOf("AppKeys", options), (o) => check({ _tag: "AppKeys", keyId: o.keyId, secret: o.secret })),
  /** `applicationId` + HTTP basic organisation keys. */
  organisationKeys: (options: {
    readonly applicationId: string
    readonly keyId: string
    readonly secret: string | Redacted.Redacted<string>
  }) =>
    Either.flatMap(optionsOf("OrganisationKeys", options), (o) =>
      check({ _tag: "OrganisationKeys", applicationId: o.applicationId, keyId: o.keyId, secret: o.secret })),
  /** `applicationId` + a developer user's token. */
  developerToken: (options: { readonly applicationId: string; readonly token: string | Redacted.Redacted<string> }) =>
    Either.flatMap(optionsOf("DeveloperToken", options), (o) =>
      check({ _tag: "DeveloperToken", applicationId: o.applicationId, token: o.token })),
  $match
} as const

/**
 * The admin credential of the current call.
 *
 * @category tags
 * @since 0.1.0
 */
export class AdminAuth extends Context.Tag("effect-glowmarkt/AdminAuth")<AdminAuth, AdminCredential>() {}

/**
 * The header names that carry secrets or identify a tenant: redacted wherever headers are
 * printed (logs, spans, errors).
 *
 * @category constants
 * @since 0.1.0
 */
export const sensitiveHeaders: ReadonlyArray<string> = ["authorization", "token", "applicationid", "cookie"]

/**
 * Adds `applicationId` and `token` to `Headers.currentRedactedNames` for the rest of the
 * program: provide it once at the edge of an application.
 *
 * @category layers
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
 * @category combinators
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
 * @category combinators
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
 * @category layers
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
 * @category config
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
 * @category layers
 * @since 0.1.0
 */
export const layerAdminConfig = (
  config: Config.Config<AdminCredential> = adminConfig
): Layer.Layer<AdminAuth, ConfigError.ConfigError> => Layer.effect(AdminAuth, config)
