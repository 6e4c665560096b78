/**
 * Where the API is and how patiently to talk to it.
 *
 * No credential lives here: credentials are requirements of the calls that need them (see
 * `Credentials`), so one process can act for many applications and users at once.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import { InvalidConfigError } from "../schema/GlowmarktError.js"
import { basePath } from "../schema/GlowmarktApi.js"
import { ApplicationId, DirectoryId } from "../schema/Identifiers.js"
import { safeIssue } from "./internal/input.js"

/**
 * The public Glowmarkt API.
 *
 * @category constants
 * @since 0.1.0
 */
export const defaultBaseUrl = "https://api.glowmarkt.com/api/v0-1"

/**
 * How transient failures are retried: capped exponential backoff with jitter.
 *
 * @category models
 * @since 0.1.0
 */
export interface RetryPolicy {
  /** Retries after the first attempt (0 disables retrying). */
  readonly times: number
  /** The first delay; each retry doubles it. */
  readonly baseDelay: Duration.Duration
  /** No delay is longer than this, `Retry-After` included. */
  readonly maxDelay: Duration.Duration
}

/**
 * The settings, resolved and checked.
 *
 * @category models
 * @since 0.1.0
 */
export interface Settings {
  /** The API root, e.g. `https://api.glowmarkt.com/api/v0-1` (no trailing slash). */
  readonly baseUrl: string
  /** Used by the calls that carry an application id when the call names none. */
  readonly applicationId: Option.Option<ApplicationId>
  /** Used by the calls that carry a directory id when the call names none. */
  readonly directoryId: Option.Option<DirectoryId>
  /**
   * The longest one attempt may take, from sending to the decoded answer, on the Effect `Clock`.
   * A late attempt is aborted through its request's `AbortSignal` (see `internal/deadlines.ts`).
   */
  readonly requestTimeout: Duration.Duration
  /** How transient failures are retried. */
  readonly retry: RetryPolicy
}

/**
 * The options of {@link layer}; every one has a default.
 *
 * @category models
 * @since 0.1.0
 */
export interface Options {
  readonly baseUrl?: string | URL | undefined
  readonly applicationId?: string | undefined
  readonly directoryId?: string | undefined
  readonly requestTimeout?: Duration.DurationInput | undefined
  readonly retry?: Partial<{
    readonly times: number
    readonly baseDelay: Duration.DurationInput
    readonly maxDelay: Duration.DurationInput
  }> | undefined
}

/**
 * The settings of the client.
 *
 * @category tags
 * @since 0.1.0
 */
export class GlowmarktConfig extends Context.Tag("effect-glowmarkt/GlowmarktConfig")<GlowmarktConfig, Settings>() {}

/** @category constants @since 0.1.0 */
export const defaults = {
  requestTimeout: Duration.seconds(10),
  retry: { times: 3, baseDelay: Duration.millis(200), maxDelay: Duration.seconds(5) }
} as const

/**
 * Whether a URL's host is loopback: `localhost`, an address of 127.0.0.0/8, or `::1`. Nothing
 * else: `*.localhost` names are resolved by whatever resolver the host has, which may not keep
 * them on this machine.
 */
const isLoopback = (url: URL): boolean => {
  const host = url.hostname.toLowerCase()
  if (host === "localhost" || host === "[::1]") return true
  // The URL parser has already normalised IPv4 forms (`127.1`, `0x7f.0.0.1`) to dotted decimal.
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host)
  return octets !== null && octets[1] === "127" && octets.slice(2).every((o) => Number(o) <= 255)
}

/**
 * Checks a base URL: the API root (ending in `/api/v0-1`), https anywhere, plain http only on
 * loopback (`localhost`, 127.0.0.0/8, `::1`: the simulator), no credentials, query or fragment
 * in it. Anything but a string or a `URL` is refused.
 *
 * @category predicates
 * @since 0.1.0
 */
