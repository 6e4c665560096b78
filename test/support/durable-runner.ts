/**
 * A process that runs the durable flows on a SQL engine, driven by JSON lines on stdin and
 * reporting JSON lines on stdout: what the durable tests kill and restart.
 *
 *   tsx test/support/durable-runner.ts '{"engine":"sqlite","file":"/tmp/x.sqlite","name":"a",
 *     "baseUrl":"http://127.0.0.1:1234/api/v0-1","applicationId":"...","directoryId":"..."}'
 *
 * Commands (one JSON object per line): `start` {username, password}, `submit` {username, code},
 * `awaiting` {username, wait} (answers once the flow waits for that code), `result` {username}.
 * Events: `ready`, `started`, `submitted`, `awaiting`, `result`, `call` (every User API call this
 * process makes, with the runner's name: which runner ran which flow), `error`.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as Duration from "effect/Duration"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Redacted from "effect/Redacted"
import { createInterface } from "node:readline"
import * as DurableEngine from "../../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../../src/durable/DurableOnboarding.js"
import * as Auth from "../../src/services/Auth.js"
import * as Consent from "../../src/services/Consent.js"
import * as Accounts from "../../src/services/Accounts.js"
import * as OAuth from "../../src/services/OAuth.js"
import * as Glowmarkt from "../../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../../src/services/GlowmarktConfig.js"
import * as Tokens from "../../src/services/Tokens.js"
import * as Users from "../../src/services/Users.js"

interface Options {
  readonly engine: "sqlite" | "pg"
  readonly name: string
  readonly file?: string
  readonly pgUrl?: string
  readonly runnerPort?: number
  readonly baseUrl: string
  readonly applicationId: string
  readonly directoryId: string
  readonly codeTimeout?: string
  readonly pollInterval?: string
  readonly lockExpiration?: string
}

const options: Options = JSON.parse(process.argv[2] ?? "{}")
const emit = (event: Record<string, unknown>) => process.stdout.write(JSON.stringify({ runner: options.name, ...event }) + "\n")

/** The User API, reporting each call on stdout before making it. */
const ReportingUsers = Layer.effectContext(
  Effect.map(Effect.all([Users.Users, Auth.Auth, Consent.Consent, Accounts.Accounts, OAuth.OAuth, Tokens.Tokens]), ([users, auth, consent, accounts, oauth, tokens]) => {
    const report = <I extends { readonly username: string }, A, E>(op: string, f: (i: I) => Effect.Effect<A, E>) => (i: I) =>
      Effect.zipRight(Effect.sync(() => emit({ event: "call", op, username: i.username })), f(i))
    const reporting: Users.Service = {
      ...users,
      register: report("register", users.register),
      requestVerificationCode: report("requestVerificationCode", users.requestVerificationCode),
      verify: report("verify", users.verify),
      requestPasswordReset: report("requestPasswordReset", users.requestPasswordReset),
      resetPassword: report("resetPassword", users.resetPassword)
    }
    return Context.make(Users.Users, reporting).pipe(
      Context.add(Auth.Auth, auth),
      Context.add(Consent.Consent, consent),
      Context.add(Accounts.Accounts, accounts),
      Context.add(OAuth.OAuth, oauth),
      Context.add(Tokens.Tokens, tokens)
    )
  })
).pipe(Layer.provide(Glowmarkt.layer))

const timing = {
  pollInterval: (options.pollInterval ?? "200 millis") as Duration.DurationInput,
  lockExpiration: (options.lockExpiration ?? "4 seconds") as Duration.DurationInput
}
const Engine = options.engine === "sqlite"
  ? DurableEngine.layerSqlite({ filename: options.file!, ...timing })
  : DurableEngine.layerPg({
    url: Redacted.make(options.pgUrl!),
    runnerId: { host: `test-${options.name}`, port: options.runnerPort ?? process.pid },
    maxConnections: 4,
    ...timing
  })

