/**
 * The admin flows against the simulator, over real loopback sockets: provisioning and removal,
 * a user's own rename. The register -> verify and reset flows have their scenario suite, for
 * both engines, in flows.test.ts.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Faults from "../src/testing/Faults.js"
import * as InboxCodeSource from "../src/testing/InboxCodeSource.js"
import * as Simulator from "../src/testing/Simulator.js"
import { Onboarding, Provisioning } from "../src/workflows/index.js"

const TestLive = Layer.mergeAll(Glowmarkt.layer, InboxCodeSource.layer, Simulator.layerAdmin("appKeys")).pipe(
  Layer.provideMerge(Simulator.layerTest({ seed: "workflows" })),
  Layer.provide(NodeHttpClient.layerUndici),
  Layer.orDie
)

const pw = (s: string) => Redacted.make(s)
const person = (email: string, password = "correct horse") => ({
  name: "Test Person",
  username: email,
  email,
  password: pw(password)
})

const withFaults = (faults: Faults.FaultsConfig) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.zipRight(Simulator.setFaults(faults), Simulator.resetCounters),
    () => self,
    () => Simulator.setFaults(Faults.none)
  )

const usersNamed = (username: string) =>
  Effect.map(Simulator.users, (all) => all.filter((u) => u.username === username))

layer(TestLive, { excludeTestServices: true })("Onboarding against the simulator", (it) => {
  describe("Provisioning", () => {
    it.effect("created, then existing; confirmed by look-up", () =>
      Effect.gen(function*() {
        const first = yield* Provisioning.provision({ username: "Admin-Made@Example.com" })
        expect(first.outcome).toBe("created")
        expect(first.user.status).toBe("active")
        const second = yield* Provisioning.provision({ username: "admin-made@example.com" })
        expect(second).toMatchObject({ outcome: "existing", user: { userId: first.user.userId } })
      }))

    it.effect("a lost create answer: looked up, reported created, made once", () =>
      Effect.gen(function*() {
        const result = yield* Provisioning.provision({ username: "flaky-create@example.com" }).pipe(
          withFaults(Faults.on({ createUser: { dropAfter: { rate: 1, times: 1 } } }))
        )
        expect(result).toMatchObject({ outcome: "created", attempts: 1 })
        expect((yield* Simulator.counters).byOperation.createUser?.received).toBe(1)
        expect(yield* usersNamed("flaky-create@example.com")).toHaveLength(1)
      }))

    it.effect("a 5xx before handling: looked up, not there, created again", () =>
      Effect.gen(function*() {
        const result = yield* Provisioning.provision({ username: "five@example.com" }, { baseDelay: "1 millis" }).pipe(
          withFaults(Faults.on({ createUser: { serverError: { rate: 1, times: 2 } } }))
        )
        expect(result).toMatchObject({ outcome: "created", attempts: 3 })
        expect(yield* usersNamed("five@example.com")).toHaveLength(1)
      }))

    it.effect("remove: removed, then absent", () =>
      Effect.gen(function*() {
        const { user } = yield* Provisioning.provision({ username: "short-lived@example.com" })
        expect(yield* Provisioning.remove(user.userId)).toBe("removed")
        expect(yield* Provisioning.remove(user.userId)).toBe("absent")
        expect(yield* Provisioning.removeByUsername("short-lived@example.com")).toBe("absent")
      }))

    it.effect("remove after a lost delete answer: the replay finds nothing, and that counts as removed", () =>
      Effect.gen(function*() {
        const { user } = yield* Provisioning.provision({ username: "lost-delete@example.com" })
        const outcome = yield* Provisioning.remove(user.userId).pipe(
          withFaults(Faults.on({ deleteUserbyId: { dropAfter: { rate: 1, times: 1 } } }))
        )
        expect(outcome).toBe("removed")
        expect((yield* Simulator.counters).byOperation.deleteUserbyId).toMatchObject({ received: 2, handled: 2 })
        expect(yield* usersNamed("lost-delete@example.com")).toHaveLength(0)
      }))

    it.effect("a user renames themselves with their own session; a taken name is UsernameTakenError", () =>
      Effect.gen(function*() {
        const me = yield* Onboarding.registerAndVerify(person("old-name@example.com", "my password"))
        yield* Onboarding.registerAndVerify(person("someone@example.com"))
        const userId = Option.getOrThrow(me.userId)
        const taken = yield* Effect.flip(
          Provisioning.changeUsernameAs({ username: "old-name@example.com", password: pw("my password"), userId, newUsername: "someone@example.com" })
        )
        expect(taken).toMatchObject({ _tag: "UsernameTakenError", username: "someone@example.com" })
        yield* Provisioning.changeUsernameAs({
          username: "old-name@example.com",
          password: pw("my password"),
          userId,
          newUsername: "New-Name@Example.com"
        })
        expect((yield* usersNamed("new-name@example.com"))[0]?.userId).toBe(userId)
      }))
  })
})
