/**
 * A "process" of the durable flows that dies at a chosen call: the services a flow calls, each
 * call counted, and from call number `hangFrom` on every call hangs before it is sent (with
 * `after`, call `hangFrom` itself is sent and its answer never heard). Built on
 * a SQLite file, torn down, and resumed by another build on the same file, it is a process killed
 * between two calls.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as DurableEngine from "../../src/durable/DurableEngine.js"
import * as DurableOnboarding from "../../src/durable/DurableOnboarding.js"
import * as Accounts from "../../src/services/Accounts.js"
import * as Auth from "../../src/services/Auth.js"
import * as Consent from "../../src/services/Consent.js"
import * as Tokens from "../../src/services/Tokens.js"
import * as Users from "../../src/services/Users.js"

/** The services the durable flows call. */
export type Called = Users.Users | Auth.Auth | Consent.Consent | Accounts.Accounts | Tokens.Tokens

const tags = [Users.Users, Auth.Auth, Consent.Consent, Accounts.Accounts, Tokens.Tokens] as const

/**
 * The services of `context`, each call counted (nested operation objects included, such as
 * `Consent.forUser(id)`); from call number `hangFrom` on, every call hangs before it is sent.
 */
export const gated = (
  context: Context.Context<Called>,
  hangFrom: number,
  options?: { readonly after?: boolean | undefined }
) => {
  let calls = 0
  const wrap = (value: unknown): unknown => {
    if (typeof value === "function") {
      return (...args: Array<unknown>) => {
        const result = (value as (...a: Array<unknown>) => unknown)(...args)
        return Effect.isEffect(result)
          ? Effect.suspend(() => {
            const n = ++calls
            if (n < hangFrom) return result
            // `after`: call `hangFrom` is made, and the process dies before it hears the answer.
            return n === hangFrom && options?.after === true ? Effect.zipRight(Effect.exit(result), Effect.never) : Effect.never
          })
          : wrap(result)
      }
    }
    if (typeof value === "object" && value !== null && !Effect.isEffect(value)) {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wrap(v)]))
    }
    return value
  }
  const services = Context.make(Users.Users, wrap(Context.get(context, Users.Users)) as Users.Service).pipe(
    Context.add(Auth.Auth, wrap(Context.get(context, Auth.Auth)) as Auth.Service),
    Context.add(Consent.Consent, wrap(Context.get(context, Consent.Consent)) as Consent.Service),
    Context.add(Accounts.Accounts, wrap(Context.get(context, Accounts.Accounts)) as Accounts.Service),
    Context.add(Tokens.Tokens, wrap(Context.get(context, Tokens.Tokens)) as Tokens.Service)
  )
  return { services, calls: () => calls }
}

/** A process on `filename` whose calls are those of `services`. */
export const processOn = (filename: string, services: Context.Context<Called>, secretKey: Redacted.Redacted<string>) =>
  DurableOnboarding.layer({ pollInterval: "20 millis", secretKey }).pipe(
    Layer.provide(Layer.succeedContext(services)),
    Layer.provide(DurableEngine.layerSqlite({ filename, pollInterval: "50 millis", lockExpiration: "2 seconds" }))
  )

/**
 * Runs `self` (the build of a process) where none of the services the flows call is: what the
 * engine's fibers run with comes from the context the layers are built in, and the engine lets
 * that context win over the layer's.
 */
export const withoutCalled = <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
  Effect.mapInputContext(self, (context: Context.Context<R>) =>
    tags.reduce((c, tag) => Context.omit(tag)(c), context as Context.Context<any>) as Context.Context<R>)
