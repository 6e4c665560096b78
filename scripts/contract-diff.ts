/**
 * Diffs the HttpApi declaration (through `OpenApi.fromApi`) against the upstream swagger, operation
 * by operation: method and path, security alternatives (and the schemes they name), parameters
 * (where, required, type), the request body (present, required, content type, required fields,
 * properties, open or closed), and every response (status, content type, required fields,
 * properties).
 *
 *   npm run contract:diff [-- path/to/user-system.swagger.yaml]
 *
 * The swagger stays outside the project (`../shared/glowmarkt/` beside the checkout by default);
 * no test reads it. Every difference is listed. A difference is accepted only when the table
 * tables below name it (`accepted`, `acceptedKinds`: meant, with the reason; `knownGaps`: real,
 * not fixed yet, printed on every run); any other fails the run (exit 1). Operations not
 * declared yet are listed in `outOfScope` and skipped; a spec operation that is neither declared
 * nor out of scope fails the run. Exit 2 when the spec cannot be read.
 */
import * as OpenApi from "@effect/platform/OpenApi"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { parse } from "yaml"
import { basePath, GlowmarktApi } from "../src/schema/GlowmarktApi.js"

type Json = Record<string, any>

/** The spec gives these no operationId: ours are named here, by method and path. */
const unnamed: Record<string, string> = {
  "POST /account/{accountId}/mobileapptoken": "addMobileAppToken",
  "PUT /account/{accountId}/mobileapptoken": "removeMobileAppToken"
}

// -------------------------------------------------------------------------------------------------
// what is skipped and what is accepted, and why

/** Spec operations not declared yet (another issue adds all 43): skipped, and listed as skipped. */
const outOfScope: ReadonlySet<string> = new Set<string>([])

/**
 * Differences we mean, each with its reason. Keyed by `operationId: what` exactly as the
 * difference is printed.
 */
const accepted: Record<string, string> = {
  "getTokenOfUser: response 401 only in ours": "a bad token must be refused somehow; the server answers 401 {\"error\":\"Access denied\"}",
  "deleteTokenById: response 401 only in ours": "a bad token must be refused somehow; the server answers 401 {\"error\":\"Access denied\"}",
  "deleteTokenById: response 200: type array in the spec, array|object in ours":
    "the spec's array is read, and so is the {\"valid\": true} the other deletes answer",
  "userChangePassWord: body: required in ours only: newPassword, oldPassword": "a password change without both passwords cannot succeed: refused before sending",
  "updateAccount: body: required in ours only: name": "the only field the update sends: an update without it changes nothing",
  "renewMeterPointConsentBulk: body: required in ours only: meterPoints": "a bulk renewal of no meter point is refused before sending",
  "renewMeterPointConsentRevokeBulk: body: required in ours only: meterPoints": "a bulk revocation of no meter point is refused before sending",
  "exchangeAuthorizationCodeWithAccess: body: required in ours only: client_id, grant_type": "OAuth 2.0 (RFC 6749 4.1.3, 6) requires both in a token request",
  "exchangeAuthorizationCodeWithAccess: body: properties only in ours: refresh_token": "the refresh grant (RFC 6749 6), which the spec's form does not list",
  "exchangeAuthorizationCodeWithAccess: body: property client_id is boolean in the spec, string in ours": "a client id is a string (RFC 6749 2.2); the spec's boolean cannot identify a client",
  "exchangeAuthorizationCodeWithAccess: response 200: properties only in ours: refresh_token": "the refresh token that the refresh grant needs (RFC 6749 5.1)",
  "getAccountStatusbyUserToken: response 200: properties only in the spec: createdAt, directory, directoryId, status, updatedAt":
    "the declaration reads the status fields the answer needs; the others are accepted when present (open object)",
  "getAccountStatusbyId: response 200: properties only in the spec: createdAt, directory, directoryId, status, updatedAt":
    "the declaration reads the status fields the answer needs; the others are accepted when present (open object)",
  "getAccountSession: response 200: properties only in ours: sessionvalue1, sessionvalue2": "the session values the update writes, read back",
  "updateAccountSession: response 200: properties only in ours: sessionvalue1, sessionvalue2": "the session values the update writes, read back",
  "validateOAuthAccessToken: response 200: properties only in ours: userId, active, createdAt, updatedAt": "who the access token acts for: what a resource server validating it needs",
  "renewMeterPointConsent: response 200: properties only in the spec: active, applications, createdAt, status, updatedAt, userId":
    "the spec's 200 here is the user model (copied from another operation); the answer is the consent record",
  "renewMeterPointConsent: response 200: properties only in ours: valid, mpxn, isVerified, isValidUntil": "the consent record (see above)",
  "revokeMeterPointConsent: response 200: properties only in the spec: active, applications, createdAt, status, updatedAt, userId":
    "the spec's 200 here is the user model (copied from another operation); the answer is the consent record",
  "revokeMeterPointConsent: response 200: properties only in ours: valid, mpxn, isVerified, isValidUntil": "the consent record (see above)",
  "tokencheck: response 401 only in ours": "a bad token must be refused somehow; the server answers 401 {\"error\":\"Access denied\"}",
  "newToken: response 401 only in ours": "a bad token must be refused somehow; the server answers 401 {\"error\":\"Access denied\"}",
  "deleteToken: response 400: properties only in ours: error":
    "the spec's {\"valid\": false} is read, and so is the {\"error\": ...} every other 400 of the service carries"
}

