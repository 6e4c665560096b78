/**
 * `CodeSource.layerTerminal` on node, as a child process: the end of standard input cancels the
 * wait at once (it used to wait for the whole code timeout); a typed code is read.
 */
import { spawn } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "..")
const tsx = path.join(root, "node_modules/.bin/tsx")
const script = path.join(root, "test/support/terminal-eof.ts")

const run = (input: string | undefined): Promise<{ readonly result: unknown; readonly stdout: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(tsx, [script], { cwd: root, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d))
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d))
    child.on("error", reject)
    child.on("close", () => {
      const last = stdout.trim().split("\n").at(-1) ?? ""
      try {
        resolve({ result: JSON.parse(last), stdout })
      } catch {
        reject(new Error(`no result line\nstdout: ${stdout}\nstderr: ${stderr}`))
      }
    })
    if (input === undefined) child.stdin.end()
    else child.stdin.write(input, () => child.stdin.end())
  })

describe("CodeSource.layerTerminal", () => {
  it("the end of standard input cancels the wait at once", async () => {
    const { result, stdout } = await run(undefined)
    expect(stdout).toContain("Enter the 4-digit verification code emailed to eof@example.com")
    expect(result).toEqual({ failed: "CodeNotReceivedError", reason: "cancelled" })
  })

  it("reads a typed code", async () => {
    const { result } = await run("1234\n")
    expect(result).toEqual({ code: "1234" })
  })
})
