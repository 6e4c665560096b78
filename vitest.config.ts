import { defineConfig } from "vitest/config"

/** The client test files run once per transport (see test/support/transport.ts). */
const clientTests = ["test/client-*.test.ts"]
const transports = ["layerUndici", "UndiciHttpClient"] as const

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: keep the suite from oversubscribing the machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
    projects: [
      { extends: true, test: { name: "suite", include: ["test/**/*.test.ts"], exclude: clientTests } },
      ...transports.map((transport) => ({
        extends: true as const,
        test: { name: `client:${transport}`, include: clientTests, env: { GLOWMARKT_TEST_TRANSPORT: transport } }
      }))
    ]
  }
})
