/**
 * `CodeSource.layerTerminal` on the node Terminal, waiting for a code: run as a child process
 * with its stdin closed or fed, by test/codesource-terminal.test.ts. Prints one JSON line.
 */
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as CodeSource from "../../src/workflows/CodeSource.js"

const program = Effect.flatMap(CodeSource.CodeSource, (source) =>
  source.await({ username: "eof@example.com", purpose: "verification", round: 1 }))

program.pipe(
  Effect.timeout("10 minutes"),
  Effect.provide(CodeSource.layerTerminal.pipe(Layer.provide(NodeTerminal.layer))),
  Effect.match({
    onFailure: (e) => ({ failed: (e as { _tag?: string })._tag, reason: (e as { reason?: string }).reason }),
    onSuccess: (code) => ({ code: Redacted.value(code) })
  }),
  Effect.flatMap((result) => Effect.sync(() => process.stdout.write(`\n${JSON.stringify(result)}\n`))),
  Effect.runPromise
).then(() => process.exit(0))
