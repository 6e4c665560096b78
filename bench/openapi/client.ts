/**
 * The openapi-fetch client of the per-call benchmark: what a TypeScript user generates from the
 * spec. Its path types are generated from `../shared/glowmarkt/user-system.swagger.yaml` when the
 * bench is built (bench/main.ts: swagger2openapi to OpenAPI 3, then openapi-typescript, into
 * bench/results/tmp/openapi/; the spec is never copied into the project). That is why this file
 * is outside `npm run typecheck` (tsconfig.json excludes bench/openapi) and compiled only by
 * bench/openapi/tsconfig.build.json, and why bench/overhead.ts imports it dynamically: without
 * the spec there are no types, and the client is skipped with a note.
 */
import createClient from "openapi-fetch"
import type { paths } from "../results/tmp/openapi/glowmarkt-paths.js"

/** Calls of the benchmark on an openapi-fetch client at baseUrl; each throws unless 200. */
export const make = (baseUrl: string, authorization: string) => {
  const client = createClient<paths>({ baseUrl })
  return {
    getById: async (userId: string) => {
      const { data, response } = await client.GET("/user/{userId}", {
        params: { path: { userId } },
        headers: { authorization }
      })
      if (response.status !== 200 || data === undefined) throw new Error(`status ${response.status}`)
      return data
    },
    register: async (body: {
      applicationId: string
      directoryId: string
      email: string
      name: string
      password: string
      username: string
    }) => {
      const { data, response } = await client.POST("/register", { body })
      if (response.status !== 200 || data === undefined) throw new Error(`status ${response.status}`)
      return data
    }
  }
}
