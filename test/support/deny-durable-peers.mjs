// A module hook that makes the durable flows' optional peer dependencies (@effect/cluster,
// @effect/workflow, @effect/sql*) unresolvable, as they are for a user who did not install them.
// Used with `node --import tsx --import ./deny-durable-peers.mjs` by test/dependencies.test.ts.
import { register } from "node:module"

register(
  "data:text/javascript," +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  if (/^@effect\\/(cluster|workflow|sql)(-[a-z]+)?(\\/|$)/.test(specifier)) {
    throw new Error("optional peer not installed: " + specifier)
  }
  return next(specifier, context)
}`)
)
