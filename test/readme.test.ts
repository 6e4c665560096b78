/**
 * The README's simulator example, as written there: a downstream test of an onboarding
 * pipeline in a few lines.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { CodeSource, Glowmarkt, GlowmarktConfig, Onboarding } from "../src/index.js"
import { InboxCodeSource, Simulator } from "../src/testing/index.js"

// The first example, type-checked (it talks to the real API, so it is not run here).
const program = Onboarding.registerAndVerify({
  name: "Scotty",
  username: "scotty@enterprise.st",
  email: "scotty@enterprise.st",
  password: Redacted.make("correct horse battery staple")
}).pipe(
  Effect.tap((user) => Effect.log(`${user.username} is ${user.outcome}`)),
  Effect.catchTags({
    UsernameTakenError: (e) => Effect.logWarning(e.message),
    CodeNotReceivedError: (e) => Effect.logWarning(e.message)
  })
)
const MainLive = Layer.mergeAll(Glowmarkt.layer, CodeSource.layerTerminal).pipe(
  Layer.provide(GlowmarktConfig.layerConfig()),
  Layer.provide(Layer.merge(NodeHttpClient.layerUndici, NodeContext.layer))
)
export const main: Effect.Effect<unknown, unknown, never> = program.pipe(Effect.provide(MainLive))

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
