/**
 * The HTTP side of the simulator: the `HttpApiBuilder` app (with the spec's 400 bodies instead
 * of `HttpApiDecodeError`), wrapped in what a real network and the `/_simulator/*` control
 * routes add: counters, the request log, faults, the admin/session credential checks (any one
 * satisfied alternative authorises), the body limit and content type (413, 415), 405 for an
 * unknown method, JSON 404s, and the `Host` check of the control routes.
 *
 * @internal
 */
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import { HttpApiDecodeError } from "@effect/platform/HttpApiError"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpIncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as HttpMethod from "@effect/platform/HttpMethod"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Faults from "../Faults.js"
import type { Counters, OperationCounters, RequestLogEntry, SimulatorService } from "../Simulator.js"
import type { FaultEngine } from "./faults.js"
import * as Handlers from "./handlers.js"
import * as Routes from "./routes.js"
import * as Security from "./security.js"
import { messages } from "./state.js"

const errorBody = (status: number, error: string) => HttpServerResponse.unsafeJson({ error }, { status })

// -------------------------------------------------------------------------------------------------
// counters and request log

const emptyFaults = (): Record<Faults.FaultKind, number> => ({
  latency: 0,
  serverError: 0,
  rateLimit: 0,
  dropBefore: 0,
  dropAfter: 0,
  malformedJson: 0
})

interface MutableEntry {
  method: string
  path: string
  operationId: string | undefined
  headerNames: ReadonlyArray<string>
  at: Date
  status: number | undefined
  fault: Faults.FaultKind | undefined
}

/** What was received, handled and injected, and a bounded log of recent requests. @internal */
export class Recorder {
  private totals = { received: 0, handled: 0, succeeded: 0 }
  private byOperation = new Map<string, { received: number; handled: number; succeeded: number }>()
  private faults = emptyFaults()
  private log: Array<MutableEntry> = []

  constructor(private readonly logSize: number) {}

  private op(operationId: string) {
    let c = this.byOperation.get(operationId)
    if (c === undefined) {
      c = { received: 0, handled: 0, succeeded: 0 }
      this.byOperation.set(operationId, c)
    }
    return c
  }

  received(entry: MutableEntry): void {
    this.totals.received++
    if (entry.operationId !== undefined) this.op(entry.operationId).received++
    this.log.push(entry)
    if (this.log.length > this.logSize) this.log.splice(0, this.log.length - this.logSize)
  }

  handled(operationId: string | undefined, status: number): void {
    const ok = status >= 200 && status < 300
    this.totals.handled++
    if (ok) this.totals.succeeded++
    if (operationId !== undefined) {
      const c = this.op(operationId)
      c.handled++
      if (ok) c.succeeded++
    }
  }

  fault(kind: Faults.FaultKind): void {
    this.faults[kind]++
  }

  counters(): Counters {
    const byOperation: Record<string, OperationCounters> = {}
    for (const [k, v] of this.byOperation) byOperation[k] = { ...v }
    return { ...this.totals, byOperation, faults: { ...this.faults } }
  }

  requests(): ReadonlyArray<RequestLogEntry> {
    return this.log.map((e) => ({ ...e }))
  }

  reset(): void {
    this.totals = { received: 0, handled: 0, succeeded: 0 }
    this.byOperation = new Map()
    this.faults = emptyFaults()
  }

  clearRequests(): void {
    this.log = []
  }
}

// -------------------------------------------------------------------------------------------------
// the API app, with the spec's 400 bodies

/**
 * `HttpApiBuilder` answers a payload, path, header or url-param that does not decode with its own
 * `HttpApiDecodeError` body, and a body that is not JSON with a 500. The spec answers
 * `{"error":"missing elements"}` or `{"error":"incorrect elements"}`: this API-level middleware
 * (it runs inside `HttpApiBuilder`'s error encoding, so it still sees the typed failure) turns a
 * decode error with a `Missing` issue into the first, any other into the second, an empty body
 * into the first and a body that is not JSON into the second.
 */
/** Whether the request has a body method and an empty (or whitespace) body; the text is cached by the request. */
const emptyBody: Effect.Effect<boolean, never, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
  HttpServerRequest.HttpServerRequest,
  (request) =>
    HttpMethod.hasBody(request.method)
      ? Effect.map(request.text, (text) => text.trim() === "").pipe(Effect.orElseSucceed(() => false))
      : Effect.succeed(false)
)

