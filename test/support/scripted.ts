/**
 * A scripted HTTP server on loopback: each request is answered by a function of the test, and
 * recorded (method, URL, headers, body). For the client's edge cases that a faithful simulator
 * never produces: 404 bodies of every shape, undeclared statuses, broken JSON, dropped and
 * hanging connections.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Glowmarkt from "../../src/services/Glowmarkt.js"
import * as GlowmarktConfig from "../../src/services/GlowmarktConfig.js"
import * as Transport from "./transport.js"

export interface Recorded {
  readonly method: string
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

export type Answer =
  | {
    readonly status: number
    readonly body?: string
    readonly headers?: Record<string, string>
    /** Send the status line, the headers and `body`, then nothing more: the body never ends. */
    readonly stall?: boolean
  }
  | "drop"
  | "hang"

export interface Scripted {
  readonly origin: string
  readonly baseUrl: string
  readonly requests: Array<Recorded>
  /** One item per request received, to wait for "the server has seen request n". */
  readonly arrivals: Queue.Dequeue<Recorded>
  /** Connections open now: a request the client aborted has its connection closed. */
  readonly openConnections: () => number
  /** Waits until exactly `n` connections are open (woken by the sockets' own events, no polling). */
  readonly openConnectionsReach: (n: number) => Effect.Effect<void>
}

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { "content-type": "application/json", ...headers }
})

export const user = (userId = "u-1", status = "active") => ({
  userId,
  status,
  active: status === "active",
  applications: [],
  createdAt: "2026-01-01T00:00:00.000Z",
  updatedAt: "2026-01-01T00:00:00.000Z"
})

/** Starts a scripted server for the scope. */
export const scripted = (answer: (request: Recorded, index: number) => Answer): Effect.Effect<Scripted, never, Scope.Scope> =>
  Effect.gen(function*() {
    const arrivals = yield* Queue.unbounded<Recorded>()
    const requests: Array<Recorded> = []
    const sockets = new Set<import("node:net").Socket>()
    const watchers = new Set<() => void>()
    const changed = () => {
      for (const w of watchers) w()
    }
    const server = http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const recorded: Recorded = {
          method: req.method ?? "",
          url: req.url ?? "",
          headers: req.headers,
          body: Buffer.concat(chunks).toString("utf8")
        }
        const index = requests.length
        requests.push(recorded)
        Queue.unsafeOffer(arrivals, recorded)
        const a = answer(recorded, index)
        if (a === "drop") {
          req.socket.destroy()
          return
        }
        if (a === "hang") return
        // A fresh connection per request: with keep-alive, undici replays a GET itself when a
        // reused socket closes under it, and the test would count a request the client's
        // schedule never made.
        res.writeHead(a.status, { connection: "close", ...a.headers })
        if (a.stall === true) {
          // Chunked (no content-length): the client waits for the rest.
          res.write(a.body ?? "")
          return
        }
        res.end(a.body ?? "")
      })
    })
    server.on("connection", (s) => {
      sockets.add(s)
      changed()
      s.on("close", () => {
        sockets.delete(s)
        changed()
      })
    })
    yield* Effect.async<void>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.void))
    })
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        for (const s of sockets) s.destroy()
        server.close(() => resume(Effect.void))
      })
    )
    const { port } = server.address() as AddressInfo
    const origin = `http://127.0.0.1:${port}`
    const openConnectionsReach = (n: number) =>
      Effect.async<void>((resume) => {
        const check = () => {
          if (sockets.size !== n) return
          watchers.delete(check)
          resume(Effect.void)
        }
        watchers.add(check)
        check()
        return Effect.sync(() => watchers.delete(check))
      })
    return {
      origin,
      baseUrl: `${origin}/api/v0-1`,
      requests,
      arrivals,
      openConnections: () => sockets.size,
      openConnectionsReach
    }
  })

/** The client (Users + Auth) aimed at a base URL, with the given settings. */
export const clientLayer = (options: GlowmarktConfig.Options) =>
  Glowmarkt.layer.pipe(
    Layer.provideMerge(GlowmarktConfig.layer({
      applicationId: "app-1",
      directoryId: "dir-1",
      ...options
    })),
    Layer.provide(Transport.layer),
    Layer.orDie
  )
