/**
 * The secrets of the new operations (an old password, OAuth codes, access and refresh tokens,
 * a client secret, in JSON bodies, in the form-encoded exchange and in the `token` header) never
 * show in an error, a log line or a span, even when the server echoes them back.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Inspectable from "effect/Inspectable"
import * as Redacted from "effect/Redacted"
import * as Accounts from "../src/services/Accounts.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Session from "../src/services/Session.js"
import { recorded } from "./support/recording.js"
import { type Answer, clientLayer, json, type Recorded, scripted } from "./support/scripted.js"

const secrets = {
  oldPassword: "Old-Pa55word-Kappa-1",
  newPassword: "New-Pa55word-Lambda-2",
  code: "oauth-code-Mu-3-abcdef",
  refresh: "refresh-token-Nu-4-abcdef",
  clientSecret: "client-secret-Xi-5-abcdef",
  access: "access-token-Omicron-6-abcdef",
  userToken: "user-token-Pi-7-abcdef"
}
const forms = Object.values(secrets).flatMap((s) => [s, encodeURIComponent(s), Buffer.from(s).toString("base64")])
/** What the server received that may be secret: the body, decoded, and the token header. */
const echo = (r: Recorded) => {
  const body = r.body.includes("=") ? [...new URLSearchParams(r.body).values()].join(" ") : r.body
  return `${body} ${String(r.headers["token"] ?? "")}`
}

const every = (accounts: Accounts.Service, oauth: OAuth.Service) => [
  accounts.changePassword({ oldPassword: Redacted.make(secrets.oldPassword), newPassword: Redacted.make(secrets.newPassword) }).pipe(
    Session.withSession({ token: Redacted.make(secrets.userToken), applicationId: "app-1" })
  ),
  oauth.exchange({ code: Redacted.make(secrets.code), clientId: "app-1", clientSecret: Redacted.make(secrets.clientSecret) }),
  oauth.refresh({ refreshToken: Redacted.make(secrets.refresh), clientId: "app-1", clientSecret: Redacted.make(secrets.clientSecret) }),
  oauth.validate(Redacted.make(secrets.access))
]

const scenarios: ReadonlyArray<(r: Recorded) => Answer> = [
  (r) => json(400, { error: `bad: ${echo(r)}` }),
  (r) => json(401, { error: `denied: ${echo(r)}` }),
  (r) => json(500, { error: `oops: ${echo(r)}` }),
  (r) => ({ status: 502, body: `gateway: ${echo(r)}` }),
  (r) => json(200, { unexpected: echo(r) }),
  () => "drop"
]

describe("redaction of the new operations' secrets", () => {
  it.scopedLive("no secret in any error, log line or span, whatever the server answers", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const outputs: Array<string> = []
        for (const answer of scenarios) {
          const server = yield* scripted((r) => answer(r))
          const exits = yield* Effect.all([Accounts.Accounts, OAuth.OAuth]).pipe(
            Effect.flatMap(([accounts, oauth]) =>
              Effect.forEach(every(accounts, oauth), (e) => Effect.exit(e as Effect.Effect<unknown, unknown>))
            ),
            Effect.provide(clientLayer({ baseUrl: server.baseUrl, retry: { times: 1, baseDelay: "1 millis" } }))
          )
          for (const exit of exits) {
            expect(Exit.isFailure(exit)).toBe(true)
            if (Exit.isFailure(exit)) {
              const error = Cause.squash(exit.cause)
              outputs.push(Cause.pretty(exit.cause), JSON.stringify(error), String(error), Inspectable.format(error), (error as Error).message)
            }
          }
          // The secrets did travel (the form-encoded exchange included).
          expect(server.requests.some((r) => r.body.includes(encodeURIComponent(secrets.code)))).toBe(true)
        }
        const everything = [...outputs, recording.dump()].join("\n")
        expect(recording.spans.some((s) => s.name === "Glowmarkt.exchangeAuthorizationCodeWithAccess")).toBe(true)
        const leaks = forms.filter((form) => everything.includes(form))
        expect(leaks).toEqual([])
      })
    ))
})
