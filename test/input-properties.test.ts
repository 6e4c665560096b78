/**
 * Every public operation (the services, the credential constructors, sessions, the settings, the
 * code registry, and the first request of each flow), driven by arbitrary strings and JavaScript values (lone surrogates,
 * control characters, characters outside Latin-1, blank and padded values, `null`, numbers,
 * objects, ...) against a recording loopback server. For each value, exactly one of:
 *
 * - it was refused before sending: nothing reached the server and the error is an
 *   `InvalidInputError` (or `InvalidConfigError` for settings and credentials);
 * - it was sent once, and what arrived decodes back to exactly the value given (after the
 *   documented normalisation: usernames and emails trimmed and lowercased, codes trimmed).
 *
 * Never a thrown exception, a defect, a transport error, a retry or an altered value.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as fc from "effect/FastCheck"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Scope from "effect/Scope"
import * as Auth from "../src/services/Auth.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Glowmarkt from "../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import * as CodeSource from "../src/workflows/CodeSource.js"
import * as Onboarding from "../src/workflows/Onboarding.js"
import * as Provisioning from "../src/workflows/Provisioning.js"
import type { AuthToken } from "../src/schema/Identifiers.js"
import { json, type Recorded, scripted, user } from "./support/scripted.js"

// ---------------------------------------------------------------------------------------------
// Arbitrary values

/** Values an adversarial user tries first. */
const hostile = fc.constantFrom(
  "",
  " ",
  "  padded  ",
  "\t",
  "a\u0085b",
  "a\u0000b",
  "a\u007fb",
  "a\r\nX-Injected: 1",
  "tok\u{1F600}",
  "app\u{1F600}",
  "a\uD800b",
  "\uDC00",
  "\uD83D",
  "caf\u00e9",
  "\u00a0x",
  "x\u00a0y",
  "na\u00efve-\u00fcn\u00efc\u00f6d\u00e9-\u2713",
  "a:b",
  "..",
  ".",
  "../x",
  "a/b",
  "x?y=1",
  "%2F",
  "50%",
  "a#b",
  "a+b",
  "Scotty@Enterprise.ST",
  "  Scotty@Enterprise.ST ",
  "a\u0000b@example.com",
  "a\uD800@example.com",
  "x".repeat(10_000),
  "1234",
  " 1234 ",
  "12\u00a034"
)

/** Any sequence of UTF-16 code units: lone surrogates included. */
const codeUnits = fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 12 }).map((units) =>
  String.fromCharCode(...units)
)

const anyString: fc.Arbitrary<string> = fc.oneof(
  hostile,
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "binary-ascii", maxLength: 12 }),
  codeUnits,
  fc.emailAddress(),
  fc.stringMatching(/^\s?[0-9]{4}\s?$/)
)

const notAString: fc.Arbitrary<unknown> = fc.oneof(
  fc.constant(null),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.bigInt(),
  fc.constant({}),
  fc.constant([]),
  fc.constant(Symbol("s")),
  fc.constant(() => "f"),
  fc.object({ maxDepth: 1 }),
  fc.constant(new Date(0))
)

/** Any value, mostly strings. */
const anyValue: fc.Arbitrary<unknown> = fc.oneof({ arbitrary: anyString, weight: 4 }, { arbitrary: notAString, weight: 1 })

/** What a caller passes where a `Redacted` string belongs. */
const anySecret: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: anyString.map((s) => Redacted.make(s)), weight: 4 },
  { arbitrary: notAString.map((v) => Redacted.make(v)), weight: 1 },
  { arbitrary: anyValue, weight: 1 }
)

/** Mostly a value of the right shape (so that many calls go through), sometimes anything. */
const mostly = <T>(valid: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
  fc.oneof({ arbitrary: valid, weight: 3 }, { arbitrary: anyValue, weight: 1 })

const aUsername = mostly(fc.oneof(fc.emailAddress(), fc.emailAddress().map((e) => `  ${e.toUpperCase()} `), anyString))
const aName = mostly(fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), anyString))
const anId = mostly(fc.oneof(fc.uuid(), fc.string({ minLength: 1, maxLength: 20 }), anyString))
const aCode = mostly(fc.stringMatching(/^\s?[0-9]{4}\s?$/))
const aSecret = fc.oneof(
  { arbitrary: fc.oneof(fc.string({ minLength: 1, maxLength: 20 }), fc.hexaString({ minLength: 8 })).map((s) => Redacted.make(s)), weight: 3 },
  { arbitrary: anySecret, weight: 1 }
)

/** An optional setting: absent, or any value. */
const optional = (arb: fc.Arbitrary<unknown>) => fc.option(arb, { nil: undefined, freq: 3 })

