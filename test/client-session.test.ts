/**
 * User sessions: login, `exp` read from the server, refresh ahead of expiry (new token first,
 * password login as fallback), one refresh however many fibers ask, one new login after a 401.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import { type Answer, clientLayer, json, type Recorded, scripted } from "./support/scripted.js"

const password = Redacted.make("pw-session-1")

/** A fake /auth: tokens are `jwt-N`, valid for `lifetime` seconds from the (test) clock's 0. */
const authServer = (options: {
  readonly exp: number
  readonly renew?: "ok" | "fail"
  readonly refuse?: (token: string | undefined, request: Recorded) => boolean
}) => {
  let issued = 0
  return (request: Recorded): Answer => {
    const path = request.url
    if (request.method === "POST" && path === "/api/v0-1/auth") {
      issued++
      return json(200, { valid: true, token: `jwt-${issued}`, exp: options.exp, accountId: "acc-1", applicationId: "app-1" })
    }
    if (request.method === "GET" && path === "/api/v0-1/auth/newToken") {
      if (options.renew === "fail") return json(401, { error: "Access denied" })
      issued++
      return json(200, { valid: true, token: `jwt-${issued}`, exp: options.exp + 3600 })
    }
    if (request.method === "GET" && path === "/api/v0-1/auth") {
      return json(200, { valid: true, exp: options.exp, accountId: "acc-1", applicationId: "app-1" })
    }
    const token = request.headers.token as string | undefined
    if (options.refuse?.(token, request)) return json(401, { error: "Access denied" })
    return json(200, { valid: true })
  }
}

const rename = (username: string) => Effect.flatMap(Users.Users, (u) => u.changeUsername({ userId: "u-1", username }))
const calls = (requests: ReadonlyArray<Recorded>, method: string, path: string) =>
  requests.filter((r) => r.method === method && r.url === `/api/v0-1${path}`)

describe("user session", () => {
  it.scoped("logs in once and reuses the token while it is fresh", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 7 * 24 * 3600 }))
      yield* Effect.gen(function*() {
        yield* rename("a@x.co")
        yield* rename("b@x.co")
      }).pipe(
        Session.withSession({ username: "a@x.co", password }),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(calls(server.requests, "POST", "/auth")).toHaveLength(1)
      expect(calls(server.requests, "PUT", "/user/u-1/username").map((r) => r.headers.token)).toEqual(["jwt-1", "jwt-1"])
    }))

  it.scoped("refreshes ahead of expiry with a new token, once for many fibers", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 600 }))
      yield* Effect.gen(function*() {
        yield* rename("a@x.co")
        // 6 minutes later the token expires within the 5-minute margin.
        yield* TestClock.adjust("6 minutes")
        yield* Effect.all(Array.from({ length: 20 }, (_, i) => rename(`u${i}@x.co`)), { concurrency: "unbounded" })
      }).pipe(
        Session.withSession({ username: "a@x.co", password, refreshAhead: "5 minutes" }),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(calls(server.requests, "GET", "/auth/newToken")).toHaveLength(1)
      expect(calls(server.requests, "POST", "/auth")).toHaveLength(1)
      const tokens = calls(server.requests, "PUT", "/user/u-1/username").map((r) => r.headers.token)
      expect(tokens[0]).toBe("jwt-1")
      expect(tokens.slice(1)).toEqual(Array(20).fill("jwt-2"))
    }))

  it.scoped("falls back to a password login when the token cannot be renewed", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 600, renew: "fail" }))
      yield* Effect.gen(function*() {
        yield* TestClock.adjust("6 minutes")
        yield* rename("a@x.co")
      }).pipe(
        Session.withSession({ username: "a@x.co", password, refreshAhead: "5 minutes" }),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 0 } }))
      )
      expect(calls(server.requests, "GET", "/auth/newToken")).toHaveLength(1)
      expect(calls(server.requests, "POST", "/auth")).toHaveLength(2)
      expect(calls(server.requests, "PUT", "/user/u-1/username")[0]!.headers.token).toBe("jwt-2")
    }))

  it.scoped("after a 401 it logs in again once and retries the call once", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 7 * 24 * 3600, refuse: (token) => token === "jwt-1" }))
      yield* rename("a@x.co").pipe(
        Session.withSession({ username: "a@x.co", password }),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(calls(server.requests, "PUT", "/user/u-1/username").map((r) => r.headers.token)).toEqual(["jwt-1", "jwt-2"])
    }))

  it.scoped("a second 401 is reported, not looped on", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 7 * 24 * 3600, refuse: () => true }))
      const error = yield* rename("a@x.co").pipe(
        Session.withSession({ username: "a@x.co", password }),
        Effect.flip,
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(error).toMatchObject({ _tag: "TokenRejectedError", operation: "updateUsernameUserId" })
      expect(calls(server.requests, "PUT", "/user/u-1/username")).toHaveLength(2)
      expect(calls(server.requests, "POST", "/auth")).toHaveLength(2)
    }))

  it.scoped("a session from an existing token reads its expiry and cannot log in again", () =>
    Effect.gen(function*() {
      const server = yield* scripted(authServer({ exp: 1234567, refuse: () => true }))
      const error = yield* Effect.gen(function*() {
        const session = yield* Session.UserSession
        const expiresAt = yield* session.expiresAt
        expect(expiresAt._tag === "Some" && expiresAt.value.getTime()).toBe(1234567 * 1000)
        expect(session.canLogInAgain).toBe(false)
        return yield* rename("a@x.co")
      }).pipe(
        Session.withSession({ token: Redacted.make("existing-jwt") }),
        Effect.flip,
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(error).toMatchObject({ _tag: "TokenRejectedError", operation: "updateUsernameUserId" })
      expect(calls(server.requests, "GET", "/auth")[0]!.headers.token).toBe("existing-jwt")
      expect(calls(server.requests, "PUT", "/user/u-1/username")).toHaveLength(1)
      expect(calls(server.requests, "POST", "/auth")).toHaveLength(0)
    }))

  it.scoped("a wrong password fails when the session opens", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(401, { valid: false }))
      const error = yield* rename("a@x.co").pipe(
        Session.withSession({ username: "a@x.co", password }),
        Effect.flip,
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(error).toMatchObject({ _tag: "InvalidCredentialsError", operation: "usernamelogin" })
      expect(server.requests).toHaveLength(1)
    }))
})
