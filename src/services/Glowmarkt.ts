/**
 * The whole client in one layer: `Users`, `Auth`, `Accounts`, `Tokens`, `OAuth` and `Consent` on
 * one set of derived clients (the services' layers share it: layers are memoised).
 *
 * ```ts
 * const GlowmarktLive = Glowmarkt.layer.pipe(
 *   Layer.provide(GlowmarktConfig.layerConfig()), // GLOWMARKT_* environment variables
 *   Layer.provide(NodeHttpClient.layerUndici)      // or FetchHttpClient.layer
 * )
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Layer from "effect/Layer"
import * as Accounts from "./Accounts.js"
import * as Auth from "./Auth.js"
import * as Consent from "./Consent.js"
import type { GlowmarktConfig } from "./GlowmarktConfig.js"
import * as OAuth from "./OAuth.js"
import * as Tokens from "./Tokens.js"
import * as Users from "./Users.js"

/**
 * `Users`, `Auth`, `Accounts`, `Tokens`, `OAuth` and `Consent`, on `GlowmarktConfig` and an
 * `HttpClient`.
 *
 * @category layers
 * @since 0.1.0
 */
export const layer: Layer.Layer<
  Users.Users | Auth.Auth | Accounts.Accounts | Tokens.Tokens | OAuth.OAuth | Consent.Consent,
  never,
  GlowmarktConfig | HttpClient.HttpClient
> = Layer.mergeAll(Users.layer, Auth.layer, Accounts.layer, Tokens.layer, OAuth.layer, Consent.layer)
