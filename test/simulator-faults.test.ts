/**
 * Faults of the simulator, proved by its counters, over plain HTTP.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Faults from "../src/testing/Faults.js"
import * as Simulator from "../src/testing/Simulator.js"
import { api, appKeys, control, register } from "./support/simulatorHttp.js"

const createUser = (info: Simulator.SimulatorInfo, username: string) =>
  api(info, "/user", { method: "POST", headers: appKeys(info), body: { username, directoryId: info.directoryId } })

const userExists = (username: string) =>
  Effect.map(Effect.flatMap(Simulator.Simulator, (s) => s.user(username)), Option.isSome)

layer(Simulator.layerServer({ seed: "faults" }), { excludeTestServices: true })("Simulator faults", (it) => {
  const fresh = Effect.gen(function*() {
    const sim = yield* Simulator.Simulator
    yield* sim.setFaults(Faults.none)
    yield* sim.resetCounters
    return sim
  })

  it.effect("dropAfter: the request errors at the client, but it was handled once and the user exists", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.on({ addUser: { dropAfter: 1 } }))
      const result = yield* Effect.either(register(sim.info, "dropped-after@example.com"))
      expect(result._tag).toBe("Left")
      const counters = yield* sim.counters
      expect(counters.byOperation.addUser).toEqual({ received: 1, handled: 1, succeeded: 1 })
      expect(counters.faults.dropAfter).toBe(1)
      expect(yield* userExists("dropped-after@example.com")).toBe(true)
      const [entry] = yield* sim.requests.pipe(Effect.map((r) => r.slice(-1)))
      expect(entry).toMatchObject({ operationId: "addUser", fault: "dropAfter" })
    }))

  it.effect("dropBefore: the request errors at the client and nothing was handled", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.on({ addUser: { dropBefore: 1 } }))
      const result = yield* Effect.either(register(sim.info, "dropped-before@example.com"))
      expect(result._tag).toBe("Left")
      const counters = yield* sim.counters
      expect(counters.byOperation.addUser).toEqual({ received: 1, handled: 0, succeeded: 0 })
      expect(counters.faults.dropBefore).toBe(1)
      expect(yield* userExists("dropped-before@example.com")).toBe(false)
    }))

  it.effect("serverError limited by times: the first request fails with the chosen status, the next succeeds", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.on({ createUser: { serverError: { rate: 1, times: 1 }, serverErrorStatuses: [503] } }))
      const first = yield* createUser(sim.info, "flaky@example.com")
      expect(first.status).toBe(503)
      expect(first.headers["content-type"]).toMatch(/^text\/html/)
      expect(yield* userExists("flaky@example.com")).toBe(false)
      const second = yield* createUser(sim.info, "flaky@example.com")
      expect(second.status).toBe(200)
      const counters = yield* sim.counters
      expect(counters.byOperation.createUser).toEqual({ received: 2, handled: 1, succeeded: 1 })
      expect(counters.faults.serverError).toBe(1)
    }))

  it.effect("a 500 fault carries the spec's body", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.everywhere({ serverError: 1, serverErrorStatuses: [500] }))
      const res = yield* createUser(sim.info, "five-hundred@example.com")
      expect(res.status).toBe(500)
      expect(res.json).toEqual({ error: "An error has occurred" })
    }))

  it.effect("rateLimit: 429 with Retry-After in seconds, nothing handled", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.everywhere({ rateLimit: 1, retryAfter: 7 }))
      const res = yield* createUser(sim.info, "limited@example.com")
      expect(res.status).toBe(429)
      expect(res.headers["retry-after"]).toBe("7")
      const counters = yield* sim.counters
      expect(counters).toMatchObject({ received: 1, handled: 0, faults: { rateLimit: 1 } })
    }))

  it.effect("malformedJson: handled, then 200 with a body that is not JSON", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.on({ createUser: { malformedJson: 1 } }))
      const res = yield* createUser(sim.info, "garbled@example.com")
      expect(res.status).toBe(200)
      expect(res.headers["content-type"]).toMatch(/^application\/json/)
      expect(res.json).toBeUndefined()
      expect(yield* userExists("garbled@example.com")).toBe(true)
      expect((yield* sim.counters).byOperation.createUser).toEqual({ received: 1, handled: 1, succeeded: 1 })
    }))

  it.effect("latency delays the answer", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.on({ getUserbyId: { latency: "150 millis" } }))
      const start = Date.now()
      const res = yield* api(sim.info, "/user/nobody", { headers: appKeys(sim.info) })
      expect(res.status).toBe(404)
      expect(Date.now() - start).toBeGreaterThanOrEqual(140)
      expect((yield* sim.counters).faults.latency).toBe(1)
    }))

  it.effect("a rule per operation overrides the global rule, field by field", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults({ all: { serverError: 1, serverErrorStatuses: [502] }, operations: { getUserbyId: { serverError: 0 } } })
      expect((yield* api(sim.info, "/user/nobody", { headers: appKeys(sim.info) })).status).toBe(404)
      expect((yield* createUser(sim.info, "global@example.com")).status).toBe(502)
    }))

  it.effect("faults and counters over HTTP: PUT/GET /_simulator/faults, GET/DELETE /_simulator/counters", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      const config = { operations: { createUser: { rateLimit: { rate: 1, times: 1 }, retryAfter: 2 } } }
      const put = yield* control(sim.info, "/faults", { method: "PUT", body: config })
      expect(put.status).toBe(200)
      expect((yield* control(sim.info, "/faults")).json).toEqual(config)
      expect((yield* createUser(sim.info, "http-faults@example.com")).status).toBe(429)
      expect((yield* createUser(sim.info, "http-faults@example.com")).status).toBe(200)
      const counters = yield* control(sim.info, "/counters")
      expect(counters.json).toMatchObject({
        received: 2,
        handled: 1,
        succeeded: 1,
        byOperation: { createUser: { received: 2, handled: 1, succeeded: 1 } },
        faults: { rateLimit: 1 }
      })
      yield* control(sim.info, "/counters", { method: "DELETE" })
      expect((yield* sim.counters).received).toBe(0)
      for (const bad of [{ all: { dropAfter: 2 } }, { operations: { nope: { dropAfter: 1 } } }, "{x"]) {
        const res = yield* control(sim.info, "/faults", {
          method: "PUT",
          body: bad,
          headers: { "content-type": "application/json" }
        })
        expect(res.status, JSON.stringify(bad)).toBe(400)
      }
      expect((yield* control(sim.info, "/faults")).json).toEqual(config)
    }))

  it.effect("control routes are neither counted nor faulted", () =>
    Effect.gen(function*() {
      const sim = yield* fresh
      yield* sim.setFaults(Faults.everywhere({ dropBefore: 1 }))
      expect((yield* control(sim.info, "/info")).status).toBe(200)
      expect((yield* sim.counters).received).toBe(0)
    }))
})

describe("Simulator faults: determinism", () => {
  it.live("the same seed gives the same fault decisions", () =>
    Effect.gen(function*() {
      const run = Effect.gen(function*() {
        const sim = yield* Simulator.Simulator
        yield* sim.setFaults(Faults.on({ getUserbyId: { serverError: 0.5, rateLimit: 0.2 } }))
        const statuses: Array<number> = []
        for (let i = 0; i < 16; i++) {
          statuses.push((yield* api(sim.info, "/user/nobody", { headers: appKeys(sim.info) })).status)
        }
        return statuses
      })
      const a = yield* run.pipe(Effect.provide(Simulator.layerServer({ seed: 7 })))
      const b = yield* run.pipe(Effect.provide(Simulator.layerServer({ seed: 7 })))
      expect(a).toEqual(b)
      // Every outcome occurs: passed through (404), rate limited, and each server error status.
      expect(new Set(a)).toEqual(new Set([404, 429, 500, 502, 503]))
    }))

  it.live("invalid faults in the options are refused when the layer is built", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Effect.provide(Simulator.info, Simulator.layerServer({ faults: { all: { dropAfter: 3 } } })))
      expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "faults", problem: expect.stringContaining("dropAfter") })
    }))
})
