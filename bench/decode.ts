/**
 * What the schemas cost per call, without a network or a fiber: the decode of the answer every
 * user look-up and registration gets (`AddUserRes`, from its JSON text), and what `register`
 * does to its input before sending (the `RegisterInput` check and the `AddUserReq` body's
 * encode). CPU µs per operation, hot (after 20,000 warm-up operations), median of the rounds.
 *
 *   npx tsc -p bench/tsconfig.build.json && node bench/results/tmp/build/bench/decode.js [--ops N] [--rounds R]
 */
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import { AddUserReq, AddUserRes } from "../src/schema/Models.js"
import { RegisterInput } from "../src/services/Users.js"
import { args, median, round, userJson } from "./lib/common.js"

const argv = args()
const ops = argv.number("ops", 200_000)
const rounds = argv.number("rounds", 3)

const text = userJson("active")
const decodeAnswer = ParseResult.decodeUnknownEither(AddUserRes)
// As the services check an input (`decodeInput`) and the lean client encodes a body.
const checkInput = ParseResult.decodeUnknownEither(RegisterInput, { errors: "first", onExcessProperty: "ignore" })
const encodeBody = ParseResult.encodeUnknownEither(AddUserReq)
const password = Redacted.make("correct horse battery staple")
const applicationId = "b0f1b774-a586-4f72-9edd-27ead8aa7a8d"
const directoryId = "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"

const cases: Record<string, (i: number) => unknown> = {
  "JSON.parse of the answer (for reference)": () => JSON.parse(text),
  "AddUserRes: JSON.parse + decode": () => decodeAnswer(JSON.parse(text)),
  "register: input check + body encode": (i) => {
    const input = checkInput({ name: "Bench User", username: `user${i}@example.com`, email: `user${i}@example.com`, password })
    if (input._tag === "Left") throw new Error("invalid input")
    return encodeBody(new AddUserReq({ ...input.right, applicationId, directoryId } as any, true))
  }
}

for (const [name, f] of Object.entries(cases)) {
  for (let i = 0; i < 20_000; i++) f(i)
  const us: Array<number> = []
  for (let r = 0; r < rounds; r++) {
    const c0 = process.cpuUsage()
    for (let i = 0; i < ops; i++) f(i)
    const c1 = process.cpuUsage(c0)
    us.push((c1.user + c1.system) / ops)
  }
  console.log(`${name}: ${round(median(us), 2)} µs (rounds: ${us.map((u) => round(u, 2)).join(", ")})`)
}
