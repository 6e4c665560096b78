/**
 * Finds the PostgreSQL server of the durable tests: `GLOWMARKT_TEST_PG_URL`, or the URL that
 * `.ci/postgres.sh` left in node_modules/.cache/glowmarkt/pg-url. Says why when there is none.
 */
import { existsSync, readFileSync } from "node:fs"
import { Socket } from "node:net"
import { fileURLToPath } from "node:url"

const urlFile = fileURLToPath(new URL("../../node_modules/.cache/glowmarkt/pg-url", import.meta.url))

export type PgProbe =
  | { readonly available: true; readonly url: string }
  | { readonly available: false; readonly reason: string }

const answers = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = new Socket()
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(1000, () => done(false))
    socket.once("error", () => done(false))
    socket.connect(port, host, () => done(true))
  })

export const probePg = async (): Promise<PgProbe> => {
  const url = process.env["GLOWMARKT_TEST_PG_URL"] ??
    (existsSync(urlFile) ? readFileSync(urlFile, "utf8").trim() : undefined)
  if (url === undefined || url === "") {
    return {
      available: false,
      reason: "no PostgreSQL: GLOWMARKT_TEST_PG_URL is not set (run `eval \"$(.ci/postgres.sh)\"` to provide one)"
    }
  }
  const parsed = new URL(url)
  const port = Number(parsed.port || 5432)
  if (!(await answers(parsed.hostname, port))) {
    return { available: false, reason: `no PostgreSQL answers on ${parsed.hostname}:${port} (GLOWMARKT_TEST_PG_URL)` }
  }
  return { available: true, url }
}
