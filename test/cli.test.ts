/**
 * The built `glowmarkt` CLI, run as a real process against `glowmarkt simulator --port 0`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  build,
  expectNoSecrets,
  latestCode,
  type Run,
  runCli,
  type RunningSimulator,
  startSimulator
} from "./support/cli.js"

const password = "cli-Test-Password-77"
const newPassword = "cli-Test-NewPassword-88"
// The demo's fixed passwords (src/cli/demo.ts): never printed either.
const demoSecrets = ["demo-Password-1843", "demo-NewPassword-1852"]

let sim: RunningSimulator
let tmp: string
let secrets: ReadonlyArray<string>
let env: Record<string, string>
let admin: Record<string, string>

beforeAll(async () => {
  await build()
  sim = await startSimulator()
  tmp = mkdtempSync(path.join(tmpdir(), "glowmarkt-cli-"))
  const b = sim.banner
  secrets = [password, newPassword, ...demoSecrets, b.appKeys.secret, b.organisationKeys.secret, b.developerToken]
  env = { GLOWMARKT_BASE_URL: b.baseUrl, GLOWMARKT_APPLICATION_ID: b.applicationId, GLOWMARKT_DIRECTORY_ID: b.directoryId }
  admin = { GLOWMARKT_APP_KEY_ID: b.appKeys.keyId, GLOWMARKT_APP_KEY_SECRET: b.appKeys.secret }
}, 180_000)

afterAll(async () => {
  await sim?.stop()
  if (tmp !== undefined) rmSync(tmp, { recursive: true, force: true })
})

const glowmarkt = async (args: ReadonlyArray<string>, extra: Record<string, string> = {}, timeoutMs?: number) => {
  const run = await runCli(args, { env: { ...env, ...extra }, ...(timeoutMs === undefined ? {} : { timeoutMs }) })
  expectNoSecrets(run, secrets)
  return run
}

const json = (run: Run): Record<string, unknown> => {
  expect(run.stdout.trim().split("\n")).toHaveLength(1)
  return JSON.parse(run.stdout) as Record<string, unknown>
}

/** An expected failure: one `error:` line, no stack trace. */
const expectOneErrorLine = (run: Run) => {
  const lines = run.stderr.trim().split("\n")
  expect(lines[0]).toMatch(/^error: /)
  expect(run.stderr).not.toMatch(/\n\s+at /)
}

