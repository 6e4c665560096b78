/**
 * The settings: defaults, the environment, and the refusals that protect credentials.
 */
import { describe, expect, it } from "@effect/vitest"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"

const read = <E>(layer: Layer.Layer<GlowmarktConfig.GlowmarktConfig, E>) =>
  Effect.provide(GlowmarktConfig.GlowmarktConfig, layer)
const env = (vars: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(vars))))

describe("GlowmarktConfig", () => {
  it.effect("defaults to the public API with a 10 s timeout and 3 retries", () =>
    Effect.gen(function*() {
      const settings = yield* read(GlowmarktConfig.layer())
      expect(settings.baseUrl).toBe("https://api.glowmarkt.com/api/v0-1")
      expect(Option.isNone(settings.applicationId)).toBe(true)
      expect(Duration.toMillis(settings.requestTimeout)).toBe(10_000)
      expect(settings.retry.times).toBe(3)
    }))

  it.effect("reads GLOWMARKT_* from the environment", () =>
    Effect.gen(function*() {
      const settings = yield* read(GlowmarktConfig.layerConfig().pipe(Layer.provide(env({
        GLOWMARKT_BASE_URL: "https://proxy.example.com/glow/api/v0-1/",
        GLOWMARKT_APPLICATION_ID: "app-7",
        GLOWMARKT_DIRECTORY_ID: "dir-7",
        GLOWMARKT_REQUEST_TIMEOUT: "3 seconds",
        GLOWMARKT_RETRY_TIMES: "5",
        GLOWMARKT_RETRY_BASE_DELAY: "50 millis",
        GLOWMARKT_RETRY_MAX_DELAY: "2 seconds"
      }))))
      expect(settings.baseUrl).toBe("https://proxy.example.com/glow/api/v0-1")
      expect(settings.applicationId).toEqual(Option.some("app-7"))
      expect(settings.directoryId).toEqual(Option.some("dir-7"))
      expect(Duration.toMillis(settings.requestTimeout)).toBe(3000)
      expect(settings.retry).toMatchObject({ times: 5 })
      expect(Duration.toMillis(settings.retry.maxDelay)).toBe(2000)
    }))

  it.effect("plain http is allowed on loopback only", () =>
    Effect.gen(function*() {
      for (const ok of ["http://127.0.0.1:8080/api/v0-1", "http://localhost/api/v0-1", "http://[::1]:9/api/v0-1"]) {
        expect((yield* read(GlowmarktConfig.layer({ baseUrl: ok }))).baseUrl).toBe(ok)
      }
      const error = yield* Effect.flip(read(GlowmarktConfig.layer({ baseUrl: "http://api.glowmarkt.com/api/v0-1" })))
      expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "baseUrl" })
      expect(error.message).toContain("https://")
      expect(error.message).toContain("clear text")
    }))

  it.effect("refuses base URLs that are not the API root, or carry credentials, a query or a fragment", () =>
    Effect.gen(function*() {
      for (
        const bad of [
          "not a url",
          "ftp://api.glowmarkt.com/api/v0-1",
          "https://api.glowmarkt.com",
          "https://user:pass@api.glowmarkt.com/api/v0-1",
          "https://api.glowmarkt.com/api/v0-1?x=1",
          "https://api.glowmarkt.com/api/v0-1#x"
        ]
      ) {
        const error = yield* Effect.flip(read(GlowmarktConfig.layer({ baseUrl: bad })))
        expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "baseUrl" })
        expect(String(error)).not.toContain("pass@")
      }
    }))

  it.effect("refuses bad retry settings and ids", () =>
    Effect.gen(function*() {
      expect(yield* Effect.flip(read(GlowmarktConfig.layer({ retry: { times: -1 } })))).toMatchObject({ setting: "retry.times" })
      expect(yield* Effect.flip(read(GlowmarktConfig.layer({ requestTimeout: Duration.infinity })))).toMatchObject({
        setting: "requestTimeout"
      })
      expect(yield* Effect.flip(read(GlowmarktConfig.layer({ applicationId: " x" })))).toMatchObject({
        setting: "applicationId"
      })
    }))
})
