/**
 * The `HttpClient` the client test files run on. `vitest.config.ts` runs those files twice, once
 * per transport (projects `client:layerUndici` and `client:UndiciHttpClient`), choosing it with
 * `GLOWMARKT_TEST_TRANSPORT`; any other test runs on `NodeHttpClient.layerUndici`.
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as Layer from "effect/Layer"
import * as UndiciHttpClient from "../../src/transport/UndiciHttpClient.js"

/** Every transport the client test files run on, by name. */
export const transports = {
  layerUndici: NodeHttpClient.layerUndici,
  UndiciHttpClient: UndiciHttpClient.layer
} satisfies Record<string, Layer.Layer<HttpClient.HttpClient>>

/** The name of the transport of this run. */
export const name = (process.env.GLOWMARKT_TEST_TRANSPORT ?? "layerUndici") as keyof typeof transports

if (!(name in transports)) throw new Error(`GLOWMARKT_TEST_TRANSPORT: unknown transport ${name}`)

/** The transport of this run. */
export const layer: Layer.Layer<HttpClient.HttpClient> = transports[name]
