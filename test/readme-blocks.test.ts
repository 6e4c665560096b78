/**
 * Every ```ts block of the README typechecks, as a user would write it: each block is its own
 * module, with `effect-glowmarkt` (and `/testing`, `/durable`) mapped to the sources. A block
 * that does not compile fails here, naming the block and the line.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import ts from "typescript"
import { afterAll, describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "..")
const readme = readFileSync(path.join(root, "README.md"), "utf8")

/** The ```ts blocks, with the README line each starts on. */
const blocks: ReadonlyArray<{ readonly line: number; readonly code: string }> = (() => {
  const out: Array<{ line: number; code: string }> = []
  const lines = readme.split("\n")
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== "```ts") continue
    const start = i + 1
    let end = start
    while (end < lines.length && lines[end]!.trim() !== "```") end++
    out.push({ line: start + 1, code: lines.slice(start, end).join("\n") })
    i = end
  }
  return out
})()

// Inside the project, so that node_modules resolves as it does for the tests; .gitignored.
const dir = path.join(root, ".readme-check")

afterAll(() => rmSync(dir, { recursive: true, force: true }))

describe("README code blocks", () => {
  it("there are blocks to check", () => {
    expect(blocks.length).toBeGreaterThanOrEqual(4)
  })

  it("each ```ts block typechecks on its own", () => {
    rmSync(dir, { recursive: true, force: true })
    mkdirSync(dir, { recursive: true })
    const files = blocks.map(({ code, line }) => {
      const file = path.join(dir, `readme-line-${line}.ts`)
      writeFileSync(file, code.includes("import ") || code.includes("export ") ? code : `${code}\nexport {}\n`)
      return file
    })
    const base = ts.readConfigFile(path.join(root, "tsconfig.base.json"), ts.sys.readFile)
    const parsed = ts.parseJsonConfigFileContent(base.config, ts.sys, root)
    const options: ts.CompilerOptions = {
      ...parsed.options,
      noEmit: true,
      // A snippet may name a value only to show it.
      noUnusedLocals: false,
      noUnusedParameters: false,
      baseUrl: root,
      paths: {
        "effect-glowmarkt": ["./src/index.ts"],
        "effect-glowmarkt/testing": ["./src/testing/index.ts"],
        "effect-glowmarkt/durable": ["./src/durable/index.ts"]
      }
    }
    const program = ts.createProgram(files, options)
    // Only the blocks' own diagnostics: checking them checks what they use, not all of src.
    const problems = files.flatMap((file) => {
      const source = program.getSourceFile(file)!
      return [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]
    })
      .map((d) => {
        const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0)
        const blockLine = Number(/readme-line-(\d+)\.ts$/.exec(d.file!.fileName)![1])
        return `README.md:${blockLine + line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`
      })
    expect(problems).toEqual([])
  }, 60_000) // a compile of the blocks and what they use: seconds of CPU, more on a loaded machine
})
