/**
 * Faults the simulator can inject, to prove that a client survives what the real service does
 * on a bad day: slow answers, 5xx, 429 with `Retry-After`, connections dropped before or after
 * the request was handled, and broken JSON.
 *
 * A {@link FaultsConfig} has a rule for every operation (`all`) and rules per operationId
 * (`operations`); for one request the operation's rule overrides the global one field by field.
 * Each probabilistic fault is a {@link Chance}: a rate in [0, 1], optionally limited to the first
 * `times` injections (e.g. `{ rate: 1, times: 2 }`: the first two requests fail, then none).
 * Decisions come from a PRNG seeded by the simulator's seed, so a sequential test sees the same
 * faults on every run. The same shape is accepted as JSON by `PUT /_simulator/faults`.
 *
 * Order for one request: latency, then drop-before, 429, 5xx (each ends the request before it is
 * handled), then the request is handled, then drop-after, malformed JSON.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as GlowmarktApi from "../schema/GlowmarktApi.js"

/**
 * The operationIds of the User System: read off the HttpApi declaration, so an operation added
 * there can have faults at once.
 *
 * @category models
 * @since 0.1.0
 */
export const operationIds: ReadonlyArray<OperationId> = GlowmarktApi.operationIds

/**
 * One operation of the User System.
 *
 * @category models
 * @since 0.1.0
 */
export type OperationId = GlowmarktApi.OperationId

/**
 * The kinds of fault, as counted by the simulator.
 *
 * @category schemas
 * @since 0.1.0
 */
export const FaultKind = Schema.Literal(
  "latency",
  "serverError",
  "rateLimit",
  "dropBefore",
  "dropAfter",
  "malformedJson"
)
/** @category models @since 0.1.0 */
export type FaultKind = typeof FaultKind.Type

const Rate = Schema.Number.pipe(Schema.between(0, 1, { message: () => "a rate must be between 0 and 1" }))

/**
 * How often a fault happens: a rate in [0, 1], or a rate limited to the first `times` injections.
 *
 * @category schemas
 * @since 0.1.0
 */
export const Chance = Schema.Union(
  Rate,
  Schema.Struct({ rate: Rate, times: Schema.optional(Schema.NonNegativeInt) })
)
/** @category models @since 0.1.0 */
export type Chance = typeof Chance.Type

const Latency = Schema.Union(
  Schema.NonNegative,
  Schema.String.pipe(
    Schema.filter((s) => Option.isSome(Duration.decodeUnknown(s)) || "a duration such as \"200 millis\"")
  )
)

/**
 * The faults of one operation (or of all of them).
 *
 * @category schemas
 * @since 0.1.0
 */
export const FaultRule = Schema.Struct({
  /** Added before the request is handled: milliseconds, or a duration such as `"1 second"`. */
  latency: Schema.optional(Latency),
  /** Answer a 5xx instead of handling the request. */
  serverError: Schema.optional(Chance),
  /** The statuses a `serverError` picks from, uniformly (default 500, 502, 503). */
  serverErrorStatuses: Schema.optional(Schema.NonEmptyArray(Schema.Int.pipe(Schema.between(500, 599)))),
  /** Answer 429 with `Retry-After` instead of handling the request. */
  rateLimit: Schema.optional(Chance),
  /** The `Retry-After` of a `rateLimit`, in seconds (default 1). */
  retryAfter: Schema.optional(Schema.NonNegativeInt),
  /** Close the connection before the request is handled: nothing happened. */
  dropBefore: Schema.optional(Chance),
  /** Handle the request, then close the connection: it happened, the answer is lost. */
  dropAfter: Schema.optional(Chance),
  /** Handle the request, then answer 200 with a body that is not JSON. */
  malformedJson: Schema.optional(Chance)
})
/** @category models @since 0.1.0 */
export type FaultRule = typeof FaultRule.Type

const operationRules = Object.fromEntries(operationIds.map((id) => [id, Schema.optional(FaultRule)])) as {
  readonly [K in OperationId]: Schema.optional<typeof FaultRule>
}

/**
 * The faults of a simulator: a global rule and rules per operationId. An unknown operationId is
 * refused (`PUT /_simulator/faults` answers 400), so that a typo does not silently do nothing.
 *
 * @category schemas
 * @since 0.1.0
 */
export const FaultsConfig = Schema.Struct({
  all: Schema.optional(FaultRule),
  operations: Schema.optional(Schema.Struct(operationRules))
})
/** @category models @since 0.1.0 */
export type FaultsConfig = typeof FaultsConfig.Type

/**
 * Checks a config (rates in [0, 1], known operationIds, valid durations).
 *
 * @category combinators
 * @since 0.1.0
 */
export const validate = (config: unknown) =>
  Schema.decodeUnknownEither(FaultsConfig, { onExcessProperty: "error" })(config)

/**
 * No faults: the default.
 *
 * @category combinators
 * @since 0.1.0
 */
export const none: FaultsConfig = {}

/**
 * The same rule for every operation.
 *
 * @category combinators
 * @since 0.1.0
 */
export const everywhere = (rule: FaultRule): FaultsConfig => ({ all: rule })

/**
 * A rule for some operations only.
 *
 * @category combinators
 * @since 0.1.0
 */
export const on = (operations: { readonly [K in OperationId]?: FaultRule }): FaultsConfig => ({ operations })
