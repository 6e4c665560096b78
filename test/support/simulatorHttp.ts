/**
 * Plain-HTTP steps against the simulator's API, for the simulator's own tests.
 */
import * as Effect from "effect/Effect"
import type { SimulatorInfo } from "../../src/testing/Simulator.js"
import { basic, type PlainRequest, request } from "./plainHttp.js"

export const api = (info: SimulatorInfo, path: string, options: PlainRequest = {}) =>
  request(`${info.baseUrl}${path}`, options)

export const control = (info: SimulatorInfo, path: string, options: PlainRequest = {}) =>
  request(`${info.origin}/_simulator${path}`, options)

export const appKeys = (info: SimulatorInfo) => ({ authorization: basic(info.appKeys.keyId, info.appKeys.secret) })

export const register = (info: SimulatorInfo, username: string, password = "secret-1") =>
  api(info, "/register", {
    method: "POST",
    body: {
      applicationId: info.applicationId,
      directoryId: info.directoryId,
      email: username,
      name: "Test User",
      password,
      username
    }
  })

export const verify = (info: SimulatorInfo, username: string, token: string, password = "secret-1") =>
  api(info, "/user/verify", {
    method: "PUT",
    body: { applicationId: info.applicationId, username, password, token }
  })

export const requestCode = (info: SimulatorInfo, username: string, password = "secret-1") =>
  api(info, "/user/verify", { method: "POST", body: { applicationId: info.applicationId, username, password } })

export const login = (info: SimulatorInfo, username: string, password = "secret-1") =>
  api(info, "/auth", {
    method: "POST",
    headers: { applicationId: info.applicationId },
    body: { username, password }
  })

export const session = (info: SimulatorInfo, token: string) => ({ applicationId: info.applicationId, token })

/** Reads the JSON claims of a JWT without checking it. */
export const claimsOf = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString("utf8"))

/** Registers and verifies a user through the API and the inbox over HTTP; returns its userId. */
export const activeUser = (info: SimulatorInfo, username: string, password = "secret-1") =>
  Effect.gen(function*() {
    const registered = yield* register(info, username, password)
    if (registered.status !== 200) return yield* Effect.dieMessage(`register: ${registered.status} ${registered.text}`)
    const inbox = yield* control(info, `/inbox/${encodeURIComponent(username)}/next`)
    const verified = yield* verify(info, username, inbox.json.code, password)
    if (verified.status !== 200) return yield* Effect.dieMessage(`verify: ${verified.status} ${verified.text}`)
    return registered.json.userId as string
  })