const MainLayer = DurableOnboarding.layer({
  codeTimeout: (options.codeTimeout ?? "10 minutes") as Duration.DurationInput,
  // The same key in every runner: a flow started by one is resumed by another.
  secretKey: Redacted.make("durable-test-secret-key")
}).pipe(
  Layer.provideMerge(ReportingUsers),
  Layer.provide(Engine),
  Layer.provideMerge(GlowmarktConfig.layer({
    baseUrl: options.baseUrl,
    applicationId: options.applicationId,
    directoryId: options.directoryId,
    requestTimeout: "5 seconds",
    retry: { times: 2, baseDelay: "20 millis", maxDelay: "100 millis" }
  })),
  Layer.provide(NodeHttpClient.layerUndici)
)

const ref = (username: string): DurableOnboarding.FlowRef => ({ kind: "registration", username })

const handle = (command: any) =>
  Effect.gen(function*() {
    const onboarding = yield* DurableOnboarding.DurableOnboarding
    switch (command.cmd) {
      case "start": {
        const flow = yield* onboarding.startRegistration({
          name: "Durable Test",
          username: command.username,
          email: command.username,
          password: Redacted.make(command.password ?? "correct horse battery")
        })
        return emit({ event: "started", username: command.username, executionId: flow.executionId })
      }
      case "submit": {
        const { wait } = yield* onboarding.submitCode(ref(command.username), command.code)
        return emit({ event: "submitted", username: command.username, wait })
      }
      case "awaiting": {
        const wanted = command.wait ?? 1
        while (true) {
          const s = yield* onboarding.state(ref(command.username))
          if (s._tag === "Running" && s.awaitingCode && s.wait === wanted) {
            return emit({ event: "awaiting", username: command.username, wait: wanted })
          }
          yield* Effect.sleep("50 millis")
        }
      }
      case "result": {
        const exit = yield* Effect.exit(onboarding.result(ref(command.username)))
        return emit(
          exit._tag === "Success"
            ? { event: "result", username: command.username, ok: true, value: exit.value }
            : { event: "result", username: command.username, ok: false, error: String(exit.cause) }
        )
      }
      default:
        return emit({ event: "error", error: `unknown command ${JSON.stringify(command)}` })
    }
  }).pipe(
    Effect.catchAllCause((cause) => Effect.sync(() => emit({ event: "error", command, error: String(cause) })))
  )

const lines = createInterface({ input: process.stdin })

/**
 * With `"dormant": true` the process loads its modules, says `loaded`, and opens the engine only
 * on an `{"cmd":"open"}` line: a test can start it in advance without it touching the database.
 */
const opened = (options as { dormant?: boolean }).dormant === true
  ? Effect.async<void>((resume) => {
    emit({ event: "loaded", pid: process.pid })
    const onLine = (line: string) => {
      if (line.includes("\"open\"")) {
        lines.off("line", onLine)
        resume(Effect.void)
      }
    }
    lines.on("line", onLine)
  })
  : Effect.void

const main = Effect.gen(function*() {
  const runtime = yield* Effect.runtime<DurableOnboarding.DurableOnboarding>()
  emit({ event: "ready", pid: process.pid })
  lines.on("line", (line) => {
    if (line.trim() === "") return
    let command: unknown
    try {
      command = JSON.parse(line)
    } catch {
      return emit({ event: "error", error: `not JSON: ${line}` })
    }
    Effect.runFork(Effect.provide(handle(command), runtime))
  })
  yield* Effect.async<void>((resume) => {
    lines.on("close", () => resume(Effect.void))
  })
}).pipe(
  Effect.provide(MainLayer),
  Effect.provide(Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))),
  Logger.withMinimumLogLevel(LogLevel.Warning)
)

Effect.runPromise(Effect.zipRight(opened, main)).then(
  () => process.exit(0),
  (error) => {
    emit({ event: "error", error: String(error) })
    process.exit(1)
  }
)