/** Differences of one kind, accepted wherever they occur, each with its reason. */
const acceptedKinds: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /^response 2\d\d: required in ours only: /,
    "the client needs these fields to return its result: a 2xx without them is an UnexpectedResponseError, not a guess; the simulator always sends them"
  ],
  [
    /^response (400|500): required in ours only: error$/,
    "the spec's error bodies are {\"error\": \"...\"}; the declaration decodes that shape"
  ],
  [/^response 401: properties only in ours: valid$/, "a failed login answers 401 {\"valid\":false} (seen on the real service)"]
]

/**
 * Real differences not fixed yet, listed on every run (they do not fail it) until they are.
 * Keyed like {@link accepted}.
 */
const knownGaps: Record<string, string> = {}

const reasonFor = (id: string, difference: string): { readonly kind: "accepted" | "known gap"; readonly reason: string } | undefined => {
  const key = `${id}: ${difference}`
  if (accepted[key] !== undefined) return { kind: "accepted", reason: accepted[key] }
  if (knownGaps[key] !== undefined) return { kind: "known gap", reason: knownGaps[key] }
  const rule = acceptedKinds.find(([pattern]) => pattern.test(difference))
  return rule === undefined ? undefined : { kind: "accepted", reason: rule[1] }
}

// -------------------------------------------------------------------------------------------------
// reading both documents

const here = path.dirname(fileURLToPath(import.meta.url))
const defaultSpec = path.resolve(here, "../../shared/glowmarkt/user-system.swagger.yaml")
const file = process.argv[2] ?? defaultSpec

const fail = (message: string): never => {
  console.error(`contract:diff: ${message}`)
  process.exit(2)
}

if (!existsSync(file)) {
  fail(
    `the spec is not at ${file}.\n` +
      "It stays outside the project: put the shared folder beside the checkout (../shared/glowmarkt/user-system.swagger.yaml),\n" +
      "or pass its path: npm run contract:diff -- path/to/user-system.swagger.yaml"
  )
}
let swagger: Json = {}
try {
  swagger = parse(readFileSync(file, "utf8")) as Json
} catch (e) {
  fail(`cannot read the spec at ${file}: ${e instanceof Error ? e.message : String(e)}`)
}
if (typeof swagger !== "object" || swagger === null || typeof swagger.paths !== "object") {
  fail(`${file} is not a swagger document (no paths)`)
}

const ours = OpenApi.fromApi(GlowmarktApi) as unknown as Json

