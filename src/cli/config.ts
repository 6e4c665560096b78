/**
 * The options every API command shares, and the client layer they configure.
 *
 * Each setting comes from its flag, else from its `GLOWMARKT_*` environment variable (read by
 * the library's own `GlowmarktConfig.config`), else from the library's default. No secret is
 * ever a flag: admin keys and passwords come from the environment or a hidden prompt.
 *
 * @since 0.1.0
 */
import * as Options from "@effect/cli/Options"
import type * as Prompt from "@effect/cli/Prompt"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Credentials from "../services/Credentials.js"
import * as Glowmarkt from "../services/Glowmarkt.js"
import * as GlowmarktConfig from "../services/GlowmarktConfig.js"
import * as UndiciHttpClient from "../transport/UndiciHttpClient.js"
import { UsageError } from "./errors.js"
import * as Secrets from "./secrets.js"

/**
 * `--json` and `--verbose`: how to report.
 *
 * @since 0.1.0
 */
export const output = {
  json: Options.boolean("json").pipe(
    Options.withDescription("Print the result as one JSON object on stdout (no other output there).")
  ),
  verbose: Options.boolean("verbose").pipe(
    Options.withDescription("On failure, also print the error's tag and fields (never a secret).")
  )
} as const

/**
 * Where the API is: `--base-url`, `--application-id`, `--directory-id`.
 *
 * @since 0.1.0
 */
export const connection = {
  baseUrl: Options.text("base-url").pipe(
    Options.withDescription(
      `The API root (env GLOWMARKT_BASE_URL; default ${GlowmarktConfig.defaultBaseUrl}). Plain http only on loopback.`
    ),
    Options.optional
  ),
  applicationId: Options.text("application-id").pipe(
    Options.withDescription("The application id (env GLOWMARKT_APPLICATION_ID)."),
    Options.optional
  ),
  directoryId: Options.text("directory-id").pipe(
    Options.withDescription("The user directory id (env GLOWMARKT_DIRECTORY_ID)."),
    Options.optional
  )
} as const

/**
 * The parsed shared options.
 *
 * @since 0.1.0
 */
export interface Common {
  readonly baseUrl: Option.Option<string>
  readonly applicationId: Option.Option<string>
  readonly directoryId: Option.Option<string>
  readonly json: boolean
  readonly verbose: boolean
}

/**
 * The shared options, to spread into a command's config.
 *
 * @since 0.1.0
 */
export const common = { ...connection, ...output } as const

/**
 * The library settings: flags over `GLOWMARKT_*` variables over defaults. A bad value is a
 * usage error.
 *
 * @since 0.1.0
 */
export const settings = (
  c: Common,
  command: ReadonlyArray<string>
): Effect.Effect<GlowmarktConfig.Settings, UsageError> =>
  Effect.gen(function*() {
    const fromEnv = yield* GlowmarktConfig.config.pipe(
      Effect.mapError((e) => new UsageError({ message: `bad GLOWMARKT_* environment variable: ${String(e)}`, command }))
    )
    return yield* GlowmarktConfig.make({
      ...fromEnv,
      baseUrl: Option.getOrElse(c.baseUrl, () => fromEnv.baseUrl),
      applicationId: Option.getOrElse(c.applicationId, () => fromEnv.applicationId),
      directoryId: Option.getOrElse(c.directoryId, () => fromEnv.directoryId)
    }).pipe(Effect.mapError((e) => new UsageError({ message: e.message, command })))
  })

/**
 * Every service of `Glowmarkt.layer` and `GlowmarktConfig` on the given settings, over undici, with the secret
 * header names redacted wherever headers are printed.
 *
 * @since 0.1.0
 */
export const clientLayer = (
  resolved: GlowmarktConfig.Settings
): Layer.Layer<Services | GlowmarktConfig.GlowmarktConfig> =>
  Glowmarkt.layer.pipe(
    Layer.provideMerge(Layer.succeed(GlowmarktConfig.GlowmarktConfig, resolved)),
    // The transport the README recommends: layerUndici but for the body read and the abort of
    // the services' requests (BENCHMARKS.md).
    Layer.provide(UndiciHttpClient.layer),
    Layer.merge(Credentials.layerRedactHeaders)
  )

/**
 * The services a command can use: all of `Glowmarkt.layer`'s.
 *
 * @since 0.1.0
 */
export type Services = Layer.Layer.Success<typeof Glowmarkt.layer>

/**
 * Runs an effect with the client configured from the shared options.
 *
 * @since 0.1.0
 */
export const withClient = (c: Common, command: ReadonlyArray<string>) =>
<A, E, R>(
  self: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | UsageError,
  Exclude<R, Services | GlowmarktConfig.GlowmarktConfig>
> => Effect.flatMap(settings(c, command), (resolved) => Effect.provide(self, clientLayer(resolved)))

const env = (name: string) =>
  Config.option(Config.string(name)).pipe(
    Effect.map(Option.filter((s) => s !== "")),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/**
 * The admin credential: from the `GLOWMARKT_*` variables the library reads (see
 * `Credentials.adminConfig`). When a key id is set but its secret is not, the secret is asked
 * for at a hidden prompt (or, without a terminal, named in a usage error).
 *
 * @since 0.1.0
 */
export const adminCredential = (
  command: ReadonlyArray<string>
): Effect.Effect<Credentials.AdminCredential, UsageError, Prompt.Prompt.Environment> =>
  Effect.gen(function*() {
    const configured = yield* Effect.either(Credentials.adminConfig)
    if (Either.isRight(configured)) return configured.right
    const appKeyId = yield* env("GLOWMARKT_APP_KEY_ID")
    const applicationId = yield* env("GLOWMARKT_APPLICATION_ID")
    const orgKeyId = yield* env("GLOWMARKT_ORG_KEY_ID")
    const checked = (result: Either.Either<Credentials.AdminCredential, { readonly message: string }>) =>
      Either.isRight(result) ? Effect.succeed(result.right) : new UsageError({ message: result.left.message, command })
    if (Option.isSome(appKeyId)) {
      const secret = yield* Secrets.secret({ env: "GLOWMARKT_APP_KEY_SECRET", what: "the app key secret", command })
      return yield* checked(Credentials.AdminCredential.appKeys({ keyId: appKeyId.value, secret }))
    }
    if (Option.isSome(applicationId) && Option.isSome(orgKeyId)) {
      const secret = yield* Secrets.secret({
        env: "GLOWMARKT_ORG_KEY_SECRET",
        what: "the organisation key secret",
        command
      })
      return yield* checked(
        Credentials.AdminCredential.organisationKeys({ applicationId: applicationId.value, keyId: orgKeyId.value, secret })
      )
    }
    return yield* new UsageError({
      message: ConfigError.isInvalidData(configured.left)
        ? `the admin credential is invalid: ${configured.left.message}`
        : "an admin credential is required: set GLOWMARKT_APP_KEY_ID and GLOWMARKT_APP_KEY_SECRET, or " +
          "GLOWMARKT_APPLICATION_ID with GLOWMARKT_ORG_KEY_ID and GLOWMARKT_ORG_KEY_SECRET, or " +
          "GLOWMARKT_APPLICATION_ID with GLOWMARKT_DEV_TOKEN",
      command
    })
  })
