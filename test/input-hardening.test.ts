/**
 * The hostile values of issue 12, one by one: each is refused before anything is sent, with a
 * typed error that names the field and never quotes the value.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Auth from "../src/services/Auth.js"
import * as Credentials from "../src/services/Credentials.js"
import * as GlowmarktConfig from "../src/services/GlowmarktConfig.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import * as CodeSource from "../src/workflows/CodeSource.js"
import * as Onboarding from "../src/workflows/Onboarding.js"
import * as Provisioning from "../src/workflows/Provisioning.js"
import * as DurableEngine from "../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../src/durable/DurableOnboarding.js"
import type { AuthToken } from "../src/schema/Identifiers.js"
import { clientLayer, json, scripted, user } from "./support/scripted.js"

const admin = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "app-secret-xyz" }))
const pw = Redacted.make("correct horse")

/** A `Redacted` whose value was wiped (`Redacted.value` throws on it). */
const wiped = (value: string): Redacted.Redacted<string> => {
  const r = Redacted.make(value)
  Redacted.unsafeWipe(r)
  return r
}

/** A session holding a fixed token, for `changeUsername` (it sends nothing to open). */
const fixedSession: Session.Service = {
  applicationId: "app-1" as Session.Service["applicationId"],
  token: Effect.succeed(Redacted.make("session-token") as AuthToken),
  expiresAt: Effect.succeed(Option.none()),
  invalidate: () => Effect.void,
  canLogInAgain: false
}

/** Runs `f` against a server that answers everything, and returns its error and the requests. */
const refused = <E extends { readonly _tag: string }>(
  f: (users: Users.Service, auth: Auth.Service) => Effect.Effect<unknown, E, Credentials.AdminAuth | Session.UserSession | Auth.Auth | GlowmarktConfig.GlowmarktConfig>
) =>
  Effect.gen(function*() {
    const server = yield* scripted(() => json(200, user()))
    const error = yield* Effect.all([Users.Users, Auth.Auth]).pipe(
      Effect.flatMap(([u, a]) => f(u, a)),
      Credentials.withAdmin(admin),
      Effect.provideService(Session.UserSession, fixedSession),
      Effect.flip,
      Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
    )
    return { error, requests: server.requests }
  })

describe("values that reach a header", () => {
  const cases: ReadonlyArray<readonly [string, string, (u: Users.Service, a: Auth.Service) => Effect.Effect<unknown, { readonly _tag: string }, any>]> = [
    ["a token with an emoji", "token", (_, a) => a.check(Redacted.make("tok\u{1F600}"))],
    ["a blank token", "token", (_, a) => a.check(Redacted.make(" "))],
    ["a padded token", "token", (_, a) => a.renew(Redacted.make(" tok "))],
    ["a token with a C1 control (U+0085)", "token", (_, a) => a.revoke(Redacted.make("tok\u0085en"))],
    ["a token with a lone surrogate", "token", (_, a) => a.check(Redacted.make("tok\uD800"))],
    ["a token that is not a string", "token", (_, a) => a.check(Redacted.make(42 as any))],
    ["a token that is not Redacted", "token", (_, a) => a.check("tok" as any)],
    ["a wiped Redacted token", "token", (_, a) => a.check(wiped("tok"))],
    ["a wiped Redacted password", "password", (_, a) => a.login({ username: "a@b.co", password: wiped("correct horse") })],
    ["a wiped Redacted password to register", "password", (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: wiped("correct horse") })],
    ["an applicationId per call with an emoji", "applicationId", (_, a) => a.login({ username: "a@b.co", password: pw, applicationId: "app\u{1F600}" })],
    ["an applicationId per call with a C1 control", "applicationId", (_, a) => a.check(Redacted.make("tok"), { applicationId: "app\u0085" })],
    ["a null applicationId per call", "applicationId", (_, a) => a.check(Redacted.make("tok"), { applicationId: null as any })]
  ]
  for (const [name, field, run] of cases) {
    it.scoped(`${name} → InvalidInputError(${field}), nothing sent`, () =>
      Effect.gen(function*() {
        const { error, requests } = yield* refused(run)
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
        expect(requests).toHaveLength(0)
      }))
  }

  it.effect("a configured applicationId outside Latin-1 is an InvalidConfigError", () =>
    Effect.gen(function*() {
      for (const applicationId of ["app\u{1F600}", "app\u0085", " app", "app\uD800", ""]) {
        const error = yield* Effect.flip(GlowmarktConfig.make({ applicationId }))
        expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "applicationId" })
      }
    }))
})

