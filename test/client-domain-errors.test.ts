/**
 * What an answer means is decided at the service edge: each 400 the library recognises
 * becomes a domain error, but only where the operation can produce it; each method's error
 * channel lists exactly those (type-level tests); server text in an error is bounded, and the
 * call's own secrets are redacted from it even when a server echoes the whole request.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import * as Redacted from "effect/Redacted"
import type {
  AlreadyVerifiedError,
  CodeRejectedError,
  InvalidCredentialsError,
  TokenRejectedError,
  UnknownUserError,
  UsernameTakenError
} from "../src/schema/GlowmarktError.js"
import * as Auth from "../src/services/Auth.js"
import * as Credentials from "../src/services/Credentials.js"
import * as Session from "../src/services/Session.js"
import * as Users from "../src/services/Users.js"
import { BulkImport } from "../src/workflows/index.js"
import { type Answer, clientLayer, json, type Recorded, scripted } from "./support/scripted.js"

const keySecret = "app-secret-xyz-42"
const admin = Credentials.AdminCredential.appKeys({ keyId: "key-1", secret: keySecret }).pipe(
  (e) => (e._tag === "Right" ? e.right : (() => {
    throw e.left
  })())
)
const password = "pass word \"quoted\" 9"
const newPassword = "n3w-pa55word/with?chars"
const token = "eyJhbGciOiJIUzI1NiJ9.e30.sig-value-123"

const session: Session.Service = {
  applicationId: "app-1" as any,
  token: Effect.succeed(Redacted.make(token) as any),
  expiresAt: Effect.succeedNone,
  invalidate: () => Effect.void,
  canLogInAgain: false
}

type Call = (u: Users.Service, a: Auth.Service) => Effect.Effect<unknown, { readonly _tag: string; readonly message: string }, any>

/** Every operation, called with the secrets above. */
const operations: Record<string, Call> = {
  addUser: (u) => u.register({ name: "A", username: "a@b.co", email: "a@b.co", password: Redacted.make(password) }),
  generateUserVerificationToken: (u) => u.requestVerificationCode({ username: "a@b.co", password: Redacted.make(password) }),
  verifyUser: (u) => u.verify({ username: "a@b.co", password: Redacted.make(password), code: "1234" }),
  generateUserPasswordResetToken: (u) => u.requestPasswordReset({ username: "a@b.co" }),
  resetPasswordUser: (u) => u.resetPassword({ username: "a@b.co", code: "1234", newPassword: Redacted.make(newPassword) }),
  createUser: (u) => u.create({ username: "a@b.co" }),
  getUserbyUsername: (u) => u.getByUsername("a@b.co"),
  getUserbyId: (u) => u.getById("u-1"),
  deleteUserbyId: (u) => u.delete("u-1"),
  updateUsernameUserId: (u) =>
    u.changeUsername({ userId: "u-1", username: "b@b.co" }).pipe(Effect.provideService(Session.UserSession, session)),
  usernamelogin: (_, a) => a.login({ username: "a@b.co", password: Redacted.make(password) }),
  tokencheck: (_, a) => a.check(Redacted.make(token)),
  newToken: (_, a) => a.renew(Redacted.make(token)),
  deleteToken: (_, a) => a.revoke(Redacted.make(token))
}

const failWith = (answer: (request: Recorded) => Answer, operation: string) =>
  Effect.gen(function*() {
    const server = yield* scripted((request) => answer(request))
    const error = yield* Effect.all([Users.Users, Auth.Auth]).pipe(
      Effect.flatMap(([u, a]) => operations[operation]!(u, a)),
      Credentials.withAdmin(admin),
      Effect.flip,
      Effect.provide(clientLayer({ baseUrl: server.baseUrl, applicationId: "app-1", directoryId: "dir-1", retry: { times: 0 } }))
    )
    return { error, server }
  })