const runs = { numRuns: 100 }

// ---------------------------------------------------------------------------------------------
// The server and the client

const token = "eyJ.tok.en"

const answer = (r: Recorded) => {
  const path = r.url.split("?")[0]!.replace(/^\/api\/v0-1/, "")
  if (r.method === "POST" && path === "/register") return json(200, user("u-1", "unverified"))
  if (path === "/user/verify" && r.method === "PUT") return json(200, { valid: true, status: "active", userId: "u-1" })
  if (path === "/auth" && r.method === "POST") {
    return json(200, { valid: true, token, exp: 4102444800, accountId: "acc-1", applicationId: "app-1" })
  }
  if (path === "/auth" && r.method === "GET") return json(200, { valid: true, exp: 4102444800, applicationId: "app-1" })
  if (path === "/auth/newToken") return json(200, { valid: true, token, exp: 4102444800 })
  if (r.method === "DELETE" || path === "/user/verify" || path === "/user/resetpassword" || path.endsWith("/username")) {
    return json(200, { valid: true })
  }
  return json(200, user())
}

const configLayer = (baseUrl: string) =>
  GlowmarktConfig.layer({ baseUrl, applicationId: "app-1", directoryId: "dir-1", retry: { times: 0 } })

const servicesLayer = (baseUrl: string) =>
  Layer.merge(Glowmarkt.layer, Auth.layer).pipe(
    Layer.provideMerge(configLayer(baseUrl)),
    Layer.provideMerge(NodeHttpClient.layerUndici),
    Layer.orDie
  )

type Services = Users.Users | Auth.Auth | GlowmarktConfig.GlowmarktConfig

const goodAdmin = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "s3cret" }))

/** A session that hands out a fixed token, for `changeUsername`. */
const fixedSession: Session.Service = {
  applicationId: "app-1" as Session.Service["applicationId"],
  token: Effect.succeed(Redacted.make(token) as AuthToken),
  expiresAt: Effect.succeed(Option.none()),
  invalidate: () => Effect.void,
  canLogInAgain: false
}

// ---------------------------------------------------------------------------------------------
// Reading back what arrived

const body = (r: Recorded): Record<string, unknown> => JSON.parse(r.body)
const header = (r: Recorded, name: string) => r.headers[name.toLowerCase()]
const query = (r: Recorded, name: string) => new URL(r.url, "http://x").searchParams.get(name)
/** The n-th path segment after `/api/v0-1` (from 1), decoded as a router would. */
const segment = (r: Recorded, n: number) => decodeURIComponent(r.url.split("?")[0]!.split("/")[2 + n]!)
const basic = (r: Recorded) => {
  const decoded = Buffer.from(String(header(r, "authorization")).replace(/^Basic /, ""), "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  return { keyId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) }
}

const valueOf = (v: unknown): unknown => Redacted.isRedacted(v) ? Redacted.value(v) : v
const username = (v: unknown) => (v as string).trim().toLowerCase()
const code = (v: unknown) => (v as string).trim()
const orDefault = (v: unknown, fallback: string) => v === undefined ? fallback : v

const describeError = (cause: unknown) => {
  try {
    return String(cause)
  } catch {
    return "(unprintable)"
  }
}

/**
 * Runs `operation` and checks the property: refused before sending with one of `refusals`, or
 * sent once and read back by `arrived` (which asserts what the server got).
 */
const tally = { sent: 0, refused: 0 }

const property = <A, E, R>(
  server: { readonly requests: Array<Recorded> },
  operation: Effect.Effect<A, E, R>,
  arrived: (request: Recorded) => void,
  options: {
    readonly refusals?: ReadonlyArray<string>
    /** A flow sends more than one request: only the first is read back. */
    readonly sends?: "one" | "several"
    /** Values that must never show in a refusal (passwords, tokens, secrets). */
    readonly secrets?: ReadonlyArray<unknown>
  } = {}
) =>
  Effect.gen(function*() {
    const { refusals = ["InvalidInputError"], secrets = [], sends = "one" } = options
    server.requests.length = 0
    const exit = yield* Effect.exit(Effect.suspend(() => operation))
    if (Exit.isFailure(exit)) {
      const failure = exit.cause._tag === "Fail" ? exit.cause.error as { readonly _tag?: string } : undefined
      if (failure === undefined || !refusals.includes(failure._tag ?? "")) {
        throw new Error(`expected a refusal or a success, got ${describeError(exit.cause)}`)
      }
      expect(server.requests).toHaveLength(0)
      const shown = `${String((failure as { readonly message?: unknown }).message)} ${JSON.stringify(failure)}`
      for (const secret of secrets) {
        const value = valueOf(secret)
        // Short values could match the wording of a message by chance.
        if (typeof value === "string" && value.trim().length >= 6) expect(shown).not.toContain(value)
      }
      tally.refused++
      return
    }
    if (sends === "one") expect(server.requests).toHaveLength(1)
    else expect(server.requests.length).toBeGreaterThan(0)
    arrived(server.requests[0]!)
    tally.sent++
  })

/** Checks a property for `numRuns` values, on one server and one client. */
const check = <T>(
  arbitrary: fc.Arbitrary<T>,
  test: (value: T, server: { readonly requests: Array<Recorded> }) => Effect.Effect<void, never, Services | Scope.Scope>
) =>
  Effect.gen(function*() {
    const server = yield* scripted(answer)
    const context = yield* Layer.build(servicesLayer(server.baseUrl))
    tally.sent = 0
    tally.refused = 0
    yield* Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(arbitrary, (value) =>
          Effect.runPromise(Effect.scoped(test(value, server)).pipe(Effect.provide(context)))),
        runs
      )
    )
    // Neither outcome is vacuous: some values went through, some were refused.
    expect(tally.sent).toBeGreaterThan(0)
    expect(tally.refused).toBeGreaterThan(0)
  })