describe("lone surrogates and control characters", () => {
  const cases: ReadonlyArray<readonly [string, string, (u: Users.Service, a: Auth.Service) => Effect.Effect<unknown, { readonly _tag: string }, any>]> = [
    ["getById with a lone surrogate", "userId", (u) => u.getById("a\uD800b")],
    ["delete with a lone surrogate", "userId", (u) => u.delete("a\uDC00b")],
    ["changeUsername with a lone surrogate in the user id", "userId", (u) => u.changeUsername({ userId: "a\uD800b", username: "a@b.co" })],
    ["getByUsername with a lone surrogate", "username", (u) => u.getByUsername("a\uD800b@x.co")],
    ["a password with a lone surrogate", "password", (_, a) => a.login({ username: "a@b.co", password: Redacted.make("pw\uD800") })],
    ["an email with NUL", "email", (u) => u.register({ name: "A", username: "a@b.co", email: "a\u0000b@example.com", password: pw })],
    ["a name with a control character", "name", (u) => u.register({ name: "A\u0007", username: "a@b.co", email: "a@b.co", password: pw })],
    ["a status with CR/LF", "status", (u) => u.changeUsername({ userId: "u-1", username: "a@b.co", status: "active\r\n" })],
    ["a null user id", "userId", (u) => u.getById(null as any)],
    ["a number as username", "username", (u) => u.getByUsername(42 as any)],
    ["no input at all", "input", (u) => u.register(null as any)]
  ]
  for (const [name, field, run] of cases) {
    it.scoped(`${name} → InvalidInputError(${field}), nothing sent`, () =>
      Effect.gen(function*() {
        const { error, requests } = yield* refused(run)
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
        expect(requests).toHaveLength(0)
      }))
  }
})

describe("AdminCredential constructors", () => {
  const bad: ReadonlyArray<readonly [string, () => Either.Either<Credentials.AdminCredential, { readonly _tag: string; readonly setting: string }>, string]> = [
    ["a null key id", () => Credentials.AdminCredential.appKeys({ keyId: null as any, secret: "s" }), "AppKeys.keyId"],
    ["a number key id", () => Credentials.AdminCredential.appKeys({ keyId: 42 as any, secret: "s" }), "AppKeys.keyId"],
    ["an object key id", () => Credentials.AdminCredential.appKeys({ keyId: {} as any, secret: "s" }), "AppKeys.keyId"],
    ["a boolean key id", () => Credentials.AdminCredential.organisationKeys({ applicationId: "app-1", keyId: true as any, secret: "s" }), "OrganisationKeys.keyId"],
    ["a key id with a lone surrogate", () => Credentials.AdminCredential.appKeys({ keyId: "k\uD800", secret: "s" }), "AppKeys.keyId"],
    ["a key id with ':'", () => Credentials.AdminCredential.appKeys({ keyId: "a:b", secret: "s" }), "AppKeys.keyId"],
    ["a secret of 42", () => Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: 42 as any }), "AppKeys.secret"],
    ["a secret of {}", () => Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: {} as any }), "AppKeys.secret"],
    ["a Redacted secret of 42", () => Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: Redacted.make(42) as any }), "AppKeys.secret"],
    ["a padded secret", () => Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: " hunter2 " }), "AppKeys.secret"],
    ["a developer token with an emoji", () => Credentials.AdminCredential.developerToken({ applicationId: "app-1", token: "tok\u{1F600}" }), "DeveloperToken.token"],
    ["an applicationId of null", () => Credentials.AdminCredential.developerToken({ applicationId: null as any, token: "t" }), "applicationId"],
    ["no options", () => Credentials.AdminCredential.appKeys(undefined as any), "AppKeys"]
  ]
  for (const [name, make, setting] of bad) {
    it(`${name} → InvalidConfigError(${setting}), no exception`, () => {
      const result = make()
      expect(result._tag).toBe("Left")
      const error = (result as Either.Left<{ readonly _tag: string; readonly setting: string; readonly message: string }, unknown>).left
      expect(error).toMatchObject({ _tag: "InvalidConfigError", setting })
      expect(error.message).not.toContain("hunter2")
    })
  }
})

describe("sessions", () => {
  it.scoped("a password without a username is an InvalidInputError naming the username, nothing sent", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, { valid: true }))
      const error = yield* Effect.void.pipe(
        Session.withSession({ password: pw } as any),
        Effect.flip,
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(error).toMatchObject({ _tag: "InvalidInputError", field: "username" })
      expect(server.requests).toHaveLength(0)
    }))

  it.scoped("no credential at all, a bad refreshAhead and a non-object are refused", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, { valid: true }))
      for (const [options, field] of [
        [{}, "token"],
        [{ username: "a@b.co" }, "password"],
        [{ token: Redacted.make("t"), refreshAhead: "soon" }, "refreshAhead"],
        [{ token: Redacted.make("t"), username: "a@b.co" }, "password"],
        [null, "options"]
      ] as const) {
        const error = yield* Effect.flip(Session.make(options as any)).pipe(Effect.provide(clientLayer({ baseUrl: server.baseUrl })))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
      }
      expect(server.requests).toHaveLength(0)
    }))
})

