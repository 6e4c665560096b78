/**
 * Time in the simulator comes from `Clock`: code TTLs and token expiry driven by `TestClock`.
 */
import { describe, expect, it } from "@effect/vitest"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"
import { activeUser, api, login, register, session, verify } from "./support/simulatorHttp.js"

describe("Simulator with TestClock", () => {
  it.scoped("a verification code expires after the TTL (default 15 minutes)", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const inbox = yield* Inbox.Inbox
      yield* register(info, "ttl-a@example.com")
      yield* register(info, "ttl-b@example.com")
      const a = yield* inbox.next("ttl-a@example.com")
      const b = yield* inbox.next("ttl-b@example.com")
      yield* TestClock.adjust("14 minutes")
      expect((yield* verify(info, "ttl-a@example.com", a.code)).status).toBe(200)
      yield* TestClock.adjust("1 minute")
      const late = yield* verify(info, "ttl-b@example.com", b.code)
      expect(late.status).toBe(400)
      expect(late.json).toEqual({ error: "token expired" })
      const again = yield* verify(info, "ttl-b@example.com", b.code)
      expect(again.json).toEqual({ error: "no valid token, request a new one" })
    }).pipe(Effect.provide(Simulator.layerServer())))

  it.scoped("the code TTL is configurable", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const inbox = yield* Inbox.Inbox
      yield* register(info, "short@example.com")
      const { code } = yield* inbox.next("short@example.com")
      yield* TestClock.adjust("61 seconds")
      expect((yield* verify(info, "short@example.com", code)).json).toEqual({ error: "token expired" })
    }).pipe(Effect.provide(Simulator.layerServer({ codeTtl: "1 minute" }))))

  it.scoped("a token expires at exp (default 7 days); newToken before then pushes exp later", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      yield* activeUser(info, "expiry@example.com")
      const first = (yield* login(info, "expiry@example.com")).json
      expect(first.exp).toBe(7 * 86400)
      yield* TestClock.adjust("6 days")
      const renewed = (yield* api(info, "/auth/newToken", { headers: session(info, first.token) })).json
      expect(renewed.exp).toBe(13 * 86400)
      yield* TestClock.adjust("1 day")
      const expired = yield* api(info, "/auth", { headers: session(info, first.token) })
      expect(expired.status).toBe(401)
      expect(expired.json).toEqual({ error: "Access denied" })
      expect((yield* api(info, "/auth", { headers: session(info, renewed.token) })).status).toBe(200)
      // the developer token does not expire within any test's horizon
      const admin = yield* api(info, "/user?username=expiry%40example.com", {
        headers: { applicationId: info.applicationId, token: info.developerToken }
      })
      expect(admin.status).toBe(200)
    }).pipe(Effect.provide(Simulator.layerServer())))

  it.scoped("the token lifetime is configurable", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      yield* activeUser(info, "hour@example.com")
      const { exp, token } = (yield* login(info, "hour@example.com")).json
      expect(exp).toBe(3600)
      yield* TestClock.adjust("59 minutes")
      expect((yield* api(info, "/auth", { headers: session(info, token) })).status).toBe(200)
      yield* TestClock.adjust("1 minute")
      expect((yield* api(info, "/auth", { headers: session(info, token) })).status).toBe(401)
    }).pipe(Effect.provide(Simulator.layerServer({ tokenLifetime: "1 hour" }))))

  it.scoped("Simulator.layer runs in-process on a given HttpServer", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      expect(info.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v0-1$/)
      expect((yield* register(info, "inprocess@example.com")).status).toBe(200)
      expect((yield* Simulator.counters).byOperation.addUser?.succeeded).toBe(1)
    }).pipe(Effect.provide(Simulator.layer({ seed: "in-process" }).pipe(Layer.provide(NodeHttpServer.layerTest)))))
})
