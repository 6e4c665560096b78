/**
 * Diffs the HttpApi declaration (through `OpenApi.fromApi`) against the upstream swagger:
 * paths, methods, operationIds and statuses of `/register`, `/user*` and `/auth*`.
 *
 *   npm run contract:diff [-- path/to/user-system.swagger.yaml]
 *
 * The swagger stays outside the project (`../shared/glowmarkt/` by default); no test reads it.
 * Exits 1 when a declared operation or a spec status is missing; extras are listed.
 */
import * as OpenApi from "@effect/platform/OpenApi"
import { readFileSync } from "node:fs"
import { parse } from "yaml"
import { basePath, GlowmarktApi } from "../src/schema/GlowmarktApi.js"

const file = process.argv[2] ?? new URL("../../shared/glowmarkt/user-system.swagger.yaml", import.meta.url).pathname
const swagger = parse(readFileSync(file, "utf8")) as {
  paths: Record<string, Record<string, { operationId: string; responses: Record<string, unknown> }>>
}
// The simulator answers these too, so they are declared on purpose (see the README).
const allowedExtra: Record<string, ReadonlyArray<string>> = {
  tokencheck: ["401"],
  newToken: ["401"],
  getTokenOfUser: ["401"],
  deleteTokenById: ["401"]
}
// Out of scope for now: the token-listing endpoints and OAuth.
const outOfScope = new Set<string>([])
// The spec gives these no operationId: ours are named here, by method and path.
const unnamed: Record<string, string> = {
  "post /account/{accountId}/mobileapptoken": "addMobileAppToken",
  "put /account/{accountId}/mobileapptoken": "removeMobileAppToken"
}

const ours = new Map<string, { method: string; path: string; statuses: Set<string> }>()
const spec = OpenApi.fromApi(GlowmarktApi)
for (const [path, item] of Object.entries(spec.paths)) {
  for (const [method, op] of Object.entries(item as Record<string, any>)) {
    if (typeof op !== "object" || op === null || !("operationId" in op)) continue
    const id = String(op.operationId).split(".").pop()!
    ours.set(id, {
      method,
      path: path.slice(basePath.length).replace(/\{(\w+)\}/g, "{$1}"),
      // 400 is added to every endpoint by HttpApi for request decoding: not part of the contract.
      statuses: new Set(Object.keys(op.responses))
    })
  }
}

let problems = 0
const report = (line: string) => console.log(line)
for (const [path, item] of Object.entries(swagger.paths)) {
  for (const [method, found] of Object.entries(item)) {
    const op = found.operationId === undefined ? { ...found, operationId: unnamed[`${method} ${path}`] ?? `(${method} ${path})` } : found
    if (outOfScope.has(op.operationId)) {
      report(`skip  ${method.toUpperCase()} ${path} (${op.operationId}): out of scope`)
      continue
    }
    const mine = ours.get(op.operationId)
    if (mine === undefined) {
      problems++
      report(`MISSING  ${method.toUpperCase()} ${path} (${op.operationId})`)
      continue
    }
    ours.delete(op.operationId)
    if (mine.method !== method || mine.path !== path) {
      problems++
      report(`MISMATCH ${op.operationId}: spec ${method.toUpperCase()} ${path}, ours ${mine.method.toUpperCase()} ${mine.path}`)
    }
    const theirs = new Set(Object.keys(op.responses))
    const missing = [...theirs].filter((s) => !mine.statuses.has(s))
    const extra = [...mine.statuses].filter((s) => !theirs.has(s) && s !== "400" && !(allowedExtra[op.operationId] ?? []).includes(s))
    if (missing.length > 0 || extra.length > 0) problems++
    report(
      `${missing.length === 0 && extra.length === 0 ? "ok   " : "DIFF "} ${method.toUpperCase().padEnd(6)} ${path.padEnd(26)} ${op.operationId.padEnd(32)} ` +
        `${[...theirs].sort().join(",")}${missing.length ? `  missing: ${missing}` : ""}${extra.length ? `  extra: ${extra}` : ""}`
    )
  }
}
for (const [id, mine] of ours) {
  problems++
  report(`EXTRA    ${mine.method.toUpperCase()} ${mine.path} (${id}): not in the spec`)
}
console.log(problems === 0 ? "\ncontract: the declaration matches the spec" : `\ncontract: ${problems} difference(s)`)
process.exit(problems === 0 ? 0 : 1)