describe("a caller's own UserSession", () => {
  it.scoped("a token or applicationId it hands out that cannot be a header is refused before sending", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, { valid: true }))
      const cases: ReadonlyArray<readonly [Partial<Session.Service>, string]> = [
        [{ token: Effect.succeed(Redacted.make("tok\u{1F600}") as AuthToken) }, "session.token"],
        [{ token: Effect.succeed(Redacted.make(" ") as AuthToken) }, "session.token"],
        [{ token: Effect.succeed(42 as any) }, "session.token"],
        [{ token: Effect.succeed(wiped("session-token") as AuthToken) }, "session.token"],
        [{ applicationId: "app\u0085" as Session.Service["applicationId"] }, "session.applicationId"]
      ]
      for (const [override, field] of cases) {
        const error = yield* Effect.flatMap(Users.Users, (u) => u.changeUsername({ userId: "u-1", username: "a@b.co" })).pipe(
          Effect.provideService(Session.UserSession, { ...fixedSession, ...override }),
          Effect.flip,
          Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
        )
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
      }
      expect(server.requests).toHaveLength(0)
    }))
})

describe("CodeRegistry.submit", () => {
  it.effect("refuses a username that is empty, blank, with CR/LF, 10,000 characters, null or a number", () =>
    Effect.gen(function*() {
      const registry = yield* CodeSource.makeRegistry
      for (const username of ["", "   ", "a\r\nb@b.co", "x".repeat(10_000), null, 42, "a\uD800"]) {
        const error = yield* Effect.flip(registry.submit(username as any, "1234"))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field: "username" })
      }
      for (const code of [null, 42, {}, Redacted.make(1234), "12345"]) {
        const error = yield* Effect.flip(registry.submit("a@b.co", code as any))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field: "code" })
      }
      expect(yield* registry.waiting).toEqual([])
    }))
})

describe("base URLs", () => {
  const refusedUrls = [
    "http://evil.localhost/api/v0-1",
    "http://localhost.evil.com/api/v0-1",
    "http://127.0.0.1.nip.io/api/v0-1",
    "http://10.0.0.1/api/v0-1",
    "http://[::2]/api/v0-1",
    "http://[::ffff:7f00:1]/api/v0-1"
  ]
  it.effect("only localhost, 127.0.0.0/8 and ::1 are loopback for plain http", () =>
    Effect.gen(function*() {
      for (const url of refusedUrls) {
        const error = yield* Effect.flip(GlowmarktConfig.make({ baseUrl: url }))
        expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "baseUrl" })
      }
      for (const url of ["http://localhost:8080/api/v0-1", "http://127.255.0.1/api/v0-1", "http://[::1]:9/api/v0-1", "http://LOCALHOST/api/v0-1"]) {
        const settings = yield* GlowmarktConfig.make({ baseUrl: url })
        expect(settings.baseUrl.startsWith("http://")).toBe(true)
      }
    }))

  it.effect("a null, numeric or object baseUrl is refused, not replaced by the production URL", () =>
    Effect.gen(function*() {
      for (const baseUrl of [null, 42, {}, ""]) {
        const error = yield* Effect.flip(GlowmarktConfig.make({ baseUrl: baseUrl as any }))
        expect(error).toMatchObject({ _tag: "InvalidConfigError", setting: "baseUrl" })
      }
    }))

  it.effect("null settings are refused, not defaulted", () =>
    Effect.gen(function*() {
      const cases: ReadonlyArray<readonly [GlowmarktConfig.Options, string]> = [
        [{ requestTimeout: null as any }, "requestTimeout"],
        [{ retry: { times: null as any } }, "retry.times"],
        [{ retry: null as any }, "retry"],
        [{ directoryId: null as any }, "directoryId"]
      ]
      for (const [options, setting] of cases) {
        const error = yield* Effect.flip(GlowmarktConfig.make(options))
        expect(error).toMatchObject({ _tag: "InvalidConfigError", setting })
      }
    }))
})