describe.concurrent("glowmarkt CLI (the built bin, as a process)", { timeout: 180_000 }, () => {
  // glowmarkt simulator
  it("prints one JSON line with the base URL and the seeded credentials", () => {
    expect(sim.banner.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v0-1$/)
    expect(sim.banner.appKeys.keyId).not.toBe("")
  })

  // glowmarkt demo
  it("walks through every step on the embedded simulator, exits 0, prints no secret", async () => {
    const run = await glowmarkt(["demo", "--users", "200"], {}, 170_000)
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    for (
      const step of [
        "register → verify",
        "read from the simulator inbox",
        "log in",
        "change username",
        "request reset → reset → log in with the new password",
        "admin look-ups by id and by username",
        "delete",
        "household onboarding: register → verify → log in → consent for its meter points",
        "meter point 1234567: consent renewed",
        "run again: alreadyVerified, 1234567 alreadyConsented, 1300023300001 alreadyConsented",
        "offboarding for an erasure request",
        "meter point 1300023300001: consent revoked",
        "bulk import of 200 generated users",
        "demo finished: every step passed"
      ]
    ) expect(run.stdout).toContain(step)
    // The summary table, and plain progress lines (stdout is not a terminal here).
    expect(run.stdout).toMatch(/│ created\s+│\s+\d+ │/)
    expect(run.stdout).toMatch(/│ failed\s+│\s+3 │/)
    expect(run.stdout).toMatch(/│ retries\s+│\s+\d+ │/)
    expect(run.stdout).toMatch(/importing +\d+\/200/)
    expect(run.stdout).not.toContain("\r")
  }, 180_000)

  // glowmarkt users
  const email = "grace@example.com"
  const renamed = "grace.hopper@example.com"

  it("register, verify, get, rename, request-reset, reset, delete", async () => {
    const registered = await glowmarkt(
      ["users", "register", "--name", "Grace Hopper", "--email", email, "--json"],
      { GLOWMARKT_PASSWORD: password }
    )
    expect(registered.code).toBe(0)
    const user = json(registered)
    expect(user).toMatchObject({ registered: true, status: "unverified" })
    const userId = user.userId as string

    const code = await latestCode(sim.banner.origin, email, "verification")
    const verified = await glowmarkt(["users", "verify", "--username", email, "--code", code], { GLOWMARKT_PASSWORD: password })
    expect(verified.code).toBe(0)
    expect(verified.stdout).toContain(`verified ${email}`)

    const got = await glowmarkt(["users", "get", "--username", email, "--json"], admin)
    expect(got.code).toBe(0)
    expect(json(got)).toMatchObject({ userId, status: "active" })

    const rename = await glowmarkt(
      ["users", "rename", "--username", email, "--new-username", renamed, "--user-id", userId],
      { GLOWMARKT_PASSWORD: password }
    )
    expect(rename.code).toBe(0)

    const requested = await glowmarkt(["users", "request-reset", "--username", renamed])
    expect(requested.code).toBe(0)
    const resetCode = await latestCode(sim.banner.origin, email, "passwordReset")
    const reset = await glowmarkt(
      ["users", "reset", "--username", renamed, "--code", resetCode, "--json"],
      { GLOWMARKT_NEW_PASSWORD: newPassword }
    )
    expect(reset.code).toBe(0)
    expect(json(reset)).toMatchObject({ passwordReset: true })

    // Deleting without --yes and without a terminal: refused, nothing deleted.
    const unconfirmed = await glowmarkt(["users", "delete", "--id", userId], admin)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain("--yes")

    const deleted = await glowmarkt(["users", "delete", "--username", renamed, "--yes", "--json"], admin)
    expect(deleted.code).toBe(0)
    expect(json(deleted)).toEqual({ userId, deleted: true })

    const gone = await glowmarkt(["users", "get", "--id", userId, "--verbose"], admin)
    expect(gone.code).toBe(1)
    expectOneErrorLine(gone)
    expect(gone.stderr).toContain("no such user")
    expect(gone.stderr).toContain("NotFoundError")
    expect(gone.stdout).toBe("")
  }, 180_000)

  it("accounts list|get, consent status|renew|revoke, offboard: as the admin view says", async () => {
    const e = "household.cli@example.com"
    const registered = await glowmarkt(["users", "register", "--name", "Household", "--email", e, "--json"], {
      GLOWMARKT_PASSWORD: password
    })
    expect(registered.code).toBe(0)
    const userId = json(registered).userId as string
    const adminView = async () => {
      const all = await (await fetch(`${sim.banner.origin}/_simulator/users`)).json() as Array<Record<string, any>>
      return all.find((u) => u.userId === userId)
    }

    const list = await glowmarkt(["accounts", "list", "--json"], admin)
    expect(list.code).toBe(0)
    const accounts = json(list).accounts as Array<Record<string, unknown>>
    const mine = accounts.find((a) => a.userId === userId)!
    expect(mine.accountId).toBe((await adminView())!.accounts[0].accountId)
    const one = await glowmarkt(["accounts", "get", "--account-id", mine.accountId as string, "--json"], admin)
    expect(one.code).toBe(0)
    expect(json(one)).toMatchObject({ accountId: mine.accountId, userId })

    const renewed = await glowmarkt(
      ["consent", "renew", "--user-id", userId, "--mpxn", "7654321", "--mpxn", "1700023300001", "--json"],
      admin
    )
    expect(renewed.code).toBe(0)
    expect((json(renewed).renewed as Array<{ mpxn: string }>).map((r) => r.mpxn)).toEqual(["7654321", "1700023300001"])
    const revoked = await glowmarkt(["consent", "revoke", "--user-id", userId, "--mpxn", "7654321"], admin)
    expect(revoked.code).toBe(0)
    const status = await glowmarkt(["consent", "status", "--user-id", userId, "--json"], admin)
    expect(status.code).toBe(0)
    const points = (json(status).meterPoints as Array<{ mpxn: string; consented: boolean }>).map((m) => [m.mpxn, m.consented])
    expect(points).toEqual([["7654321", false], ["1700023300001", true]])
    expect((await adminView())!.meterPoints.map((m: any) => [m.mpxn, m.consented])).toEqual(points)

    const noMpxn = await glowmarkt(["consent", "renew", "--user-id", userId], admin)
    expect(noMpxn.code).toBe(2)
    expect(noMpxn.stderr).toContain("--mpxn")
    const badMpxn = await glowmarkt(["consent", "renew", "--user-id", userId, "--mpxn", "12ab"], admin)
    expect(badMpxn.code).toBe(2)

    // Offboarding without --yes and without a terminal: refused, nothing done.
    const unconfirmed = await glowmarkt(["offboard", "--user-id", userId], admin)
    expect(unconfirmed.code).toBe(2)
    expect(unconfirmed.stderr).toContain("--yes")
    expect(await adminView()).toBeDefined()

    const offboarded = await glowmarkt(["offboard", "--user-id", userId, "--yes", "--json"], admin)
    expect(offboarded.code).toBe(0)
    expect(json(offboarded)).toEqual({
      userId,
      found: true,
      meterPoints: [{ mpxn: "7654321", outcome: "alreadyRevoked" }, { mpxn: "1700023300001", outcome: "revoked" }],
      tokens: "endedWithAccounts",
      tokensRevoked: [],
      accountsRemoved: [mine.accountId],
      userDeleted: true,
      revocationRequests: 1
    })
    expect(await adminView()).toBeUndefined()
    const again = await glowmarkt(["offboard", "--user-id", userId, "--yes"], admin)
    expect(again.code).toBe(0)
    expect(again.stdout).toContain("nothing to do")

    const missingAdmin = await glowmarkt(["accounts", "list"])
    expect(missingAdmin.code).toBe(2)
  }, 180_000)

  it("a wrong code fails with exit 1 and the API's message", async () => {
    const e = "wrong.code@example.com"
    const registered = await glowmarkt(["users", "register", "--name", "W", "--email", e], { GLOWMARKT_PASSWORD: password })
    expect(registered.code).toBe(0)
    const real = await latestCode(sim.banner.origin, e, "verification")
    const wrong = real === "0000" ? "1111" : "0000"
    const run = await glowmarkt(["users", "verify", "--username", e, "--code", wrong], { GLOWMARKT_PASSWORD: password })
    expect(run.code).toBe(1)
    expectOneErrorLine(run)
    expect(run.stderr).toContain("verifyUser")
    expect(run.stderr.trim().split("\n")).toHaveLength(1)
  })

  it("a network failure is one line, exit 1, no stack trace", async () => {
    const run = await glowmarkt(["users", "request-reset", "--username", "x@example.com"], {
      GLOWMARKT_BASE_URL: "http://127.0.0.1:9/api/v0-1",
      GLOWMARKT_RETRY_TIMES: "0"
    })
    expect(run.code).toBe(1)
    expectOneErrorLine(run)
    expect(run.stderr).toContain("could not connect")
  })

  // usage errors
  it("an unknown flag exits 2 with the command's help", async () => {
    const run = await glowmarkt(["users", "get", "--id", "x", "--bogus"], admin)
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--bogus")
    expect(run.stderr).toContain("$ glowmarkt users get")
    expect(run.stdout).toBe("")
  })

  it("a missing required flag exits 2 with the command's help", async () => {
    const run = await glowmarkt(["users", "register", "--email", "a@example.com"], { GLOWMARKT_PASSWORD: password })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--name")
    expect(run.stderr).toContain("$ glowmarkt users register")
  })

  it("no command exits 2 with the help", async () => {
    const run = await glowmarkt(["users"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("register")
  })

  it("--help off a terminal has no ANSI escapes, and a subcommand's help names its whole path", async () => {
    for (const args of [["--help"], ["users", "--help"], ["users", "get", "--help"], ["simulator", "-h"]]) {
      const run = await glowmarkt(args, { NO_COLOR: "" })
      expect(run.code, args.join(" ")).toBe(0)
      expect(run.stdout).not.toContain("\u001b")
      expect(run.stdout).toContain(`$ glowmarkt ${args.filter((a) => !a.startsWith("-")).join(" ")}`.trimEnd())
      expect(run.stdout).not.toMatch(/^\$ (users|get|simulator)\b/m)
    }
  })

  it("a bad input value (a non-email --email) exits 2 with the command's usage", async () => {
    const run = await glowmarkt(["users", "register", "--name", "N", "--email", "not-an-email"], { GLOWMARKT_PASSWORD: password })
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error: .*email/)
    expect(run.stderr).toContain("$ glowmarkt users register")
  })

  it("--json prints one JSON object on stdout when the command fails too", async () => {
    const network = await glowmarkt(["users", "request-reset", "--username", "x@example.com", "--json"], {
      GLOWMARKT_BASE_URL: "http://127.0.0.1:9/api/v0-1",
      GLOWMARKT_RETRY_TIMES: "0"
    })
    expect(network.code).toBe(1)
    expect(json(network)).toEqual({
      error: { tag: "TransportError", message: expect.stringContaining("could not connect"), exitCode: 1 }
    })
    const usage = await glowmarkt(["users", "get", "--id", "x", "--bogus", "--json"], admin)
    expect(usage.code).toBe(2)
    expect(json(usage)).toMatchObject({ error: { tag: "UsageError", exitCode: 2 } })
    const input = await glowmarkt(["users", "register", "--name", "N", "--email", "bad", "--json"], { GLOWMARKT_PASSWORD: password })
    expect(input.code).toBe(2)
    expect(json(input)).toMatchObject({ error: { tag: "InvalidInputError", exitCode: 2 } })
  })

  it("simulator: --host beyond loopback needs --allow-remote; a failed bind says why", async () => {
    const remote = await glowmarkt(["simulator", "--host", "0.0.0.0"])
    expect(remote.code).toBe(2)
    expect(remote.stderr).toMatch(/^error: --host 0\.0\.0\.0 is not a loopback address.*--allow-remote/)
    const port = new URL(sim.banner.origin).port
    const taken = await glowmarkt(["simulator", "--port", port])
    expect(taken.code).toBe(1)
    expect(taken.stderr).toMatch(new RegExp(`^error: cannot listen on 127\\.0\\.0\\.1:${port}: the port is already in use \\(EADDRINUSE\\)`))
    expect(taken.stdout).toBe("")
    // Allowed beyond loopback: a warning first (the port is taken here, so it stops there).
    const warned = await glowmarkt(["simulator", "--host", "0.0.0.0", "--allow-remote", "--port", port])
    expect(warned.stderr).toMatch(/^warning: listening on 0\.0\.0\.0, beyond loopback/)
    expect(warned.code).toBe(1)
  })

  it("a missing password, without a terminal, exits 2 naming GLOWMARKT_PASSWORD, without waiting", async () => {
    const started = Date.now()
    const run = await glowmarkt(["users", "register", "--name", "N", "--email", "n@example.com"])
    expect(run.code).toBe(2)
    expect(run.stderr).toMatch(/^error: .*GLOWMARKT_PASSWORD/)
    expect(Date.now() - started).toBeLessThan(45_000)
    const reset = await glowmarkt(["users", "reset", "--username", "n@example.com", "--code", "1234"])
    expect(reset.code).toBe(2)
    expect(reset.stderr).toContain("GLOWMARKT_NEW_PASSWORD")
  })

  it("a missing code, without a terminal, exits 2 naming --code", async () => {
    const run = await glowmarkt(["users", "verify", "--username", "n@example.com"], { GLOWMARKT_PASSWORD: password })
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("--code")
  })

  it("a missing admin credential exits 2 naming the variables", async () => {
    const run = await glowmarkt(["users", "get", "--id", "x"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("GLOWMARKT_APP_KEY_ID")
    const half = await glowmarkt(["users", "get", "--id", "x"], { GLOWMARKT_APP_KEY_ID: "k" })
    expect(half.code).toBe(2)
    expect(half.stderr).toContain("GLOWMARKT_APP_KEY_SECRET")
  })

  it("a base URL in plain http off loopback is refused before anything is sent", async () => {
    const run = await glowmarkt(["users", "request-reset", "--username", "x@example.com", "--base-url", "http://example.com/api/v0-1"])
    expect(run.code).toBe(2)
    expect(run.stderr).toContain("https")
  })

  // glowmarkt users import
  it("imports a file with a results file; a rerun skips the finished records", async () => {
    const file = path.join(tmp, "users.csv")
    const results = path.join(tmp, "users.results.ndjson")
    const rows = Array.from({ length: 25 }, (_, i) => `import${i}@example.com,Import ${i}`)
    writeFileSync(file, ["username,name", ...rows].join("\n") + "\n")

    const first = await glowmarkt(["users", "import", "--results", results, "--rate", "1000", "--concurrency", "8", file], admin)
    expect(first.code).toBe(0)
    expect(first.stdout).toMatch(/│ created\s+│\s+25 │/)
    expect(first.stdout).toMatch(/importing +25\/25/)
    const lines = readFileSync(results, "utf8").trim().split("\n")
    expect(lines).toHaveLength(25)
    expect(lines.map((l) => (JSON.parse(l) as { outcome: string }).outcome)).toEqual(Array(25).fill("created"))

    const rerun = await glowmarkt(["users", "import", "--results", results, "--rate", "1000", "--json", file], admin)
    expect(rerun.code).toBe(0)
    expect(json(rerun)).toMatchObject({ records: 25, skipped: 25, created: 0, requests: 0 })
  }, 120_000)

  it("records that fail are in the results file, and the run exits 1 saying so", async () => {
    const file = path.join(tmp, "bad.ndjson")
    writeFileSync(file, [`{"username":"ok1@example.com"}`, `{"username":"not an email"}`, `not json`].join("\n"))
    const run = await glowmarkt(["users", "import", "--rate", "1000", file], admin)
    expect(run.code).toBe(1)
    expect(run.stdout).toMatch(/│ failed\s+│\s+2 │/)
    expect(run.stderr).toMatch(/^error: 2 of 3 records failed .*bad\.ndjson\.results\.ndjson/)
  })

  it("a missing file is a usage error", async () => {
    const run = await glowmarkt(["users", "import", path.join(tmp, "nope.csv")], admin)
    expect(run.code).toBe(2)
  })
})