describe("400s that mean something, per operation", () => {
  // [operation, the server's message, the error it is]
  const cases: ReadonlyArray<readonly [string, string, string, Record<string, unknown>?]> = [
    ["addUser", "user already exists", "UsernameTakenError", { username: "a@b.co" }],
    ["createUser", "user already exists", "UsernameTakenError", { username: "a@b.co" }],
    ["updateUsernameUserId", "user already exists", "UsernameTakenError", { username: "b@b.co" }],
    ["generateUserVerificationToken", "user already verified", "AlreadyVerifiedError", { username: "a@b.co" }],
    ["verifyUser", "user already verified", "AlreadyVerifiedError"],
    ["verifyUser", "invalid token", "CodeRejectedError", { reason: "wrong" }],
    ["verifyUser", "token expired", "CodeRejectedError", { reason: "expired" }],
    ["verifyUser", "too many attempts, request a new token", "CodeRejectedError", { reason: "tooManyAttempts" }],
    ["verifyUser", "no valid token, request a new one", "CodeRejectedError", { reason: "noPendingCode" }],
    ["resetPasswordUser", "invalid token", "CodeRejectedError", { reason: "wrong" }],
    ["resetPasswordUser", "user not found", "UnknownUserError", { username: "a@b.co" }],
    ["generateUserPasswordResetToken", "user not found", "UnknownUserError", { username: "a@b.co" }],
    // Recognised words where the operation cannot mean them: a plain bad request.
    ["addUser", "invalid token", "BadRequestError", { serverMessage: "invalid token" }],
    ["usernamelogin", "user already exists", "BadRequestError"],
    ["generateUserPasswordResetToken", "user already verified", "BadRequestError"],
    ["verifyUser", "incorrect elements", "BadRequestError", { serverMessage: "incorrect elements" }]
  ]
  for (const [operation, message, tag, fields] of cases) {
    it.scoped(`${operation}: 400 "${message}" is ${tag}`, () =>
      Effect.gen(function*() {
        const { error } = yield* failWith(() => json(400, { error: message }), operation)
        expect(error).toMatchObject({ _tag: tag, operation, ...fields })
      }))
  }

  it.scoped("what a 400 means is read before redaction: a password that is a word of the message does not hide it", () =>
    Effect.gen(function*() {
      const server = yield* scripted(() => json(400, { error: "user already verified" }))
      const error = yield* Effect.flatMap(Users.Users, (u) =>
        u.verify({ username: "a@b.co", password: Redacted.make("already"), code: "1234" })).pipe(
          Effect.flip,
          Effect.provide(clientLayer({ baseUrl: server.baseUrl, applicationId: "app-1", retry: { times: 0 } }))
        )
      expect(error).toMatchObject({ _tag: "AlreadyVerifiedError", operation: "verifyUser" })
    }))

  it.scoped("deleteToken's 400 {\"valid\": false}, as the spec declares it, is a refused token", () =>
    Effect.gen(function*() {
      const { error } = yield* failWith(() => json(400, { valid: false }), "deleteToken")
      expect(error).toMatchObject({ _tag: "TokenRejectedError", operation: "deleteToken" })
    }))

  it.effect("each method's error type is exactly what its operation can produce", () =>
    Effect.sync(() => {
      type ErrorOf<F> = F extends (...args: any) => Effect.Effect<any, infer E, any> ? E : never
      expectTypeOf<CodeRejectedError>().not.toMatchTypeOf<ErrorOf<Users.Service["getById"]>>()
      expectTypeOf<UsernameTakenError>().toMatchTypeOf<ErrorOf<Users.Service["register"]>>()
      expectTypeOf<UsernameTakenError>().not.toMatchTypeOf<ErrorOf<Users.Service["verify"]>>()
      expectTypeOf<CodeRejectedError>().toMatchTypeOf<ErrorOf<Users.Service["verify"]>>()
      expectTypeOf<AlreadyVerifiedError>().toMatchTypeOf<ErrorOf<Users.Service["requestVerificationCode"]>>()
      expectTypeOf<UnknownUserError>().toMatchTypeOf<ErrorOf<Users.Service["requestPasswordReset"]>>()
      expectTypeOf<UnknownUserError>().not.toMatchTypeOf<ErrorOf<Users.Service["getByUsername"]>>()
      expectTypeOf<InvalidCredentialsError>().toMatchTypeOf<ErrorOf<Auth.Service["login"]>>()
      expectTypeOf<InvalidCredentialsError>().not.toMatchTypeOf<ErrorOf<Users.Service["create"]>>()
      expectTypeOf<TokenRejectedError>().toMatchTypeOf<ErrorOf<Auth.Service["renew"]>>()
      expectTypeOf<TokenRejectedError>().not.toMatchTypeOf<ErrorOf<Users.Service["delete"]>>()
    }))
})

