/**
 * What `npm pack` ships: `prepack` builds `dist/`, which `exports` and `bin` point at, so a pack
 * from a fresh clone (no `dist/` yet) is complete.
 */
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "..")
const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as {
  scripts: Record<string, string>
  files: ReadonlyArray<string>
  exports: Record<string, { types: string; default: string }>
  bin: Record<string, string>
}

describe("package.json", () => {
  it("builds dist/ before packing, and ships it", () => {
    expect(pkg.scripts["prepack"]).toBe("npm run build")
    expect(pkg.scripts["build"]).toContain("tsconfig.build.json")
    expect(pkg.files).toContain("dist")
  })

  it("points exports and bin at files the build emits from src/", () => {
    const targets = [...Object.values(pkg.exports).flatMap((e) => [e.types, e.default]), ...Object.values(pkg.bin)]
    for (const target of targets) {
      expect(target, target).toMatch(/^\.\/dist\/.*\.(js|d\.ts)$/)
      const source = target.replace(/^\.\/dist\//, "src/").replace(/\.d\.ts$|\.js$/, ".ts")
      expect(existsSync(path.join(root, source)), source).toBe(true)
    }
  })
})
