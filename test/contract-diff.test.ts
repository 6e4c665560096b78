/**
 * `npm run contract:diff`, run on small made-up swaggers (never the upstream spec, which stays
 * outside the project): it lists each kind of difference and fails on them, and says plainly
 * when the spec is missing.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "..")
const tsx = path.join(root, "node_modules/.bin/tsx")
const dir = mkdtempSync(path.join(tmpdir(), "contract-diff-"))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const diff = (specPath: string): Promise<{ readonly code: number; readonly stdout: string; readonly stderr: string }> =>
  new Promise((resolve) => {
    execFile(tsx, ["scripts/contract-diff.ts", specPath], { cwd: root }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : 1, stdout, stderr })
    })
  })

/** A swagger with one operation that differs from our addUser in each way the diff compares. */
const madeUp = `
swagger: "2.0"
basePath: /api/v0-1/
securityDefinitions:
  appKeys: { type: basic }
definitions:
  AddUserReq:
    type: object
    properties:
      username: { type: string }
      nickname: { type: string }
    required: [username, nickname]
    additionalProperties: false
paths:
  /register:
    post:
      operationId: addUser
      consumes: [application/x-www-form-urlencoded]
      produces: [application/json]
      security: [{ appKeys: [] }]
      parameters:
        - { in: header, name: X-Trace, required: true, type: string }
        - { in: body, name: body, required: true, schema: { $ref: "#/definitions/AddUserReq" } }
      responses:
        "200": { description: ok, schema: { type: object, properties: { valid: { type: boolean } } } }
        "418": { description: teapot }
  /nowhere:
    get:
      operationId: notDeclaredAnywhere
      responses:
        "200": { description: ok }
`

describe("npm run contract:diff", () => {
  it("lists every kind of difference and fails", async () => {
    const file = path.join(dir, "made-up.yaml")
    writeFileSync(file, madeUp)
    const run = await diff(file)
    expect(run.code).toBe(1)
    for (
      const line of [
        "DIFF     POST /register (addUser)",
        "security: alternatives only in the spec: appKeys",
        "parameter header x-trace: only in the spec",
        "body: required in the spec, optional in ours",
        "body: content type application/x-www-form-urlencoded in the spec, application/json in ours",
        "body: required in the spec only: nickname",
        "body: properties only in the spec: nickname",
        "body: closed in the spec, open in ours",
        "response 418 only in the spec",
        "response 400 only in ours",
        "MISSING  GET /nowhere (notDeclaredAnywhere)",
        "EXTRA    GET /user/{userId} (getUserbyId)"
      ]
    ) expect(run.stdout).toContain(line)
    expect(run.stdout).toMatch(/contract: the declaration differs from the spec/)
  }, 60_000) // a tsx start: seconds of CPU, more on a loaded machine

  it("says plainly when the spec is missing, without a stack trace", async () => {
    const run = await diff(path.join(dir, "absent.yaml"))
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^contract:diff: the spec is not at .*absent\.yaml/)
    expect(run.stderr).toContain("npm run contract:diff -- path/to/user-system.swagger.yaml")
    expect(run.stderr).not.toMatch(/\n\s+at /)
  }, 60_000)
})
