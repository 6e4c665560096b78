/**
 * The minimal server of the per-call overhead benchmark: plain `node:http`, answering every
 * request from a precomputed body, so that what is measured is the client and not the server.
 *
 * - `GET /api/v0-1/user/{id}`: 200, an `AddUserRes` (what the simulator answers for a look-up).
 * - `POST /api/v0-1/register`: reads the body, 200, an `AddUserRes` (status `unverified`).
 * - `POST /api/v0-1/user` (admin create, for the bulk import): reads the body, 200, a user.
 * - anything else: 404.
 *
 * Prints `{"port": N}` on its first stdout line, then serves until killed.
 */
import { createServer } from "node:http"
import { userJson } from "../lib/common.js"

const active = Buffer.from(userJson("active"))
const unverified = Buffer.from(userJson("unverified"))
const notFound = Buffer.from(JSON.stringify({ error: "Not found" }))
const json = { "content-type": "application/json" }

const server = createServer((req, res) => {
  const url = req.url ?? ""
  if (req.method === "GET" && url.startsWith("/api/v0-1/user/")) {
    res.writeHead(200, { ...json, "content-length": active.length })
    res.end(active)
    return
  }
  // An admin create answers an active user, a registration an unverified one.
  const created = req.method !== "POST" ? undefined : url === "/api/v0-1/user" ? active : url === "/api/v0-1/register" ? unverified : undefined
  if (created !== undefined) {
    // Drain the body, as a real server would, before answering.
    req.on("data", () => {})
    req.on("end", () => {
      res.writeHead(200, { ...json, "content-length": created.length })
      res.end(created)
    })
    return
  }
  res.writeHead(404, { ...json, "content-length": notFound.length })
  res.end(notFound)
})
server.keepAliveTimeout = 60_000
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  // The same shape as the simulator's banner, so the bulk import can be pointed at either.
  process.stdout.write(`${JSON.stringify({
    port,
    baseUrl: `http://127.0.0.1:${port}/api/v0-1`,
    applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
    directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b",
    appKeys: { keyId: "bench-key", secret: "bench-secret" }
  })}\n`)
})
process.on("SIGTERM", () => process.exit(0))