/**
 * Whether the operation being served declares a 400. One that does not (the admin look-ups and
 * delete) answers a request it cannot read, e.g. `GET /user` without `username`, with its 404:
 * no user matches it, and the client gets an answer the spec declares.
 */
const currentDeclaresBadRequest: FiberRef.FiberRef<boolean> = FiberRef.unsafeMake(true)

/** The spec's 404 of an operation: a JSON string. */
const operationNotFound = () =>
  HttpServerResponse.text(JSON.stringify(messages.notFound), { status: 404, contentType: "application/json" })

const specBadRequests = (app: HttpApp.Default): HttpApp.Default =>
  Effect.catchAllCause(app, (cause) => {
    const failure = Cause.failureOption(cause as Cause.Cause<unknown>)
    if (Option.isSome(failure) && failure.value instanceof HttpApiDecodeError) {
      const missing = failure.value.issues.some((issue) => issue._tag === "Missing")
      // An empty body decodes as `null`, a type error: it is missing elements all the same.
      return FiberRef.getWith(currentDeclaresBadRequest, (declares) =>
        declares
          ? Effect.map(
            emptyBody,
            (empty) => errorBody(400, missing || empty ? messages.missingElements : messages.incorrectElements)
          )
          : Effect.succeed(operationNotFound()))
    }
    if (Option.isSome(failure) && ParseResult.isParseError(failure.value)) {
      return Effect.succeed(errorBody(400, messages.incorrectElements))
    }
    const defect = Cause.dieOption(cause)
    if (Option.isSome(defect) && HttpServerError.isServerError(defect.value) && defect.value._tag === "RequestError") {
      return Effect.map(emptyBody, (empty) => errorBody(400, empty ? messages.missingElements : messages.incorrectElements))
    }
    return Effect.failCause(cause)
  })

/**
 * Builds the API app in its own memo map, so that two simulators in one process (or one test
 * layer) never share `HttpApiBuilder`'s router.
 */
const buildApiApp = (core: Handlers.Core): Effect.Effect<HttpApp.Default<never, HttpRouter.HttpRouter.DefaultServices>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const memoMap = yield* Layer.makeMemoMap
    const scope = yield* Effect.scope
    const services = Layer.mergeAll(HttpApiBuilder.Router.Live, HttpApiBuilder.Middleware.layer)
    const layer = Layer.mergeAll(Handlers.layer(core), HttpApiBuilder.middleware(specBadRequests)).pipe(
      Layer.provideMerge(services)
    )
    const context = yield* Layer.buildWithMemoMap(layer, memoMap, scope)
    return yield* Effect.provide(HttpApiBuilder.httpApp, context)
  })

// -------------------------------------------------------------------------------------------------
// control routes

const Wait = Schema.NumberFromString.pipe(Schema.int(), Schema.between(0, 60_000))

