/**
 * OAuth authorization codes are single-use and expire on the simulator's `Clock`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as OAuth from "../src/services/OAuth.js"
import * as Users from "../src/services/Users.js"
import * as Inbox from "../src/testing/Inbox.js"
import * as Simulator from "../src/testing/Simulator.js"

const pw = (s: string) => Redacted.make(s)

describe("OAuth codes expire on the Clock", () => {
  it.scoped("a code is good for 10 minutes, then expired", () =>
    Effect.gen(function*() {
      const oauth = yield* OAuth.OAuth
      const users = yield* Users.Users
      const inbox = yield* Inbox.Inbox
      yield* users.register({ name: "T", username: "ttl@x.co", email: "ttl@x.co", password: pw("pw-ttl") })
      const { code } = yield* inbox.next("ttl@x.co")
      yield* users.verify({ username: "ttl@x.co", password: pw("pw-ttl"), code })
      const a = yield* oauth.authorize({ username: "ttl@x.co", password: pw("pw-ttl") })
      const b = yield* oauth.authorize({ username: "ttl@x.co", password: pw("pw-ttl") })
      yield* TestClock.adjust("9 minutes")
      yield* oauth.exchange({ code: a.code })
      yield* TestClock.adjust("1 minute")
      expect(yield* Effect.flip(oauth.exchange({ code: b.code }))).toMatchObject({ _tag: "CodeRejectedError", reason: "expired" })
      expect(yield* Effect.flip(oauth.exchange({ code: b.code }))).toMatchObject({ _tag: "CodeRejectedError", reason: "noPendingCode" })
    }).pipe(
      Effect.provide(
        Glowmarkt.layer.pipe(
          Layer.provideMerge(Simulator.layerTest({ seed: "oauth-clock", retry: { times: 0 } })),
          Layer.provide(NodeHttpClient.layerUndici),
          Layer.orDie
        )
      )
    ))
})
