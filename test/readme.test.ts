/**
 * The README's simulator example, as written there: a downstream test of an onboarding
 * pipeline in a few lines.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { Glowmarkt, Onboarding } from "../src/index.js"
import { InboxCodeSource, Simulator } from "../src/testing/index.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, InboxCodeSource.layer, Simulator.layerAdmin("appKeys")).pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "my-pipeline" })), // free port, GlowmarktConfig, Inbox
  Layer.provide(NodeHttpClient.layerUndici)
)

layer(TestLive, { excludeTestServices: true })("onboarding", (it) => {
  it.effect("registers and verifies", () =>
    Effect.gen(function*() {
      const password = Redacted.make("pw-1")
      const done = yield* Onboarding.registerAndVerify({ name: "Ada", username: "ada@x.co", email: "ada@x.co", password })
      expect(done.outcome).toBe("verified")
      expect((yield* Simulator.counters).byOperation.addUser?.handled).toBe(1)
    }))
})
