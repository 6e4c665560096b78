/**
 * The onboarding flows against the simulator, over real loopback sockets: register -> verify
 * (a lost registration answer, a wrong code, a rerun, a taken username), password reset,
 * provisioning and removal, a user's own rename; and the code sources (registry, prompt,
 * timeouts on the TestClock).
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as TestServices from "effect/TestServices"
import * as Auth from "../src/services/Auth.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as Users from "../src/services/Users.js"
import * as Faults from "../src/testing/Faults.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as InboxCodeSource from "../src/testing/InboxCodeSource.js"
import * as Simulator from "../src/testing/Simulator.js"
import { CodeSource, Onboarding, Provisioning } from "../src/workflows/index.js"

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

/** A source that answers a wrong code for the first `wrong` requests, then reads the inbox. */
const wrongFirst = (wrong: number) =>
  Effect.gen(function*() {
    const inbox = yield* InboxCodeSource.make
    let asked = 0
    return CodeSource.fromEffect((request) =>
      Effect.flatMap(inbox.await(request), (code) => {
        asked++
        const right = Redacted.value(code)
        return Effect.succeed(asked <= wrong ? String((Number(right) + 1) % 10000).padStart(4, "0") : right)
      })
    )
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
  describe("registerAndVerify", () => {
    it.effect("registers, waits for the emailed code, verifies: the user is active", () =>
      Effect.gen(function*() {
        const result = yield* Onboarding.registerAndVerify(person("  Ada@Example.com "))
        expect(result).toMatchObject({ outcome: "verified", username: "ada@example.com", resumed: false, rounds: 1 })
        expect(Option.isSome(result.userId)).toBe(true)
        const [user] = yield* usersNamed("ada@example.com")
        expect(user?.status).toBe("active")
        expect(Option.getOrThrow(result.userId)).toBe(user?.userId)
      }))

    it.effect("survives a lost registration answer: continues with the user it made, never a second one", () =>
      Effect.gen(function*() {
        const result = yield* Onboarding.registerAndVerify(person("lost@example.com")).pipe(
          withFaults(Faults.on({ addUser: { dropAfter: { rate: 1, times: 1 } } }))
        )
        expect(result).toMatchObject({ outcome: "verified", resumed: true })
        const counters = yield* Simulator.counters
        // One registration reached the server (its answer was dropped); none was sent again.
        expect(counters.byOperation.addUser).toMatchObject({ received: 1, handled: 1 })
        expect(counters.faults.dropAfter).toBe(1)
        expect(counters.byOperation.generateUserVerificationToken?.succeeded).toBe(1)
        const same = yield* usersNamed("lost@example.com")
        expect(same).toHaveLength(1)
        expect(same[0]?.status).toBe("active")
      }))

    it.effect("a registration that never reached the server (dropped before) is sent again", () =>
      Effect.gen(function*() {
        const result = yield* Onboarding.registerAndVerify(person("never@example.com")).pipe(
          withFaults(Faults.on({ addUser: { dropBefore: { rate: 1, times: 1 } } }))
        )
        expect(result.outcome).toBe("verified")
        const counters = yield* Simulator.counters
        expect(counters.byOperation.addUser).toMatchObject({ received: 2, handled: 1, succeeded: 1 })
        expect(yield* usersNamed("never@example.com")).toHaveLength(1)
      }))

    it.effect("a wrong code: a new one is requested and waited for", () =>
      Effect.gen(function*() {
        yield* Simulator.resetCounters
        const source = yield* wrongFirst(1)
        const result = yield* Onboarding.registerAndVerify(person("typo@example.com")).pipe(
          Effect.provideService(CodeSource.CodeSource, source)
        )
        expect(result).toMatchObject({ outcome: "verified", rounds: 2 })
        const counters = yield* Simulator.counters
        expect(counters.byOperation.verifyUser).toMatchObject({ received: 2, succeeded: 1 })
        expect(counters.byOperation.generateUserVerificationToken?.succeeded).toBe(1)
      }))

    it.effect("wrong codes round after round: TooManyWrongCodes, with a message and no code in it", () =>
      Effect.gen(function*() {
        const source = yield* wrongFirst(99)
        const error = yield* Onboarding.registerAndVerify(person("clumsy@example.com"), { maxRounds: 2 }).pipe(
          Effect.provideService(CodeSource.CodeSource, source),
          Effect.flip
        )
        expect(error._tag).toBe("TooManyWrongCodes")
        expect(error.message).toMatch(/run the flow again/)
        const inbox = yield* Inbox.Inbox
        for (const m of yield* inbox.all("clumsy@example.com")) expect(error.message).not.toContain(m.code)
      }))

    it.effect("a rerun after success: already verified, nothing created", () =>
      Effect.gen(function*() {
        yield* Onboarding.registerAndVerify(person("twice@example.com"))
        yield* Simulator.resetCounters
        const again = yield* Onboarding.registerAndVerify(person("twice@example.com"))
        expect(again).toMatchObject({ outcome: "alreadyVerified", resumed: true, rounds: 0 })
        expect(yield* usersNamed("twice@example.com")).toHaveLength(1)
      }))

    it.effect("a rerun while unverified (the first run timed out waiting): continues with the same user", () =>
      Effect.gen(function*() {
        const u = yield* Users.Users
        yield* u.register(person("halfway@example.com"))
        const result = yield* Onboarding.registerAndVerify(person("halfway@example.com"))
        expect(result).toMatchObject({ outcome: "verified", resumed: true })
      }))

    it.effect("someone else's username: UsernameTaken", () =>
      Effect.gen(function*() {
        yield* Onboarding.registerAndVerify(person("taken@example.com", "first password"))
        const error = yield* Effect.flip(Onboarding.registerAndVerify(person("taken@example.com", "second secret")))
        expect(error._tag).toBe("UsernameTaken")
        expect(error.message).toContain("taken@example.com")
        expect(error.message).not.toContain("second secret")
      }))

    it.effect("bad input fails before anything is sent", () =>
      Effect.gen(function*() {
        yield* Simulator.resetCounters
        const error = yield* Effect.flip(Onboarding.registerAndVerify({ ...person("x@example.com"), email: "nope" }))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field: "email" })
        expect((yield* Simulator.counters).received).toBe(0)
      }))
  })

  describe("resetPassword", () => {
    it.effect("request, code, new password, proved by a login", () =>
      Effect.gen(function*() {
        yield* Onboarding.registerAndVerify(person("forgetful@example.com", "old password"))
        const token = yield* Onboarding.resetPassword({ username: "forgetful@example.com", newPassword: pw("new password") })
        expect(token.expiresAt.getTime()).toBeGreaterThan(Date.now())
        const auth = yield* Auth.Auth
        const old = yield* Effect.flip(auth.login({ username: "forgetful@example.com", password: pw("old password") }))
        expect(old._tag).toBe("AccessDeniedError")
      }))

    it.effect("a wrong code: a new one is requested, the right one sets the password", () =>
      Effect.gen(function*() {
        yield* Onboarding.registerAndVerify(person("unlucky@example.com", "old password"))
        yield* Simulator.resetCounters
        const source = yield* wrongFirst(1)
        yield* Onboarding.resetPassword({ username: "unlucky@example.com", newPassword: pw("new password") }).pipe(
          Effect.provideService(CodeSource.CodeSource, source)
        )
        const counters = yield* Simulator.counters
        expect(counters.byOperation.generateUserPasswordResetToken?.succeeded).toBe(2)
        expect(counters.byOperation.resetPasswordUser).toMatchObject({ handled: 2, succeeded: 1 })
      }))

    it.effect("a lost answer to the reset: a login with the new password shows it was set, no second reset", () =>
      Effect.gen(function*() {
        yield* Onboarding.registerAndVerify(person("dropped-reset@example.com", "old password"))
        const token = yield* Onboarding.resetPassword({ username: "dropped-reset@example.com", newPassword: pw("new password") }).pipe(
          withFaults(Faults.on({ resetPasswordUser: { dropAfter: { rate: 1, times: 1 } } }))
        )
        expect(Redacted.value(token.token).length).toBeGreaterThan(0)
        const counters = yield* Simulator.counters
        expect(counters.byOperation.resetPasswordUser).toMatchObject({ received: 1, handled: 1 })
        expect(counters.byOperation.usernamelogin?.succeeded).toBe(2)
      }))

    it.effect("an unknown user: UnknownUser", () =>
      Effect.gen(function*() {
        const error = yield* Effect.flip(Onboarding.resetPassword({ username: "ghost@example.com", newPassword: pw("x y z") }))
        expect(error._tag).toBe("UnknownUser")
      }))
  })

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

    it.effect("a user renames themselves with their own session; a taken name is UsernameTaken", () =>
      Effect.gen(function*() {
        const me = yield* Onboarding.registerAndVerify(person("old-name@example.com", "my password"))
        yield* Onboarding.registerAndVerify(person("someone@example.com"))
        const userId = Option.getOrThrow(me.userId)
        const taken = yield* Effect.flip(
          Provisioning.changeUsernameAs({ username: "old-name@example.com", password: pw("my password"), userId, newUsername: "someone@example.com" })
        )
        expect(taken._tag).toBe("UsernameTaken")
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

// register -> verify against the simulator, with the TestClock: the flow gives up waiting.
layer(TestLive)("Onboarding on the TestClock", (it) => {
  it.effect("registerAndVerify stops waiting for the code after codeTimeout: CodeNotReceived", () =>
    Effect.gen(function*() {
      const registry = yield* CodeSource.makeRegistry
      const fiber = yield* Onboarding.registerAndVerify(person("patient@example.com"), { codeTimeout: "5 minutes" }).pipe(
        Effect.provideService(CodeSource.CodeSource, registry.source),
        Effect.fork
      )
      // The registration goes over real sockets: wait (on the live clock) until the flow waits.
      yield* TestServices.provideLive(
        Effect.repeat(registry.waiting, { until: (w) => w.length > 0, schedule: Schedule.spaced("5 millis") })
      )
      yield* TestClock.adjust("4 minutes")
      expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      yield* TestClock.adjust("1 minute")
      const error = yield* Effect.flip(Fiber.join(fiber))
      expect(error).toMatchObject({ _tag: "CodeNotReceived", reason: "timeout", username: "patient@example.com" })
      // The user stays registered: a rerun resumes it.
      expect((yield* usersNamed("patient@example.com"))[0]?.status).toBe("unverified")
    }))
})
