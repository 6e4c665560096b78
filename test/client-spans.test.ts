/**
 * With a tracer installed, every operation has its span, whatever the call path does when no
 * tracer is installed: one `Glowmarkt.<operation>` span per call, kind `client`, child of the
 * caller's span, ended, with the operation, its replay rule, the attempts, the last status and
 * the outcome. (The lean call path may skip the span when nobody can observe it; this is what it
 * must keep when someone can.)
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../src/services/Credentials.js"
import * as Users from "../src/services/Users.js"
import { recorded } from "./support/recording.js"
import { clientLayer, json, scripted, user } from "./support/scripted.js"

const admin = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))

const client = (baseUrl: string) => clientLayer({ baseUrl }).pipe(Layer.merge(Credentials.layerAdmin(admin)))

describe("spans with a tracer installed", () => {
  it.scoped("a look-up: one client span under the caller's, with every attribute", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(200, user("u-1")))
        yield* Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(
          Effect.withSpan("caller"),
          Effect.provide(client(server.baseUrl))
        )
        const spans = recording.spans.filter((s) => s.name.startsWith("Glowmarkt."))
        expect(spans.map((s) => s.name)).toEqual(["Glowmarkt.getUserbyId"])
        const span = spans[0]!
        expect(span.kind).toBe("client")
        expect(span.status._tag).toBe("Ended")
        const parent = Option.getOrUndefined(span.parent)
        expect(parent?._tag === "Span" ? parent.name : undefined).toBe("caller")
        expect(Object.fromEntries(span.attributes)).toMatchObject({
          "glowmarkt.operation": "getUserbyId",
          "glowmarkt.replay": "idempotent",
          "glowmarkt.attempts": 1,
          "http.response.status_code": 200,
          "glowmarkt.outcome": "success"
        })
      })
    ))

  it.scoped("a refused registration: the span says failure, the status and the attempts", () =>
    recorded((recording) =>
      Effect.gen(function*() {
        const server = yield* scripted(() => json(400, { error: "Invalid request" }))
        const result = yield* Effect.flatMap(Users.Users, (u) =>
          u.register({ name: "A", username: "a@example.com", email: "a@example.com", password: Redacted.make("pw-123456") })).pipe(
            Effect.either,
            Effect.provide(client(server.baseUrl))
          )
        expect(Either.isLeft(result)).toBe(true)
        const span = recording.spans.find((s) => s.name === "Glowmarkt.addUser")!
        expect(span.kind).toBe("client")
        expect(span.status._tag).toBe("Ended")
        expect(Object.fromEntries(span.attributes)).toMatchObject({
          "glowmarkt.operation": "addUser",
          "glowmarkt.replay": "once",
          "glowmarkt.attempts": 1,
          "http.response.status_code": 400,
          "glowmarkt.outcome": "failure"
        })
      })
    ))
})