const controlApp = (service: SimulatorService, faults: FaultEngine) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/_simulator/info", Effect.succeed(HttpServerResponse.unsafeJson(service.info))),
    HttpRouter.get("/_simulator/counters", Effect.map(service.counters, (c) => HttpServerResponse.unsafeJson(c))),
    HttpRouter.del(
      "/_simulator/counters",
      Effect.as(service.resetCounters, HttpServerResponse.unsafeJson({ valid: true }))
    ),
    HttpRouter.get("/_simulator/requests", Effect.map(service.requests, (r) => HttpServerResponse.unsafeJson(r))),
    HttpRouter.del(
      "/_simulator/requests",
      Effect.as(service.clearRequests, HttpServerResponse.unsafeJson({ valid: true }))
    ),
    HttpRouter.get("/_simulator/users", Effect.map(service.users, (u) => HttpServerResponse.unsafeJson(u))),
    HttpRouter.get("/_simulator/accounts", Effect.map(service.accounts, (a) => HttpServerResponse.unsafeJson(a))),
    HttpRouter.get("/_simulator/tokens", Effect.map(service.tokens, (t) => HttpServerResponse.unsafeJson(t))),
    HttpRouter.get("/_simulator/faults", Effect.sync(() => HttpServerResponse.unsafeJson(faults.current))),
    HttpRouter.put(
      "/_simulator/faults",
      HttpServerRequest.HttpServerRequest.pipe(
        Effect.flatMap((request) => request.json),
        Effect.flatMap(Faults.validate),
        Effect.flatMap((config) => Effect.as(service.setFaults(config), HttpServerResponse.unsafeJson(config))),
        Effect.catchAll((e) =>
          Effect.succeed(
            errorBody(400, ParseResult.isParseError(e) ? ParseResult.TreeFormatter.formatErrorSync(e) : "invalid JSON")
          )
        )
      )
    ),
    HttpRouter.get(
      "/_simulator/inbox/:email",
      Effect.flatMap(HttpRouter.params, ({ email }) =>
        Effect.map(service.inbox.all(email ?? ""), (messages) => HttpServerResponse.unsafeJson(messages)))
    ),
    HttpRouter.get(
      "/_simulator/inbox/:email/next",
      Effect.gen(function*() {
        const { email } = yield* HttpRouter.params
        const query = yield* HttpServerRequest.schemaSearchParams(
          Schema.Struct({ wait: Schema.optional(Wait), kind: Schema.optional(Schema.Literal("verification", "passwordReset")) })
        )
        const message = query.wait === undefined || query.wait === 0
          ? yield* service.inbox.poll(email ?? "", query.kind)
          : yield* Effect.option(service.inbox.next(email ?? "", { timeout: query.wait, kind: query.kind }))
        return Option.match(message, {
          onNone: () => errorBody(404, "no message"),
          onSome: (m) => HttpServerResponse.unsafeJson(m)
        })
      }).pipe(Effect.catchTag("ParseError", () => Effect.succeed(errorBody(400, messages.incorrectElements))))
    )
  )

// -------------------------------------------------------------------------------------------------
// the whole server

const socketOf = (request: HttpServerRequest.HttpServerRequest): { destroy: () => void } | undefined => {
  // `NodeHttpServerRequest.toIncomingMessage` without importing the node package here: any
  // request backed by a node IncomingMessage has it as `source`.
  const source = (request as unknown as { source?: { socket?: { destroy?: unknown } } }).source
  const socket = source?.socket
  return socket !== undefined && typeof socket.destroy === "function" ? (socket as { destroy: () => void }) : undefined
}

/** Closes the connection without an answer (or, off node, interrupts the request). */
const drop = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.suspend(() => {
    const socket = socketOf(request)
    if (socket === undefined) return Effect.interrupt
    socket.destroy()
    return Effect.succeed(HttpServerResponse.empty({ status: 500 }))
  })

const malformedBody = "{\"valid\":tru"

const header = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : undefined
}

/**
 * The largest request body the simulator reads, in bytes (100 KiB, the default of the body
 * parser of an Express server): a longer one is refused with 413 before it is parsed.
 *
 * @internal
 */
export const maxBodyBytes = 100 * 1024

const isJson = (contentType: string | undefined): boolean => {
  if (contentType === undefined) return false
  const type = contentType.split(";")[0]!.trim().toLowerCase()
  return type === "application/json" || (type.startsWith("application/") && type.endsWith("+json"))
}

const tooLarge = () => HttpServerResponse.setHeader(errorBody(413, "request entity too large"), "connection", "close")

interface NodeSource {
  on(event: "data", f: (chunk: Buffer) => void): unknown
  on(event: "end" | "close", f: () => void): unknown
  on(event: "error", f: (e: unknown) => void): unknown
  readonly readableEnded: boolean
}

const nodeSource = (request: HttpServerRequest.HttpServerRequest): NodeSource | undefined => {
  const source = (request as unknown as { source?: Partial<NodeSource> }).source
  return source !== undefined && typeof source.on === "function" && typeof source.readableEnded === "boolean"
    ? (source as NodeSource)
    : undefined
}

/**
 * Reads the body of a node request up to {@link maxBodyBytes}. Past the limit it stops keeping
 * the bytes but lets the rest drain, so the client reads its 413 instead of a reset connection
 * (the platform's own limit destroys the socket). The text it read becomes the request's `text`,
 * which the API app then reads.
 */
