/**
 * Summarises a `.cpuprofile` (from `node --cpu-prof`): self time by function and by package,
 * and inclusive time of the functions whose name matches `--match`.
 *
 *   node --import tsx bench/profile-summary.ts FILE.cpuprofile [--top 30] [--match regex]
 */
import { readFileSync } from "node:fs"
import { args, round } from "./lib/common.js"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const argv = args()
const file = process.argv[2]!
const top = argv.number("top", 30)
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const parent = new Map<number, number>()
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id)

const self = new Map<number, number>()
let total = 0
profile.samples.forEach((id, i) => {
  const dt = profile.timeDeltas[i] ?? 0
  self.set(id, (self.get(id) ?? 0) + dt)
  total += dt
})

const packageOf = (url: string) => {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (m) return m[1]!
  if (url.includes("/src/")) return `src/${url.split("/src/")[1]!.split("/")[0]}`
  if (url.includes("/bench/")) return "bench"
  return url === "" ? "(native/vm)" : url.startsWith("node:") ? "node:*" : "other"
}
const label = (n: Node) => {
  const f = n.callFrame
  const where = f.url === "" ? "" : ` ${f.url.replace(/^.*node_modules\//, "").replace(/^.*\/work\/main\//, "")}:${f.lineNumber + 1}`
  return `${f.functionName || "(anonymous)"}${where}`
}

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v)
const fnSelf = new Map<string, number>()
const pkgSelf = new Map<string, number>()
for (const [id, t] of self) {
  const n = byId.get(id)!
  add(fnSelf, label(n), t)
  add(pkgSelf, packageOf(n.callFrame.url), t)
}
const show = (title: string, m: Map<string, number>, k: number) => {
  console.log(`\n${title}`)
  for (const [name, t] of [...m].sort((a, b) => b[1] - a[1]).slice(0, k)) {
    console.log(`${round((t / total) * 100, 1).toString().padStart(5)}%  ${round(t / 1000, 0).toString().padStart(7)} ms  ${name}`)
  }
}
console.log(`total ${round(total / 1000, 0)} ms`)
show("self time by package", pkgSelf, 15)
show("self time by function", fnSelf, top)

const match = argv.get("match")
if (match !== undefined) {
  // Inclusive time of matching frames (each sample counted once per distinct matching label).
  const re = new RegExp(match)
  const incl = new Map<string, number>()
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0
    const seen = new Set<string>()
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!)
      if (re.test(l) && !seen.has(l)) {
        seen.add(l)
        add(incl, l, dt)
      }
    }
  })
  show(`inclusive time of /${match}/`, incl, top)
}
