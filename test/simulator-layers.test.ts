/**
 * `layerTest`, the admin-credential helpers and `runStandalone`.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { AdminAuth } from "../src/services/Credentials.js"
import { GlowmarktConfig } from "../src/services/GlowmarktConfig.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { request } from "./support/plainHttp.js"
import { register } from "./support/simulatorHttp.js"

layer(Simulator.layerTest({ seed: "layer-test" }), { excludeTestServices: true })("Simulator.layerTest", (it) => {
  it.effect("provides GlowmarktConfig pointed at the simulator, and the Inbox", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const config = yield* GlowmarktConfig
      expect(config.baseUrl).toBe(info.baseUrl)
      expect(config.applicationId).toEqual(Option.some(info.applicationId))
      expect(config.directoryId).toEqual(Option.some(info.directoryId))
      expect(config.retry.times).toBe(3)
      yield* register(info, "layer-test@example.com")
      const message = yield* Effect.flatMap(Inbox.Inbox, (inbox) => inbox.next("layer-test@example.com"))
      expect(message.kind).toBe("verification")
    }))

  it.effect("turns the seeded credentials into the library's AdminCredential values", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const appKeys = yield* Simulator.adminCredential("appKeys")
      expect(appKeys).toMatchObject({ _tag: "AppKeys", keyId: info.appKeys.keyId })
      const org = yield* Simulator.adminCredential("organisationKeys")
      expect(org).toMatchObject({ _tag: "OrganisationKeys", applicationId: info.applicationId, keyId: info.organisationKeys.keyId })
      const dev = yield* Simulator.adminCredential("developerToken")
      // One assertion, not one inside a branch that a wrong tag would skip.
      expect(dev._tag === "DeveloperToken" && Redacted.value(dev.token)).toBe(info.developerToken)
      expect(Either.getOrThrow(Simulator.adminCredentialFrom(info, "organisationKeys"))).toEqual(org)
      const provided = yield* Effect.provide(AdminAuth, Simulator.layerAdmin("developerToken"))
      expect(provided._tag).toBe("DeveloperToken")
    }))
})

describe("Simulator.runStandalone", () => {
  it.live("prints one JSON line first, then serves until interrupted", () =>
    Effect.gen(function*() {
      const lines: Array<string> = []
      // Completed by the first write: the banner, printed once the server listens.
      const printed = yield* Deferred.make<void>()
      const write = process.stdout.write
      let fiber: Fiber.RuntimeFiber<never, unknown> | undefined
      try {
        process.stdout.write = ((chunk: string | Uint8Array) => {
          lines.push(String(chunk))
          Deferred.unsafeDone(printed, Exit.void)
          return true
        }) as typeof process.stdout.write
        fiber = yield* Effect.fork(Simulator.runStandalone({ port: 0, seed: "standalone" }))
        yield* Deferred.await(printed)
      } finally {
        process.stdout.write = write
      }
      const banner = JSON.parse(lines[0]!)
      expect(Object.keys(banner).sort()).toEqual(
        ["appKeys", "applicationId", "baseUrl", "developerToken", "directoryId", "organisationKeys", "origin"]
      )
      expect(lines[0]!.endsWith("\n")).toBe(true)
      const info = yield* request(`${banner.origin}/_simulator/info`)
      expect(info.json.applicationId).toBe(banner.applicationId)
      yield* Fiber.interrupt(fiber!)
      const after = yield* Effect.either(request(`${banner.origin}/_simulator/info`))
      expect(after._tag).toBe("Left")
    }))
})