// ---------------------------------------------------------------------------------------------
// The operations

describe("every public operation, with arbitrary values", () => {
  it.scoped("Users.register", () =>
    check(
      fc.record({
        name: aName,
        username: aUsername,
        email: aUsername,
        password: aSecret,
        applicationId: optional(anId),
        directoryId: optional(anId)
      }),
      (input, server) =>
        property(server, Effect.flatMap(Users.Users, (u) => u.register(input as any)), (r) => {
          expect(r.method).toBe("POST")
          expect(body(r)).toEqual({
            name: input.name,
            username: username(input.username),
            email: username(input.email),
            password: valueOf(input.password),
            applicationId: orDefault(input.applicationId, "app-1"),
            directoryId: orDefault(input.directoryId, "dir-1")
          })
        }, { secrets: [input.password] })
    ))

  it.scoped("Users.requestVerificationCode and Users.verify", () =>
    check(
      fc.record({ username: aUsername, password: aSecret, code: aCode, applicationId: optional(anId) }),
      (input, server) =>
        Effect.gen(function*() {
          const users = yield* Users.Users
          const expected = () => ({
            username: username(input.username),
            password: valueOf(input.password),
            applicationId: orDefault(input.applicationId, "app-1")
          })
          const secrets = { secrets: [input.password] }
          yield* property(server, users.requestVerificationCode(input as any), (r) => expect(body(r)).toEqual(expected()), secrets)
          yield* property(server, users.verify(input as any), (r) =>
            expect(body(r)).toEqual({ ...expected(), token: code(input.code) }), secrets)
        })
    ))

  it.scoped("Users.requestPasswordReset and Users.resetPassword", () =>
    check(
      fc.record({ username: aUsername, newPassword: aSecret, code: aCode, applicationId: optional(anId) }),
      (input, server) =>
        Effect.gen(function*() {
          const users = yield* Users.Users
          const expected = () => ({
            username: username(input.username),
            applicationId: orDefault(input.applicationId, "app-1")
          })
          yield* property(server, users.requestPasswordReset(input as any), (r) => expect(body(r)).toEqual(expected()))
          yield* property(server, users.resetPassword(input as any), (r) =>
            expect(body(r)).toEqual({ ...expected(), token: code(input.code), newPassword: valueOf(input.newPassword) }), {
              secrets: [input.newPassword]
            })
        })
    ))

  it.scoped("Users.create, getByUsername, getById and delete (admin)", () =>
    check(
      fc.record({ username: aUsername, directoryId: optional(anId), userId: anId }),
      (input, server) =>
        Effect.gen(function*() {
          const users = yield* Users.Users
          yield* property(server, users.create(input as any), (r) =>
            expect(body(r)).toEqual({ username: username(input.username), directoryId: orDefault(input.directoryId, "dir-1") }))
          yield* property(server, users.getByUsername(input.username as any), (r) =>
            expect(query(r, "username")).toBe(username(input.username)))
          yield* property(server, users.getById(input.userId as any), (r) => expect(segment(r, 2)).toBe(input.userId))
          yield* property(server, users.delete(input.userId as any), (r) => {
            expect(r.method).toBe("DELETE")
            expect(segment(r, 2)).toBe(input.userId)
          })
        }).pipe(Credentials.withAdmin(goodAdmin))
    ))

  it.scoped("Users.changeUsername (as the user)", () =>
    check(
      fc.record({ userId: anId, username: aUsername, status: optional(aName) }),
      (input, server) =>
        property(
          server,
          Effect.flatMap(Users.Users, (u) => u.changeUsername(input as any)).pipe(
            Effect.provideService(Session.UserSession, fixedSession)
          ),
          (r) => {
            expect(segment(r, 2)).toBe(input.userId)
            expect(body(r)).toEqual({ username: username(input.username), status: orDefault(input.status, "active") })
          }
        )
    ))

  it.scoped("Onboarding.registerAndVerify and resetPassword (the first request they send)", () =>
    check(
      fc.record({ name: aName, username: aUsername, email: aUsername, password: aSecret, applicationId: optional(anId) }),
      (input, server) =>
        Effect.gen(function*() {
          yield* property(server, Onboarding.registerAndVerify(input as any), (r) => {
            expect(r.url).toBe("/api/v0-1/register")
            expect(body(r)).toEqual({
              name: input.name,
              username: username(input.username),
              email: username(input.email),
              password: valueOf(input.password),
              applicationId: orDefault(input.applicationId, "app-1"),
              directoryId: "dir-1"
            })
          }, { sends: "several", secrets: [input.password] })
          yield* property(
            server,
            Onboarding.resetPassword({ username: input.username, newPassword: input.password, applicationId: input.applicationId } as any),
            (r) => {
              expect(r.url).toBe("/api/v0-1/user/resetpassword")
              expect(body(r)).toEqual({ username: username(input.username), applicationId: orDefault(input.applicationId, "app-1") })
            },
            { sends: "several", secrets: [input.password] }
          )
        }).pipe(Effect.provideService(CodeSource.CodeSource, CodeSource.fromEffect(() => Effect.succeed("1234"))))
    ))

  it.scoped("Provisioning.provision and remove (the first request they send)", () =>
    check(
      fc.record({ username: aUsername, directoryId: optional(anId), userId: anId }),
      (input, server) =>
        Effect.gen(function*() {
          yield* property(server, Provisioning.provision({ username: input.username, directoryId: input.directoryId } as any), (r) =>
            expect(body(r)).toEqual({ username: username(input.username), directoryId: orDefault(input.directoryId, "dir-1") }), { sends: "several" })
          yield* property(server, Provisioning.remove(input.userId as any), (r) => expect(segment(r, 2)).toBe(input.userId))
        }).pipe(Credentials.withAdmin(goodAdmin))
    ))

  it.scoped("Auth.login", () =>
    check(
      fc.record({ username: aUsername, password: aSecret, applicationId: optional(anId), directoryId: optional(anId) }),
      (input, server) =>
        property(server, Effect.flatMap(Auth.Auth, (a) => a.login(input as any)), (r) => {
          expect(header(r, "applicationId")).toBe(orDefault(input.applicationId, "app-1"))
          expect(body(r)).toEqual({
            username: username(input.username),
            password: valueOf(input.password),
            ...(input.directoryId === undefined ? {} : { directoryId: input.directoryId })
          })
        }, { secrets: [input.password] })
    ))

  it.scoped("Auth.check, renew and revoke", () =>
    check(
      fc.record({ token: aSecret, applicationId: optional(anId) }),
      (input, server) =>
        Effect.gen(function*() {
          const auth = yield* Auth.Auth
          const options = { applicationId: input.applicationId as any }
          const sent = (r: Recorded) => {
            expect(header(r, "token")).toBe(valueOf(input.token))
            expect(header(r, "applicationId")).toBe(orDefault(input.applicationId, "app-1"))
          }
          const secrets = { secrets: [input.token] }
          yield* property(server, auth.check(input.token as any, options), sent, secrets)
          yield* property(server, auth.renew(input.token as any, options), sent, secrets)
          yield* property(server, auth.revoke(input.token as any, options), sent, secrets)
        })
    ))

  it.scoped("Session.make: a token, or a username and password", () =>
    check(
      fc.record({
        token: aSecret,
        username: aUsername,
        password: aSecret,
        applicationId: anId,
        directoryId: anId,
        refreshAhead: fc.oneof(fc.constant("1 minute"), anyValue)
      }, { requiredKeys: [] }),
      (options, server) =>
        property(server, Session.make(options as any), (r) => {
          if (options.token !== undefined) {
            expect(r.method).toBe("GET")
            expect(header(r, "token")).toBe(valueOf(options.token))
          } else {
            expect(r.method).toBe("POST")
            expect(body(r)).toMatchObject({ username: username(options.username), password: valueOf(options.password) })
          }
          expect(header(r, "applicationId")).toBe(orDefault(options.applicationId, "app-1"))
        }, { secrets: [options.token, options.password] })
    ))

  it.scoped("AdminCredential constructors, then an admin call", () =>
    check(
      fc.record({ kind: fc.constantFrom("appKeys" as const, "organisationKeys" as const, "developerToken" as const), keyId: anId, secret: aSecret, applicationId: anId }),
      (input, server) =>
        Effect.gen(function*() {
          const options = { keyId: input.keyId, secret: input.secret, token: input.secret, applicationId: input.applicationId } as any
          // Never throws: a bad value is a Left.
          const made = Credentials.AdminCredential[input.kind](options)
          const credential = yield* made
          const users = yield* Users.Users
          return yield* users.getById("u-1").pipe(Credentials.withAdmin(credential))
        }).pipe(
          (operation) =>
            property(server, operation, (r) => {
              if (input.kind === "developerToken") {
                expect(header(r, "token")).toBe(valueOf(input.secret))
              } else {
                expect(basic(r)).toEqual({ keyId: input.keyId, secret: valueOf(input.secret) })
              }
              if (input.kind !== "appKeys") expect(header(r, "applicationId")).toBe(input.applicationId)
            }, { refusals: ["InvalidConfigError"], secrets: [input.secret] })
        )
    ))

  it.scoped("GlowmarktConfig: applicationId and directoryId, then the calls that send them", () =>
    Effect.gen(function*() {
      const server = yield* scripted(answer)
      yield* Effect.promise(() =>
        fc.assert(
          fc.asyncProperty(fc.record({ applicationId: anId, directoryId: anId }), (settings) =>
            Effect.gen(function*() {
              const layer = Layer.merge(Glowmarkt.layer, Auth.layer).pipe(
                Layer.provideMerge(GlowmarktConfig.layer({ baseUrl: server.baseUrl, ...settings as any })),
                Layer.provide(NodeHttpClient.layerUndici)
              )
              const calls = Effect.gen(function*() {
                const users = yield* Users.Users
                const auth = yield* Auth.Auth
                yield* users.create({ username: "a@b.co" })
                yield* auth.check(Redacted.make(token))
              }).pipe(Effect.provide(layer), Credentials.withAdmin(goodAdmin))
              server.requests.length = 0
              const exit = yield* Effect.exit(calls)
              if (Exit.isFailure(exit)) {
                expect(exit.cause._tag).toBe("Fail")
                expect(exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("InvalidConfigError")
                expect(server.requests).toHaveLength(0)
                return
              }
              expect(server.requests).toHaveLength(2)
              expect(body(server.requests[0]!)).toEqual({ username: "a@b.co", directoryId: settings.directoryId })
              expect(header(server.requests[1]!, "applicationId")).toBe(settings.applicationId)
            }).pipe(Effect.runPromise)),
          runs
        )
      )
    }))

  it.effect("GlowmarktConfig.make never throws, whatever it is given", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(
          fc.oneof(
            notAString,
            fc.record({
              baseUrl: anyValue,
              requestTimeout: anyValue,
              retry: fc.oneof(notAString, fc.record({ times: anyValue, baseDelay: anyValue, maxDelay: anyValue }))
            }, { requiredKeys: [] })
          ),
          (options) =>
            Effect.runPromise(
              Effect.exit(GlowmarktConfig.make(options as any)).pipe(
                Effect.map((exit) => {
                  if (Exit.isFailure(exit)) {
                    expect(exit.cause._tag).toBe("Fail")
                    expect(exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("InvalidConfigError")
                  }
                })
              )
            )
        ),
        runs
      )
    ))

  it.effect("CodeRegistry.submit: refused, or the waiting flow gets exactly the code", () =>
    Effect.promise(() =>
      fc.assert(
        fc.asyncProperty(fc.record({ username: aUsername, code: fc.oneof(aCode, aSecret) }), (input) =>
          Effect.gen(function*() {
            const registry = yield* CodeSource.makeRegistry
            const exit = yield* Effect.exit(registry.submit(input.username as any, input.code as any))
            if (Exit.isFailure(exit)) {
              expect(exit.cause._tag).toBe("Fail")
              expect(exit.cause._tag === "Fail" && exit.cause.error._tag).toBe("InvalidInputError")
              return
            }
            const got = yield* registry.source.await({ username: input.username as string, purpose: "verification", round: 1 })
            expect(Redacted.value(got)).toBe(code(valueOf(input.code)))
          }).pipe(Effect.runPromise)),
        runs
      )
    ))
})