const resolver = (root: Json) => (schema: Json | undefined): Json | undefined => {
  let s = schema
  for (let i = 0; i < 20 && s !== undefined && typeof s.$ref === "string"; i++) {
    s = s.$ref.replace(/^#\//, "").split("/").reduce((o: Json | undefined, k: string) => o?.[k], root)
  }
  return s
}
const theirsRef = resolver(swagger)
const oursRef = resolver(ours)

// -------------------------------------------------------------------------------------------------
// a common shape for one operation

interface Schema {
  readonly type: string | undefined
  readonly required: ReadonlyArray<string>
  readonly properties: Readonly<Record<string, string | undefined>>
  readonly open: boolean
}

interface Operation {
  readonly method: string
  readonly path: string
  readonly security: ReadonlyArray<string>
  readonly schemes: Readonly<Record<string, string>>
  readonly parameters: Readonly<Record<string, { readonly required: boolean; readonly type: string | undefined }>>
  readonly body: { readonly required: boolean; readonly contentTypes: ReadonlyArray<string>; readonly schema: Schema | undefined } | undefined
  readonly responses: Readonly<Record<string, { readonly contentTypes: ReadonlyArray<string>; readonly schema: Schema | undefined }>>
}

const typeOf = (resolve: (s: Json | undefined) => Json | undefined, schema: Json | undefined): string | undefined => {
  const s = resolve(schema)
  if (s === undefined) return undefined
  if (typeof s.type === "string") return s.type === "integer" ? "number" : s.type
  const alternatives: Array<Json> | undefined = s.anyOf ?? s.oneOf ?? s.allOf
  if (alternatives !== undefined) {
    const types = [...new Set(alternatives.map((a) => typeOf(resolve, a)).filter((t) => t !== undefined && t !== "null"))]
    return types.length === 1 ? types[0] : types.sort().join("|") || undefined
  }
  return undefined
}

const schemaOf = (resolve: (s: Json | undefined) => Json | undefined, schema: Json | undefined): Schema | undefined => {
  const s = resolve(schema)
  if (s === undefined) return undefined
  const properties: Record<string, string | undefined> = {}
  for (const [name, p] of Object.entries((s.properties ?? {}) as Json)) properties[name] = typeOf(resolve, p)
  return {
    type: typeOf(resolve, s),
    required: [...((s.required ?? []) as Array<string>)].sort(),
    properties,
    open: s.additionalProperties !== false
  }
}

/** Security alternatives as `a+b` strings; the schemes they name, described alike on both sides. */
const describeScheme = (s: Json | undefined): string => {
  if (s === undefined) return "undefined"
  if (s.type === "basic" || (s.type === "http" && String(s.scheme).toLowerCase() === "basic")) return "http basic"
  if (s.type === "apiKey") return `apiKey in ${s.in} ${s.in === "header" ? String(s.name).toLowerCase() : s.name}`
  return JSON.stringify(s)
}

const alternatives = (security: ReadonlyArray<Json> | undefined) =>
  (security ?? []).map((alt) => Object.keys(alt).sort().join("+")).sort()

const paramKey = (p: Json) => `${p.in} ${p.in === "header" ? String(p.name).toLowerCase() : p.name}`

const fromSwagger = (method: string, p: string, op: Json): Operation => {
  const security = alternatives(op.security ?? swagger.security)
  const schemes: Record<string, string> = {}
  for (const name of security.flatMap((a) => a.split("+"))) schemes[name] = describeScheme(swagger.securityDefinitions?.[name])
  const parameters: Record<string, { required: boolean; type: string | undefined }> = {}
  let body: Operation["body"]
  const consumes: Array<string> = op.consumes ?? swagger.consumes ?? ["application/json"]
  const produces: Array<string> = op.produces ?? swagger.produces ?? ["application/json"]
  for (const param of (op.parameters ?? []) as Array<Json>) {
    if (param.in === "body") {
      body = { required: param.required === true, contentTypes: [...consumes].sort(), schema: schemaOf(theirsRef, param.schema) }
    } else {
      parameters[paramKey(param)] = { required: param.required === true, type: param.type === "integer" ? "number" : param.type }
    }
  }
  const responses: Record<string, { contentTypes: ReadonlyArray<string>; schema: Schema | undefined }> = {}
  for (const [status, r] of Object.entries((op.responses ?? {}) as Json)) {
    const schema = (r as Json).schema
    responses[status] = { contentTypes: schema === undefined ? [] : [...produces].sort(), schema: schemaOf(theirsRef, schema) }
  }
  return { method, path: p, security, schemes, parameters, body, responses }
}

const fromOurs = (method: string, p: string, op: Json): Operation => {
  const security = alternatives(op.security ?? ours.security)
  const schemes: Record<string, string> = {}
  for (const name of security.flatMap((a) => a.split("+"))) schemes[name] = describeScheme(ours.components?.securitySchemes?.[name])
  const parameters: Record<string, { required: boolean; type: string | undefined }> = {}
  for (const param of (op.parameters ?? []) as Array<Json>) {
    parameters[paramKey(param)] = { required: param.required === true, type: typeOf(oursRef, param.schema) }
  }
  const content = (op.requestBody?.content ?? {}) as Json
  const body: Operation["body"] = op.requestBody === undefined ? undefined : {
    required: op.requestBody.required === true,
    contentTypes: Object.keys(content).sort(),
    schema: schemaOf(oursRef, Object.values(content)[0]?.schema)
  }
  const responses: Record<string, { contentTypes: ReadonlyArray<string>; schema: Schema | undefined }> = {}
  for (const [status, r] of Object.entries((op.responses ?? {}) as Json)) {
    const c = ((r as Json).content ?? {}) as Json
    responses[status] = { contentTypes: Object.keys(c).sort(), schema: schemaOf(oursRef, Object.values(c)[0]?.schema) }
  }
  return { method, path: p.slice(basePath.length), security, schemes, parameters, body, responses }
}

// -------------------------------------------------------------------------------------------------
// comparing

const list = (xs: ReadonlyArray<string>) => (xs.length === 0 ? "none" : xs.join(", "))
const minus = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.filter((x) => !b.includes(x))

const compareSchema = (where: string, theirs: Schema | undefined, mine: Schema | undefined, out: Array<string>) => {
  if (theirs === undefined && mine === undefined) return
  if (theirs === undefined || mine === undefined) {
    out.push(`${where}: schema ${theirs === undefined ? "only in ours" : "only in the spec"}`)
    return
  }
  if (theirs.type !== undefined && mine.type !== undefined && theirs.type !== mine.type) {
    out.push(`${where}: type ${theirs.type} in the spec, ${mine.type} in ours`)
  }
  const onlyTheirs = minus(theirs.required, mine.required)
  const onlyMine = minus(mine.required, theirs.required)
  if (onlyTheirs.length > 0) out.push(`${where}: required in the spec only: ${list(onlyTheirs)}`)
  if (onlyMine.length > 0) out.push(`${where}: required in ours only: ${list(onlyMine)}`)
  const tp = Object.keys(theirs.properties)
  const mp = Object.keys(mine.properties)
  if (minus(tp, mp).length > 0) out.push(`${where}: properties only in the spec: ${list(minus(tp, mp))}`)
  if (minus(mp, tp).length > 0) out.push(`${where}: properties only in ours: ${list(minus(mp, tp))}`)
  for (const name of tp.filter((n) => mp.includes(n))) {
    const t = theirs.properties[name]
    const m = mine.properties[name]
    if (t !== undefined && m !== undefined && t !== m) out.push(`${where}: property ${name} is ${t} in the spec, ${m} in ours`)
  }
  if (theirs.open !== mine.open) out.push(`${where}: ${theirs.open ? "open in the spec, closed in ours" : "closed in the spec, open in ours"}`)
}

const compare = (theirs: Operation, mine: Operation): Array<string> => {
  const out: Array<string> = []
  if (theirs.method !== mine.method || theirs.path !== mine.path) {
    out.push(`route: ${theirs.method.toUpperCase()} ${theirs.path} in the spec, ${mine.method.toUpperCase()} ${mine.path} in ours`)
  }
  // security
  const secTheirs = minus(theirs.security, mine.security)
  const secMine = minus(mine.security, theirs.security)
  if (secTheirs.length > 0) out.push(`security: alternatives only in the spec: ${list(secTheirs)}`)
  if (secMine.length > 0) out.push(`security: alternatives only in ours: ${list(secMine)}`)
  for (const [name, described] of Object.entries(theirs.schemes)) {
    const m = mine.schemes[name]
    if (m !== undefined && m !== described) out.push(`security scheme ${name}: ${described} in the spec, ${m} in ours`)
  }
  // parameters
  for (const [key, t] of Object.entries(theirs.parameters)) {
    const m = mine.parameters[key]
    if (m === undefined) out.push(`parameter ${key}: only in the spec`)
    else {
      if (t.required !== m.required) out.push(`parameter ${key}: ${t.required ? "required" : "optional"} in the spec, ${m.required ? "required" : "optional"} in ours`)
      if (t.type !== undefined && m.type !== undefined && t.type !== m.type) out.push(`parameter ${key}: ${t.type} in the spec, ${m.type} in ours`)
    }
  }
  for (const key of minus(Object.keys(mine.parameters), Object.keys(theirs.parameters))) out.push(`parameter ${key}: only in ours`)
  // body
  if (theirs.body === undefined && mine.body !== undefined) out.push("body: only in ours")
  else if (theirs.body !== undefined && mine.body === undefined) out.push("body: only in the spec")
  else if (theirs.body !== undefined && mine.body !== undefined) {
    if (theirs.body.required !== mine.body.required) {
      out.push(`body: ${theirs.body.required ? "required" : "optional"} in the spec, ${mine.body.required ? "required" : "optional"} in ours`)
    }
    if (list(theirs.body.contentTypes) !== list(mine.body.contentTypes)) {
      out.push(`body: content type ${list(theirs.body.contentTypes)} in the spec, ${list(mine.body.contentTypes)} in ours`)
    }
    compareSchema("body", theirs.body.schema, mine.body.schema, out)
  }
  // responses
  for (const status of minus(Object.keys(theirs.responses), Object.keys(mine.responses))) out.push(`response ${status} only in the spec`)
  for (const status of minus(Object.keys(mine.responses), Object.keys(theirs.responses))) out.push(`response ${status} only in ours`)
  for (const status of Object.keys(theirs.responses).filter((s) => s in mine.responses)) {
    const t = theirs.responses[status]!
    const m = mine.responses[status]!
    if (list(t.contentTypes) !== list(m.contentTypes)) {
      out.push(`response ${status}: content type ${list(t.contentTypes)} in the spec, ${list(m.contentTypes)} in ours`)
    }
    compareSchema(`response ${status}`, t.schema, m.schema, out)
  }
  return out
}

// -------------------------------------------------------------------------------------------------
// the run

const declared = new Map<string, Operation>()
for (const [p, item] of Object.entries(ours.paths as Json)) {
  for (const [method, op] of Object.entries(item as Json)) {
    if (typeof op !== "object" || op === null || !("operationId" in op)) continue
    declared.set(String(op.operationId).split(".").pop()!, fromOurs(method, p, op))
  }
}

let failures = 0
let acceptedCount = 0
let gaps = 0
let skipped = 0
let matching = 0
const methods = new Set(["get", "put", "post", "delete", "options", "head", "patch"])
for (const [p, item] of Object.entries(swagger.paths as Json)) {
  for (const [method, op] of Object.entries(item as Json)) {
    if (!methods.has(method)) continue
    const route = `${method.toUpperCase()} ${p}`
    const id: string = (op as Json).operationId ?? unnamed[route] ?? route
    if (outOfScope.has(id)) {
      skipped++
      console.log(`skip     ${route} (${id}): not declared yet`)
      continue
    }
    const mine = declared.get(id)
    if (mine === undefined) {
      failures++
      console.log(`MISSING  ${route} (${id}): in the spec, not declared, not listed as out of scope`)
      continue
    }
    declared.delete(id)
    const differences = compare(fromSwagger(method, p, op as Json), mine)
    if (differences.length === 0) {
      matching++
      console.log(`ok       ${route} (${id})`)
      continue
    }
    const open = differences.filter((d) => reasonFor(id, d) === undefined)
    console.log(`${open.length === 0 ? "ok*     " : "DIFF    "} ${route} (${id})`)
    for (const d of differences) {
      const reason = reasonFor(id, d)
      if (reason === undefined) {
        failures++
        console.log(`           ${d}`)
      } else {
        if (reason.kind === "accepted") acceptedCount++
        else gaps++
        console.log(`           ${reason.kind}: ${d} (${reason.reason})`)
      }
    }
  }
}
for (const [id, mine] of declared) {
  failures++
  console.log(`EXTRA    ${mine.method.toUpperCase()} ${mine.path} (${id}): declared, not in the spec`)
}

console.log(
  `\ncontract: ${matching} operation(s) match exactly, ${acceptedCount} accepted difference(s), ${gaps} known gap(s), ` +
    `${skipped} operation(s) skipped (not declared yet), ${failures} difference(s) to fix`
)
if (failures > 0) {
  console.log("contract: the declaration differs from the spec (each line above under DIFF/MISSING/EXTRA)")
  process.exit(1)
}