describe("the admin credential of a call", () => {
  it.scoped("an Either passed as the credential, or a literal with a bad value, is refused before sending", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      const cases: ReadonlyArray<readonly [unknown, string]> = [
        [Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "s" }), "credential.AdminCredential"],
        [{ _tag: "AppKeys", keyId: "key-1", secret: Redacted.make("s\u{1F600}") }, "credential.AppKeys.secret"],
        [{ _tag: "DeveloperToken", applicationId: "app-1", token: 42 }, "credential.DeveloperToken.token"],
        [null, "credential.AdminCredential"]
      ]
      for (const [credential, field] of cases) {
        const error = yield* Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(
          Credentials.withAdmin(credential as any),
          Effect.flip,
          Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
        )
        expect(error).toMatchObject({ _tag: "InvalidInputError", operation: "getUserbyId", field })
      }
      expect(server.requests).toHaveLength(0)
    }))

  it.scoped("a credential changed after it was made is checked again", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: "s" }))
      const getById = Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(
        Credentials.withAdmin(credential),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      yield* getById
      ;(credential as any).keyId = "key\r\n1"
      expect(yield* Effect.flip(getById)).toMatchObject({ _tag: "InvalidInputError", field: "credential.AppKeys.keyId" })
      expect(server.requests).toHaveLength(1)
    }))

  it.scoped("a literal credential with a plain-string secret is sent as given", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      yield* Effect.flatMap(Users.Users, (u) => u.getById("u-1")).pipe(
        Credentials.withAdmin({ _tag: "AppKeys", keyId: "key-1", secret: "plain" } as any),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl }))
      )
      expect(server.requests[0]!.headers.authorization).toBe(`Basic ${Buffer.from("key-1:plain").toString("base64")}`)
    }))
})

describe("the flows", () => {
  it.scoped("Onboarding: bad input or options are refused before anything is sent", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      const layer = Layer.merge(clientLayer({ baseUrl: server.baseUrl }), CodeSource.layerRegistry)
      const good = { name: "A", username: "a@b.co", email: "a@b.co", password: pw }
      const cases: ReadonlyArray<readonly [Effect.Effect<unknown, { readonly _tag: string }, any>, string]> = [
        [Onboarding.registerAndVerify(null as any), "input"],
        [Onboarding.registerAndVerify({ ...good, email: "a\u0000b@example.com" }), "email"],
        [Onboarding.registerAndVerify(good, { codeTimeout: "soon" as any }), "options.codeTimeout"],
        [Onboarding.registerAndVerify(good, { maxCodes: "3" as any }), "options.maxCodes"],
        [Onboarding.resetPassword({ username: "a@b.co", newPassword: pw, email: 42 as any }), "email"],
        [Onboarding.resetPassword({ username: "a\uD800", newPassword: pw }), "username"],
        [Onboarding.resetPassword({ username: "a@b.co", newPassword: pw }, { maxWrongCodes: null as any }), "options.maxWrongCodes"],
        [Provisioning.provision({ username: "a@b.co" }, { baseDelay: {} as any }).pipe(Credentials.withAdmin(admin)), "options.baseDelay"],
        [Provisioning.provision({ username: 42 as any }).pipe(Credentials.withAdmin(admin)), "username"],
        [Provisioning.remove(null as any).pipe(Credentials.withAdmin(admin)), "userId"]
      ]
      for (const [flow, field] of cases) {
        const error = yield* Effect.flip(flow).pipe(Effect.provide(layer))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
      }
      expect(server.requests).toHaveLength(0)
    }))

  it.scoped("DurableOnboarding: a flow reference or a nonce that is not what it should be is refused", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(200, user()))
      const layer = DurableOnboarding.layer().pipe(
        Layer.provideMerge(DurableEngine.layerMemory),
        Layer.provideMerge(clientLayer({ baseUrl: server.baseUrl }))
      )
      const cases: ReadonlyArray<readonly [(d: DurableOnboarding.Service) => Effect.Effect<unknown, { readonly _tag: string }>, string]> = [
        [(d) => d.state({ kind: "registration", username: null as any }), "username"],
        [(d) => d.state(null as any), "input"],
        [(d) => d.result({ kind: "registration", username: "a\uD800" }), "username"],
        [(d) => d.submitCode({ kind: "nope" as any, username: "a@b.co" }, "1234"), "kind"],
        [(d) => d.submitCode({ kind: "registration", username: "a@b.co", applicationId: "app\u{1F600}" }, "1234"), "applicationId"],
        [(d) => d.startPasswordReset({ username: "a@b.co", newPassword: pw, nonce: 42 as any }), "nonce"],
        [(d) => d.startRegistration({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make(" ") }), "password"],
        [(d) => d.startRegistration({ name: "A", username: "a@b.co", email: "a@b.co", password: wiped("correct horse") }), "password"]
      ]
      for (const [run, field] of cases) {
        const error = yield* Effect.flatMap(DurableOnboarding.DurableOnboarding, run).pipe(Effect.flip, Effect.provide(layer))
        expect(error).toMatchObject({ _tag: "InvalidInputError", field })
      }
      expect(server.requests).toHaveLength(0)
    }))
})