export const validateBaseUrl = (input: string | URL): Either.Either<string, InvalidConfigError> => {
  if (typeof input !== "string" && !(input instanceof URL)) {
    return Either.left(new InvalidConfigError({ setting: "baseUrl", problem: "must be a string or a URL" }))
  }
  let url: URL
  try {
    url = new URL(input.toString())
  } catch {
    return Either.left(
      new InvalidConfigError({ setting: "baseUrl", problem: "is not a URL (expected e.g. https://api.glowmarkt.com/api/v0-1)" })
    )
  }
  const fail = (problem: string) => Either.left(new InvalidConfigError({ setting: "baseUrl", problem }))
  if (url.protocol === "http:" && !isLoopback(url)) {
    return fail(
      `uses plain http:// for ${url.hostname}, which would send credentials in clear text; use https:// (plain http is allowed only on loopback, for the simulator)`
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return fail(`uses ${url.protocol}, expected https:`)
  if (url.username !== "" || url.password !== "") return fail("must not contain credentials")
  if (url.search !== "" || url.hash !== "") return fail("must not contain a query or a fragment")
  const root = url.toString().replace(/\/+$/, "")
  if (!root.endsWith(basePath)) return fail(`must be the API root, ending in ${basePath} (e.g. ${defaultBaseUrl})`)
  return Either.right(root)
}

const decodeSetting = <A, I>(schema: Schema.Schema<A, I>, setting: string, value: unknown) =>
  Schema.decodeUnknownEither(schema, { errors: "first" })(value).pipe(
    Either.mapLeft((e) => {
      const [issue] = ParseResult.ArrayFormatter.formatErrorSync(e)
      // Name the setting, never its value.
      return new InvalidConfigError({ setting, problem: issue === undefined ? "is invalid" : safeIssue(issue.message) })
    })
  )

const durationSetting = (setting: string, input: unknown): Either.Either<Duration.Duration, InvalidConfigError> => {
  const d = Duration.decodeUnknown(input)
  return Option.isSome(d) && Duration.isFinite(d.value) && Duration.greaterThanOrEqualTo(d.value, Duration.zero)
    ? Either.right(d.value)
    : Either.left(new InvalidConfigError({ setting, problem: "must be a finite, non-negative duration" }))
}

/**
 * Resolves and checks options into settings.
 *
 * @category constructors
 * @since 0.1.0
 */
export const make = (options: Options = {}): Effect.Effect<Settings, InvalidConfigError> =>
  Effect.gen(function*() {
    // Checked at run time as well: a JavaScript caller or an untyped config may pass anything.
    if (typeof options !== "object" || options === null) {
      return yield* new InvalidConfigError({ setting: "options", problem: "must be an object" })
    }
    if (options.retry !== undefined && (typeof options.retry !== "object" || options.retry === null)) {
      return yield* new InvalidConfigError({ setting: "retry", problem: "must be an object" })
    }
    // Only a missing base URL means the default: `null` is a mistake, not a wish for production.
    const baseUrl = yield* validateBaseUrl(options.baseUrl === undefined ? defaultBaseUrl : options.baseUrl)
    const applicationId = options.applicationId === undefined
      ? Option.none()
      : Option.some(yield* decodeSetting(ApplicationId, "applicationId", options.applicationId))
    const directoryId = options.directoryId === undefined
      ? Option.none()
      : Option.some(yield* decodeSetting(DirectoryId, "directoryId", options.directoryId))
    // `undefined` (or absent) means the default; anything else, `null` included, is checked.
    const given = <A>(value: A | undefined, fallback: A) => value === undefined ? fallback : value
    const requestTimeout = yield* durationSetting("requestTimeout", given(options.requestTimeout, defaults.requestTimeout))
    const times: unknown = given(options.retry?.times, defaults.retry.times)
    if (typeof times !== "number" || !Number.isInteger(times) || times < 0 || times > 100) {
      return yield* new InvalidConfigError({ setting: "retry.times", problem: "must be an integer from 0 to 100" })
    }
    const baseDelay = yield* durationSetting("retry.baseDelay", given(options.retry?.baseDelay, defaults.retry.baseDelay))
    const maxDelay = yield* durationSetting("retry.maxDelay", given(options.retry?.maxDelay, defaults.retry.maxDelay))
    return { baseUrl, applicationId, directoryId, requestTimeout, retry: { times, baseDelay, maxDelay } }
  })

/**
 * The settings from options.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer = (options: Options = {}): Layer.Layer<GlowmarktConfig, InvalidConfigError> =>
  Layer.effect(GlowmarktConfig, make(options))

/**
 * The settings from `Config`: by default the environment variables `GLOWMARKT_BASE_URL`,
 * `GLOWMARKT_APPLICATION_ID`, `GLOWMARKT_DIRECTORY_ID`, `GLOWMARKT_REQUEST_TIMEOUT` (e.g.
 * `10 seconds`), `GLOWMARKT_RETRY_TIMES`, `GLOWMARKT_RETRY_BASE_DELAY` and
 * `GLOWMARKT_RETRY_MAX_DELAY`.
 *
 * @category config
 * @since 0.1.0
 */
export const config: Config.Config<Options> = Config.all({
  baseUrl: Config.string("GLOWMARKT_BASE_URL").pipe(Config.withDefault(defaultBaseUrl)),
  applicationId: Config.option(Config.string("GLOWMARKT_APPLICATION_ID")),
  directoryId: Config.option(Config.string("GLOWMARKT_DIRECTORY_ID")),
  requestTimeout: Config.duration("GLOWMARKT_REQUEST_TIMEOUT").pipe(Config.withDefault(defaults.requestTimeout)),
  times: Config.integer("GLOWMARKT_RETRY_TIMES").pipe(Config.withDefault(defaults.retry.times)),
  baseDelay: Config.duration("GLOWMARKT_RETRY_BASE_DELAY").pipe(Config.withDefault(defaults.retry.baseDelay)),
  maxDelay: Config.duration("GLOWMARKT_RETRY_MAX_DELAY").pipe(Config.withDefault(defaults.retry.maxDelay))
}).pipe(Config.map((c) => ({
  baseUrl: c.baseUrl,
  applicationId: Option.getOrUndefined(c.applicationId),
  directoryId: Option.getOrUndefined(c.directoryId),
  requestTimeout: c.requestTimeout,
  retry: { times: c.times, baseDelay: c.baseDelay, maxDelay: c.maxDelay }
})))

/**
 * The settings from a `Config` (the environment, by default).
 *
 * @category layers
 * @since 0.1.0
 */
export const layerConfig = (
  options: Config.Config<Options> = config
): Layer.Layer<GlowmarktConfig, InvalidConfigError | ConfigError.ConfigError> =>
  Layer.effect(GlowmarktConfig, Effect.flatMap(options, make))
