/**
 * The reconciling create (Provisioning, BulkImport) reports only what a look-up confirmed: a
 * create that may have happened and a look-up that could not tell leave the outcome unknown
 * (`isUnconfirmed`), never `created` or `existing`. And server text in errors hides the secrets
 * of a form-encoded request as sent (space as `+`, `!'()~` percent-encoded).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { ServerError, TransportError, UsernameTakenError } from "../src/schema/GlowmarktError.js"
import { serverText } from "../src/services/internal/serverText.js"
import { type AdminCredential, AdminAuth } from "../src/services/Credentials.js"
import type * as Users from "../src/services/Users.js"
import { isUnconfirmed, reconcileCreate } from "../src/workflows/internal/provision.js"

/** A stand-in credential: the fake `Users` never reads it. */
const asAdmin = Effect.provideService(AdminAuth, {} as AdminCredential)

const retry = { attempts: 3, baseDelay: Duration.millis(1), maxDelay: Duration.millis(2), clockSkew: Duration.seconds(5) }

describe("reconcileCreate", () => {
  it.live("a lost create, then 'taken', then look-ups that fail: unknown, not created", () =>
    Effect.gen(function*() {
      let creates = 0
      let lookups = 0
      const users = {
        create: () => {
          creates++
          return creates === 1
            ? Effect.fail(new TransportError({ operation: "createUser", reason: "ConnectionReset", mayHaveReachedServer: true, detail: "ECONNRESET" }))
            : Effect.fail(new UsernameTakenError({ operation: "createUser", username: "a@b.co" }))
        },
        getByUsername: () =>
          Effect.suspend(() => {
            lookups++
            return Effect.fail(new ServerError({ operation: "getUserbyUsername", serverMessage: "down" }))
          })
      } as unknown as Users.Service
      const error = yield* Effect.flip(reconcileCreate(users, { username: "a@b.co" as any }, retry)).pipe(asAdmin)
      // The create that may have happened unseen is what is reported: unknown, to check.
      expect(error).toMatchObject({ _tag: "TransportError", operation: "createUser", mayHaveReachedServer: true })
      expect(isUnconfirmed(error)).toBe(true)
      expect(creates).toBe(3)
      expect(lookups).toBe(3)
    }))

  it.live("'taken' by a user the application cannot see (404): a failure, surely not ours", () =>
    Effect.gen(function*() {
      const users = {
        create: () => Effect.fail(new UsernameTakenError({ operation: "createUser", username: "a@b.co" })),
        getByUsername: () => Effect.fail({ _tag: "NotFoundError", operation: "getUserbyUsername" })
      } as unknown as Users.Service
      const error = yield* Effect.flip(reconcileCreate(users, { username: "a@b.co" as any }, retry)).pipe(asAdmin)
      expect(error._tag).toBe("UsernameTakenError")
      expect(isUnconfirmed(error)).toBe(false)
    }))
})

describe("serverText", () => {
  it("redacts a secret as a form field carries it", () => {
    const secret = "s3cr3t value!(x)~'"
    const echoed = `bad request: client_id=app&client_secret=${new URLSearchParams([["f", secret]]).toString().slice(2)}&code=1`
    const text = serverText(echoed, [secret])
    expect(text).toBe("bad request: client_id=app&client_secret=<redacted>&code=1")
  })
})
