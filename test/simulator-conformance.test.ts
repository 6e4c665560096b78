/**
 * The simulator against what the spec implies, table-driven: the same plain HTTP requests a
 * validating mock or a generated client sends (valid ones, each spec violation, each credential
 * combination), and the answer the spec implies for each. No test reads the spec file: these
 * rows are the rules of docs/SIMULATOR.md ("What the simulator refuses" and "Credentials").
 */
import { describe, expect, it, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Simulator from "../src/testing/Simulator.js"
import type { SimulatorInfo } from "../src/testing/Simulator.js"
import { basic, type PlainRequest, type PlainResponse } from "./support/plainHttp.js"
import { activeUser, api, appKeys, control, login, register } from "./support/simulatorHttp.js"

/** What the rows need: a user of the demo application, with its session token. */
interface Fixture {
  readonly info: SimulatorInfo
  readonly userId: string
  readonly userToken: string
}

interface Row {
  readonly name: string
  readonly path: (f: Fixture) => string
  readonly request: (f: Fixture) => PlainRequest
  readonly status: number
  /** The JSON body expected (toEqual), if the row cares. */
  readonly json?: (f: Fixture) => unknown
  readonly check?: (res: PlainResponse, f: Fixture) => void
}

const limit = 100 * 1024
const otherApplication = "0537b17c-ab62-491c-8085-9ac2b6206346"

const registerBody = (f: Fixture, username: string, extra: Record<string, unknown> = {}) => ({
  applicationId: f.info.applicationId,
  directoryId: f.info.directoryId,
  email: username,
  name: "Conformance",
  password: "pw-1",
  username,
  ...extra
})

const app = (f: Fixture) => ({ applicationId: f.info.applicationId })
const orgKeys = (f: Fixture) => ({ authorization: basic(f.info.organisationKeys.keyId, f.info.organisationKeys.secret) })
const devToken = (f: Fixture) => ({ token: f.info.developerToken })
const wrongBasic = (f: Fixture) => ({ authorization: basic(f.info.appKeys.keyId, "wrong") })

const denied = () => ({ error: "Access denied" })
const jsonContent = (res: PlainResponse) => expect(res.headers["content-type"]).toMatch(/^application\/json/)

// Admin: app keys, OR applicationId + organisation keys, OR applicationId + developer token.
const adminCredentials: ReadonlyArray<readonly [string, (f: Fixture) => Record<string, string>, 200 | 401]> = [
  ["no credential", () => ({}), 401],
  ["app keys", (f) => appKeys(f.info), 200],
  ["app keys + applicationId", (f) => ({ ...appKeys(f.info), ...app(f) }), 200],
  ["app keys + another application's id", (f) => ({ ...appKeys(f.info), applicationId: otherApplication }), 200],
  ["app keys + applicationId + developer token (every credential)", (f) => ({ ...appKeys(f.info), ...app(f), ...devToken(f) }), 200],
  ["app keys + applicationId + a garbage token", (f) => ({ ...appKeys(f.info), ...app(f), token: "garbage" }), 200],
  ["applicationId + organisation keys", (f) => ({ ...app(f), ...orgKeys(f) }), 200],
  ["applicationId + organisation keys + a garbage token", (f) => ({ ...app(f), ...orgKeys(f), token: "garbage" }), 200],
  ["applicationId + developer token", (f) => ({ ...app(f), ...devToken(f) }), 200],
  ["applicationId + developer token + wrong basic keys", (f) => ({ ...app(f), ...devToken(f), ...wrongBasic(f) }), 200],
  ["applicationId + developer token + a Bearer header", (f) => ({ ...app(f), ...devToken(f), authorization: "Bearer x" }), 200],
  ["organisation keys without applicationId", (f) => orgKeys(f), 401],
  ["organisation keys + an unknown applicationId", (f) => ({ ...orgKeys(f), applicationId: otherApplication }), 401],
  ["developer token without applicationId", (f) => devToken(f), 401],
  ["developer token + an unknown applicationId", (f) => ({ ...devToken(f), applicationId: otherApplication }), 401],
  ["applicationId + a user's token", (f) => ({ ...app(f), token: f.userToken }), 401],
  ["applicationId alone", (f) => app(f), 401],
  ["wrong basic keys", (f) => wrongBasic(f), 401],
  ["wrong basic keys + applicationId + a garbage token", (f) => ({ ...wrongBasic(f), ...app(f), token: "garbage" }), 401]
]

// Session: applicationId + the user's token.
const sessionCredentials: ReadonlyArray<readonly [string, (f: Fixture) => Record<string, string>, 200 | 401]> = [
  ["applicationId + user token", (f) => ({ ...app(f), token: f.userToken }), 200],
  ["applicationId + user token + app keys", (f) => ({ ...app(f), token: f.userToken, ...appKeys(f.info) }), 200],
  ["applicationId + user token + wrong basic keys", (f) => ({ ...app(f), token: f.userToken, ...wrongBasic(f) }), 200],
  ["user token without applicationId", (f) => ({ token: f.userToken }), 401],
  ["user token + another application's id", (f) => ({ token: f.userToken, applicationId: otherApplication }), 401],
  ["applicationId + developer token", (f) => ({ ...app(f), ...devToken(f) }), 401],
  ["app keys alone", (f) => appKeys(f.info), 401],
  ["no credential", () => ({}), 401]
]

const rows: ReadonlyArray<Row> = [
  ...adminCredentials.map(([name, headers, status]): Row => ({
    name: `admin GET /user/{userId}: ${name}`,
    path: (f) => `/user/${f.userId}`,
    request: (f) => ({ headers: headers(f) }),
    status,
    ...(status === 401 ? { json: denied } : {})
  })),
  ...adminCredentials.map(([name, headers, status]): Row => ({
    name: `admin GET /user?username=: ${name}`,
    path: () => "/user?username=conformance%40example.com",
    request: (f) => ({ headers: headers(f) }),
    status,
    ...(status === 401 ? { json: denied } : {})
  })),
  ...sessionCredentials.map(([name, headers, status]): Row => ({
    name: `session GET /auth: ${name}`,
    path: () => "/auth",
    request: (f) => ({ headers: headers(f) }),
    status,
    ...(status === 401 ? { json: denied } : {})
  })),
  // The same rule on every other operation of each group: every credential at once, and none.
  ...([
    ["admin POST /user", "POST", () => "/user", (f: Fixture) => ({ username: `everything${f.userId.slice(0, 8)}@example.com`, directoryId: f.info.directoryId }), 200],
    ["admin DELETE /user/{unknown}", "DELETE", () => "/user/00000000-0000-4000-8000-000000000000", () => undefined, 404],
    ["session GET /auth/newToken", "GET", () => "/auth/newToken", () => undefined, 200],
    ["session PUT /user/{userId}/username (to its own)", "PUT", (f: Fixture) => `/user/${f.userId}/username`, () => ({ username: "conformance@example.com", status: "active" }), 200]
  ] as const).flatMap(([name, method, path, body, status]): ReadonlyArray<Row> => {
    const session = name.startsWith("session")
    const every = (f: Fixture) => ({ ...appKeys(f.info), ...app(f), token: session ? f.userToken : f.info.developerToken })
    return [
      { name: `${name}: every credential at once`, path, request: (f) => ({ method, headers: every(f), body: body(f) }), status },
      { name: `${name}: no credential`, path, request: (f) => ({ method, body: body(f) }), status: 401, json: denied }
    ]
  }),
  // bodies
  {
    name: `a body over ${limit} bytes (Content-Length) is 413`,
    path: () => "/register",
    request: (f) => ({ method: "POST", body: registerBody(f, "big@example.com", { name: "x".repeat(limit) }) }),
    status: 413,
    check: jsonContent
  },
  {
    name: "a chunked body over the limit is 413",
    path: () => "/register",
    request: (f) => ({ method: "POST", chunked: true, body: registerBody(f, "chunked@example.com", { name: "x".repeat(limit) }) }),
    status: 413
  },
  {
    name: "a body just under the limit is read (and its fields judged)",
    path: () => "/register",
    request: (f) => ({ method: "POST", body: registerBody(f, "nearly@example.com", { padding: "x".repeat(limit - 1024) }) }),
    status: 200
  },
  {
    name: "a JSON body without Content-Type is 415",
    path: () => "/register",
    request: (f) => ({ method: "POST", body: JSON.stringify(registerBody(f, "notype@example.com")) }),
    status: 415,
    check: jsonContent
  },
  {
    name: "a JSON body as text/plain is 415",
    path: () => "/register",
    request: (f) => ({
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify(registerBody(f, "textplain@example.com"))
    }),
    status: 415
  },
  {
    name: "application/json; charset=utf-8 is JSON",
    path: () => "/register",
    request: (f) => ({
      method: "POST",
      headers: { "content-type": "application/json; charset=utf-8" },
      body: JSON.stringify(registerBody(f, "charset@example.com"))
    }),
    status: 200
  },
  {
    name: "bodies are open objects: an extra property is ignored",
    path: () => "/register",
    request: (f) => ({ method: "POST", body: registerBody(f, "extra@example.com", { favouriteColour: "blue" }) }),
    status: 200
  },
  {
    name: "an absent body (the spec's body is optional) is 400 missing elements",
    path: () => "/register",
    request: () => ({ method: "POST" }),
    status: 400,
    json: () => ({ error: "missing elements" })
  },
  {
    name: "a generated client's {} body with Content-Type on GET is tolerated",
    path: (f) => `/user/${f.userId}`,
    request: (f) => ({ headers: appKeys(f.info), body: {} }),
    status: 200
  },
  // methods and paths
  {
    name: "an unknown method on a known path is 405 with Allow",
    path: () => "/register",
    request: () => ({ method: "PATCH" }),
    status: 405,
    check: (res) => {
      jsonContent(res)
      expect(res.headers["allow"]).toBe("POST")
    }
  },
  {
    name: "DELETE /auth is 405, Allow: GET, POST",
    path: () => "/auth",
    request: () => ({ method: "DELETE" }),
    status: 405,
    check: (res) => expect(res.headers["allow"]).toBe("GET, POST")
  },
  {
    name: "an unknown path is a JSON 404",
    path: () => "/nothing/here",
    request: () => ({}),
    status: 404,
    json: () => ({ error: "Not found" }),
    check: jsonContent
  },
  {
    name: "an unknown user is the spec's 404: a JSON string",
    path: () => "/user/00000000-0000-4000-8000-000000000000",
    request: (f) => ({ headers: appKeys(f.info) }),
    status: 404,
    json: () => "Not found",
    check: jsonContent
  },
  // parameters
  {
    name: "GET /user without username (which declares no 400) is its 404",
    path: () => "/user",
    request: (f) => ({ headers: appKeys(f.info) }),
    status: 404,
    json: () => "Not found"
  },
  {
    name: "GET /user without username nor credential is 401",
    path: () => "/user",
    request: () => ({}),
    status: 401,
    json: denied
  },
  {
    name: "POST /auth without the required applicationId header is 400 missing elements",
    path: () => "/auth",
    request: () => ({ method: "POST", body: { username: "conformance@example.com", password: "pw-1" } }),
    status: 400,
    json: () => ({ error: "missing elements" })
  }
]

let fixture: Fixture | undefined
const getFixture = Effect.suspend(() =>
  fixture !== undefined ? Effect.succeed(fixture) : Effect.gen(function*() {
    const info = yield* Simulator.info
    const userId = yield* activeUser(info, "conformance@example.com", "pw-1")
    const userToken = (yield* login(info, "conformance@example.com", "pw-1")).json.token as string
    fixture = { info, userId, userToken }
    return fixture
  })
)

layer(Simulator.layerServer({ seed: "conformance" }), { excludeTestServices: true })("Simulator: the spec's rules", (it) => {
  describe("requests and the answers the spec implies", () => {
    for (const row of rows) {
      it.effect(row.name, () =>
        Effect.gen(function*() {
          const f = yield* getFixture
          const res = yield* api(f.info, row.path(f), row.request(f))
          expect(res.status, res.text.slice(0, 200)).toBe(row.status)
          if (row.json !== undefined) expect(res.json).toEqual(row.json(f))
          row.check?.(res, f)
        }))
    }
  })

  it.effect("a refused body creates nothing", () =>
    Effect.gen(function*() {
      yield* getFixture
      const simulator = yield* Simulator.Simulator
      for (const user of ["big@example.com", "chunked@example.com", "notype@example.com", "textplain@example.com"]) {
        expect(Option.isNone(yield* simulator.user(user)), user).toBe(true)
      }
    }))

  describe("control routes", () => {
    const port = (info: SimulatorInfo) => new URL(info.origin).port
    it.effect("answer only requests addressed to the host served (no DNS rebinding)", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        for (const host of [`evil.example:${port(info)}`, "127.0.0.1", `127.0.0.1:1`, `rebind.127.0.0.1.nip.io:${port(info)}`]) {
          const read = yield* control(info, "/info", { headers: { host } })
          expect(read.status, host).toBe(403)
          expect(read.text).not.toContain(info.appKeys.secret)
          const write = yield* control(info, "/faults", { method: "PUT", headers: { host }, body: { default: { serverError: 1 } } })
          expect(write.status, host).toBe(403)
        }
        expect((yield* Simulator.counters).faults.serverError).toBe(0)
        for (const host of [`127.0.0.1:${port(info)}`, `localhost:${port(info)}`, `[::1]:${port(info)}`]) {
          expect((yield* control(info, "/info", { headers: { host } })).status, host).toBe(200)
        }
        const unknown = yield* control(info, "/nothing")
        expect(unknown.status).toBe(404)
        expect(unknown.json).toEqual({ error: "Not found" })
      }))

    it.effect("deleting a user voids its unread codes: a new registration of the address gets only the new code", () =>
      Effect.gen(function*() {
        const info = yield* Simulator.info
        const user = "again@example.com"
        const first = yield* register(info, user)
        expect(first.status).toBe(200)
        const deleted = yield* api(info, `/user/${first.json.userId}`, { method: "DELETE", headers: appKeys(info) })
        expect(deleted.status).toBe(200)
        expect((yield* control(info, `/inbox/${user}/next`)).status).toBe(404)
        expect((yield* register(info, user)).status).toBe(200)
        const next = yield* control(info, `/inbox/${user}/next`)
        const all = yield* control(info, `/inbox/${user}`)
        expect(all.json).toHaveLength(2)
        expect(next.json.code).toBe(all.json[1].code)
        expect((yield* control(info, `/inbox/${user}/next`)).status).toBe(404)
      }))
  })
})

describe("Simulator.layerServer: where it listens", () => {
  it.live("refuses a host beyond loopback unless allowRemote", () =>
    Effect.gen(function*() {
      const refused = yield* Effect.exit(Effect.provide(Simulator.info, Simulator.layerServer({ host: "0.0.0.0" })))
      expect(Exit.isFailure(refused)).toBe(true)
      if (Exit.isFailure(refused)) expect(String(refused.cause)).toContain("allowRemote")
      const loopback = yield* Effect.provide(Simulator.info, Simulator.layerServer({ host: "localhost" }))
      expect(loopback.origin).toMatch(/^http:\/\/(127\.0\.0\.1|localhost|\[::1\]):\d+$/)
    }))
})