describe("server text in errors", () => {
  /** The whole request as a server (or a proxy) that reflects it would send it back. */
  const echo = (r: Recorded) =>
    JSON.stringify({ method: r.method, url: r.url, headers: r.headers, body: r.body }) + " " + r.body +
    " " + JSON.stringify(r.headers)
  const basic = Buffer.from(`key-1:${keySecret}`).toString("base64")
  const secrets = [password, JSON.stringify(password).slice(1, -1), newPassword, token, keySecret, basic, encodeURIComponent(newPassword)]
  const shapes: ReadonlyArray<readonly [string, (r: Recorded) => Answer]> = [
    ["400", (r) => json(400, { error: echo(r) })],
    ["401", (r) => json(401, { error: echo(r) })],
    ["404", (r) => ({ status: 404, body: echo(r), headers: { "content-type": "text/plain" } })],
    ["500", (r) => json(500, { error: echo(r) })],
    ["502", (r) => ({ status: 502, body: echo(r) })]
  ]

  for (const [status, shape] of shapes) {
    it.scoped(`a server that echoes the request on ${status}: no secret in any error, bounded`, () =>
      Effect.gen(function*() {
        for (const operation of Object.keys(operations)) {
          const { error, server } = yield* failWith(shape, operation)
          expect(server.requests.length).toBe(1)
          const seen = [JSON.stringify(error), error.message, String(error)].join("\n")
          for (const secret of secrets) expect(seen, `${operation} ${status}`).not.toContain(secret)
          expect(error.message.length, `${operation} ${status}`).toBeLessThan(1000)
        }
      }))
  }

  it.scoped("a 100 KB error body makes a bounded message, marked as cut", () =>
    Effect.gen(function*() {
      const big = "y".repeat(100_000)
      const answers: ReadonlyArray<readonly [string, Answer]> = [
        ["createUser", json(400, { error: big })],
        ["getUserbyId", json(401, { error: big })],
        ["getUserbyId", { status: 404, body: big }],
        ["getUserbyId", json(500, { error: big })],
        ["getUserbyId", { status: 503, body: big }]
      ]
      for (const [operation, answer] of answers) {
        const { error } = yield* failWith(() => answer, operation)
        expect(error.message.length).toBeLessThan(700)
        expect(JSON.stringify(error)).toContain("(cut: 100000 characters)")
      }
    }))
})

describe("secrets echoed by a server stay out of the bulk import's results file", () => {
  it.scoped("every record failed with an echoed request: the file holds no key, secret or Basic value", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      const resultsFile = `${dir}/results.ndjson`
      const server = yield* scripted((r) => json(400, { error: JSON.stringify(r.headers) + r.body }))
      const summary = yield* BulkImport.run(
        Stream.make({ username: "one@bulk.example" }, { username: "two@bulk.example" }),
        { resultsFile, ratePerSecond: Infinity }
      ).pipe(
        Credentials.withAdmin(admin),
        Effect.provide(clientLayer({ baseUrl: server.baseUrl, directoryId: "dir-1", retry: { times: 0 } }))
      )
      expect(summary).toMatchObject({ records: 2, failed: 2 })
      const text = yield* fs.readFileString(resultsFile)
      expect(text).toContain("<redacted>")
      const basic = Buffer.from(`key-1:${keySecret}`).toString("base64")
      for (const secret of [keySecret, basic]) expect(text).not.toContain(secret)
    }).pipe(Effect.provide(NodeContext.layer)))
})
