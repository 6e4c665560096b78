/**
 * Durable onboarding flows on `@effect/workflow` + `@effect/cluster`:
 * `import { DurableEngine, DurableOnboarding } from "effect-glowmarkt/durable"`.
 *
 * @since 0.1.0
 */
export * as DurableEngine from "./DurableEngine.js"
export * as DurableOnboarding from "./DurableOnboarding.js"