const readLimited = (
  request: HttpServerRequest.HttpServerRequest,
  source: NodeSource
): Effect.Effect<string | undefined> =>
  Effect.async<string | undefined>((resume) => {
    const chunks: Array<Buffer> = []
    let size = 0
    let done = false
    const finish = (text: string | undefined) => {
      if (done) return
      done = true
      if (text !== undefined) Object.defineProperty(request, "text", { value: Effect.succeed(text), configurable: true })
      resume(Effect.succeed(text))
    }
    source.on("data", (chunk) => {
      size += chunk.length
      if (size > maxBodyBytes) {
        chunks.length = 0
        finish(undefined)
      } else if (!done) chunks.push(chunk)
    })
    source.on("end", () => finish(Buffer.concat(chunks).toString("utf8")))
    source.on("error", () => finish(undefined))
    source.on("close", () => finish(size > maxBodyBytes ? undefined : Buffer.concat(chunks).toString("utf8")))
  })

/**
 * What the spec and a validating server refuse before any handler runs: a body over
 * {@link maxBodyBytes} (413) and a non-empty body that is not JSON on an operation that takes a
 * JSON body (415). A body sent with an operation that takes none (a generated client sends `{}`
 * on GET and DELETE) is read within the limit and ignored.
 */
const checkBody = (
  request: HttpServerRequest.HttpServerRequest,
  route: Routes.RouteInfo
): Effect.Effect<HttpServerResponse.HttpServerResponse | undefined> => {
  const length = header(request, "content-length")
  const chunked = header(request, "transfer-encoding") !== undefined
  if (length !== undefined && Number(length) > maxBodyBytes) return Effect.succeed(tooLarge())
  if (!chunked && (length === undefined || Number(length) === 0)) {
    return Effect.succeed(route.form ? errorBody(400, messages.missingElements) : undefined)
  }
  const source = nodeSource(request)
  const text = source === undefined || source.readableEnded
    ? request.text.pipe(
      HttpIncomingMessage.withMaxBodySize(Option.some(maxBodyBytes)),
      Effect.orElseSucceed(() => undefined)
    )
    : readLimited(request, source)
  return Effect.map(text, (text) =>
    text === undefined
      ? tooLarge()
      : route.form
      // A form endpoint reads only forms: JSON (or nothing) leaves its fields missing.
      ? ((header(request, "content-type") ?? "").toLowerCase().startsWith("application/x-www-form-urlencoded")
        ? undefined
        : errorBody(400, messages.missingElements))
      : route.hasPayload && text.length > 0 && !isJson(header(request, "content-type"))
      ? errorBody(415, "unsupported media type: send application/json")
      : undefined)
}

const loopbackNames = new Set(["127.0.0.1", "localhost", "[::1]"])

/**
 * The `Host` values the control routes answer: the host of the address served and, when that is
 * loopback, the other loopback names with the same port. A page that reaches the port through
 * DNS rebinding carries its own name in `Host`, and is refused.
 */
const controlHosts = (origin: string): ReadonlySet<string> => {
  const url = new URL(origin)
  const hosts = new Set([url.host.toLowerCase()])
  if (loopbackNames.has(url.hostname.toLowerCase())) {
    for (const name of loopbackNames) hosts.add(url.port === "" ? name : `${name}:${url.port}`)
  }
  return hosts
}

