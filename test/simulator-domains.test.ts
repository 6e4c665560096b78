/**
 * The simulator's new groups over plain HTTP: the spec's security alternatives (one satisfied
 * alternative authorises, whatever else comes along), the OAuth exchange as a form, per-operation
 * faults accepted for every new operationId, unknown methods.
 */
import { expect, layer } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Simulator from "../src/testing/Simulator.js"
import { basic } from "./support/plainHttp.js"
import { activeUser, api, appKeys, control, login, session } from "./support/simulatorHttp.js"

const mprn = "7654321"

layer(Simulator.layerServer({ seed: "domains" }), { excludeTestServices: true })("Simulator: the other domains", (it) => {
  it.effect("consent: admin + userId, or the user's token; a bad admin credential next to a good token is still authorised", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const userId = yield* activeUser(info, "alt@x.co")
      const token = (yield* login(info, "alt@x.co")).json.token as string
      const path = `/user/verification/status/mpxn/${mprn}/renewal`
      const orgKeys = { applicationId: info.applicationId, authorization: basic(info.organisationKeys.keyId, info.organisationKeys.secret) }
      const dev = { applicationId: info.applicationId, token: info.developerToken }
      for (const headers of [{ ...appKeys(info), userId }, { ...orgKeys, userId }, { ...dev, userId }, session(info, token)]) {
        expect((yield* api(info, path, { method: "POST", headers, body: {} })).status).toBe(200)
      }
      // The userId header without an admin credential, or an admin credential without userId: 401.
      expect((yield* api(info, "/user/verification/status", { headers: { userId } })).status).toBe(401)
      expect((yield* api(info, "/user/verification/status", { headers: appKeys(info) })).status).toBe(401)
      // A wrong basic credential with userId, but the user's own token too: the token alternative holds.
      const mixed = yield* api(info, "/user/verification/status", {
        headers: { ...session(info, token), userId, authorization: basic("nope", "nope") }
      })
      expect(mixed.status).toBe(200)
      expect(mixed.json.meterPointVerification).toHaveLength(1)
      expect(mixed.json.meterPointVerification[0]).toMatchObject({ mpxn: mprn, mpxnKey: "mprn", isVerified: true })
      const history = yield* api(info, path, { headers: session(info, token) })
      expect(history.json.meterPointRenewals).toHaveLength(4)
      // The developer token is not a user's token.
      expect((yield* api(info, "/account/status", { headers: dev })).status).toBe(401)
    }))

  it.effect("OAuth: the exchange is a form; JSON or a missing code is a 400", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      yield* activeUser(info, "form@x.co")
      const code = yield* api(info, "/auth/oauth", {
        method: "POST",
        headers: { applicationId: info.applicationId },
        body: { username: "form@x.co", password: "secret-1" }
      })
      expect(code.status).toBe(200)
      const form = (fields: Record<string, string>) => ({
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams(fields).toString()
      })
      const missing = yield* api(info, "/auth/oauth/access", form({ grant_type: "authorization_code", client_id: info.applicationId }))
      expect(missing.status).toBe(400)
      const asJson = yield* api(info, "/auth/oauth/access", {
        method: "POST",
        body: { grant_type: "authorization_code", client_id: info.applicationId, code: code.json.code }
      })
      expect(asJson.status).toBe(400)
      expect(asJson.json).toEqual({ error: "missing elements" })
      const ok = yield* api(info, "/auth/oauth/access", form({ grant_type: "authorization_code", client_id: info.applicationId, code: code.json.code }))
      expect(ok.status).toBe(200)
      expect(ok.json).toMatchObject({ token_type: "bearer", expires_in: 7 * 86400 })
      expect(ok.json.refresh_type).toBe(ok.json.refresh_token)
      const valid = yield* api(info, "/auth/oauth", { headers: { token: ok.json.access_token } })
      expect(valid.json).toMatchObject({ authenticationFramework: "oauth", status: "active" })
    }))

  it.effect("faults can be set for every new operation, and are counted per operation", () =>
    Effect.gen(function*() {
      const info = yield* Simulator.info
      const ops = ["getAccounts", "addMobileAppToken", "exchangeAuthorizationCodeWithAccess", "renewMeterPointConsentRevokeBulk", "getTokenOfUser"]
      const set = yield* control(info, "/faults", {
        method: "PUT",
        body: { operations: Object.fromEntries(ops.map((op) => [op, { serverError: 1, serverErrorStatuses: [500] }])) }
      })
      expect(set.status).toBe(200)
      expect((yield* api(info, "/account", { headers: appKeys(info) })).status).toBe(500)
      yield* control(info, "/faults", { method: "PUT", body: {} })
      expect((yield* api(info, "/account", { headers: appKeys(info) })).status).toBe(200)
      const counters = (yield* control(info, "/counters")).json
      expect(counters.byOperation.getAccounts).toMatchObject({ received: 2, succeeded: 1 })
    }))
})