/** The app that the simulator serves. @internal */
export const makeApp = (options: {
  readonly core: Handlers.Core
  readonly recorder: Recorder
  readonly faults: FaultEngine
  readonly service: SimulatorService
}): Effect.Effect<HttpApp.Default<never, HttpRouter.HttpRouter.DefaultServices>, never, Scope.Scope> =>
  Effect.gen(function*() {
    const { core, faults, recorder, service } = options
    const api = yield* buildApiApp(core)
    const control = controlApp(service, faults)
    const hosts = controlHosts(service.info.origin)

    /** Credentials, body checks, then the API app; or the 404/405 of a request that is no operation. */
    const handle = (request: HttpServerRequest.HttpServerRequest, url: URL, route: Routes.RouteInfo | undefined, now: number) =>
      Effect.gen(function*() {
        if (route === undefined) {
          const allowed = Routes.allowedMethods(url.pathname)
          return allowed.length === 0
            ? errorBody(404, messages.notFound)
            : HttpServerResponse.unsafeJson({ error: "method not allowed" }, {
              status: 405,
              headers: { allow: allowed.join(", ") }
            })
        }
        const refused = yield* checkBody(request, route)
        if (refused !== undefined) return refused
        const serve = Effect.locally(api, currentDeclaresBadRequest, route.declaresBadRequest)
        // One rule for every operation: the first of the spec's alternatives that the request
        // satisfies authorises it, whatever else it carries (security.ts).
        const grant = Security.authorize(core.state, route.group, request, now)
        if (grant === undefined) return errorBody(401, messages.accessDenied)
        const admin = route.group === "admin" || route.group === "accountAdmin"
        return yield* serve.pipe(
          Effect.locally(Handlers.currentAdminApplication, admin ? grant.application : undefined),
          Effect.locally(Handlers.currentSession, grant.session),
          Effect.locally(Handlers.currentConsentSubject, route.group === "consent" ? grant.subject : undefined)
        )
      })

    const serveApi = (request: HttpServerRequest.HttpServerRequest, url: URL) =>
      Effect.gen(function*() {
        const route = Routes.match(request.method, url.pathname)
        const operationId = route?.operationId
        const entry: MutableEntry = {
          method: request.method,
          path: url.pathname,
          operationId,
          headerNames: Object.keys(request.headers).map((h) => h.toLowerCase()).sort(),
          at: new Date(yield* core.clock.currentTimeMillis),
          status: undefined,
          fault: undefined
        }
        recorder.received(entry)
        const injected = (kind: Faults.FaultKind) => {
          recorder.fault(kind)
          entry.fault = kind
        }

        const latency = faults.latency(operationId)
        if (latency !== undefined) {
          recorder.fault("latency")
          yield* core.clock.sleep(latency)
        }
        if (faults.roll(operationId, "dropBefore")) {
          injected("dropBefore")
          return yield* drop(request)
        }
        if (faults.roll(operationId, "rateLimit")) {
          injected("rateLimit")
          entry.status = 429
          return HttpServerResponse.unsafeJson({ error: messages.tooManyRequests }, {
            status: 429,
            headers: { "retry-after": String(faults.retryAfter(operationId)) }
          })
        }
        if (faults.roll(operationId, "serverError")) {
          injected("serverError")
          const status = faults.serverErrorStatus(operationId)
          entry.status = status
          return status === 500
            ? errorBody(500, messages.internalError)
            : HttpServerResponse.text(`<html><body><h1>${status} Server Error</h1></body></html>`, {
              status,
              contentType: "text/html"
            })
        }

        // Handling (credential check included) runs to its end once started, so that the
        // counters say exactly what happened even if the client goes away.
        const response = yield* Effect.uninterruptible(Effect.gen(function*() {
          const now = yield* core.clock.currentTimeMillis
          const response = yield* handle(request, url, route, now).pipe(
            Effect.catchAllCause((cause) => Effect.map(HttpServerError.causeResponse(cause), ([response]) => response))
          )
          recorder.handled(operationId, response.status)
          entry.status = response.status
          return response
        }))

        if (faults.roll(operationId, "dropAfter")) {
          injected("dropAfter")
          entry.status = undefined
          return yield* drop(request)
        }
        if (faults.roll(operationId, "malformedJson")) {
          injected("malformedJson")
          entry.status = 200
          return HttpServerResponse.text(malformedBody, { status: 200, contentType: "application/json" })
        }
        return response
      })

    return Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://simulator.invalid")
      if (url.pathname === "/_simulator" || url.pathname.startsWith("/_simulator/")) {
        const host = header(request, "host")?.toLowerCase()
        if (host === undefined || !hosts.has(host)) {
          return errorBody(403, `the control routes answer only requests addressed to ${service.info.origin}`)
        }
        return yield* control.pipe(
          Effect.catchTag("RouteNotFound", () => Effect.succeed(errorBody(404, messages.notFound))),
          Effect.catchAllCause((cause) => Effect.map(HttpServerError.causeResponse(cause), ([response]) => response))
        )
      }
      return yield* serveApi(request, url)
    })
  })
