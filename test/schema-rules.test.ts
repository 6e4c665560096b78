/**
 * The rules of the identifier, name, email and password schemas, checked against their
 * definitions as they were before each rule set became one filter (3342503, 7f97f27): for any
 * string, the same verdict, the same decoded value and the same first message (what
 * `InvalidInputError.problem` is made of), on decode and on encode.
 *
 * The reference below is a copy of the schemas with one `Schema.filter` per rule: keep it as it
 * is, it is what the single filters must agree with.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as fc from "effect/FastCheck"
import * as ParseResult from "effect/ParseResult"
import * as Pretty from "effect/Pretty"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Identifiers from "../src/schema/Identifiers.js"

// ---------------------------------------------------------------------------------------------
// The reference: one filter per rule (src/schema/Identifiers.ts before 3342503)

// eslint-disable-next-line no-control-regex
const controlCharacters = /[\u0000-\u001f\u007f-\u009f]/

const isWellFormed = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = s.charCodeAt(i + 1)
      if (!(next >= 0xdc00 && next <= 0xdfff)) return false
      i++
    } else if (c >= 0xdc00 && c <= 0xdfff) return false
  }
  return true
}

const wellFormedMessage = "must not contain a lone surrogate (malformed UTF-16)"

const WellFormedString = Schema.String.pipe(
  Schema.filter((s) => isWellFormed(s) || wellFormedMessage),
  Schema.annotations({ identifier: "WellFormedString" })
)

const Identifier = WellFormedString.pipe(
  Schema.filter((s) => s.length > 0 || "must not be empty"),
  Schema.filter((s) => s.trim() === s || "must not start or end with whitespace"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  Schema.filter((s) => (s !== "." && s !== "..") || "must not be \".\" or \"..\"")
)

const UserId = Identifier.pipe(Schema.brand("UserId"), Schema.annotations({ identifier: "UserId" }))
const ApplicationId = Identifier.pipe(
  Schema.filter((s) => Identifiers.headerValueProblem(s) ?? true),
  Schema.brand("ApplicationId"),
  Schema.annotations({ identifier: "ApplicationId" })
)
const DirectoryId = Identifier.pipe(Schema.brand("DirectoryId"), Schema.annotations({ identifier: "DirectoryId" }))
const AccountId = Identifier.pipe(Schema.brand("AccountId"), Schema.annotations({ identifier: "AccountId" }))

const Normalised = Schema.transform(WellFormedString, Schema.String, {
  strict: true,
  decode: (s) => s.trim().toLowerCase(),
  encode: (s) => s
})

const Username = Normalised.pipe(
  Schema.compose(Identifier),
  Schema.brand("Username"),
  Schema.annotations({ identifier: "Username", description: "a trimmed, lowercase username" })
)

const emailPattern = /^[^\s@]+@[^\s@]+\.[^\s@]+$/

const Email = Normalised.pipe(
  Schema.compose(
    Schema.String.pipe(
      Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
      Schema.filter((s) => emailPattern.test(s) || "must be an email address such as name@example.com"),
      Schema.filter((s) => s.length <= 254 || "must be at most 254 characters")
    )
  ),
  Schema.brand("Email"),
  Schema.annotations({ identifier: "Email" })
)

const EmailUsername = Email.pipe(
  Schema.compose(Username, { strict: false }),
  Schema.annotations({ identifier: "EmailUsername" })
)

const passwordChecks = <S extends Schema.Schema<Redacted.Redacted<string>, any>>(self: S) =>
  self.pipe(
    Schema.filter((r) => Redacted.value(r).trim().length > 0 || "must not be empty or whitespace"),
    Schema.filter((r) => Redacted.value(r).length <= 1024 || "must be at most 1024 characters"),
    Schema.filter((r) => isWellFormed(Redacted.value(r)) || wellFormedMessage)
  )

const Password = passwordChecks(Schema.Redacted(Schema.String)).pipe(Schema.annotations({ identifier: "Password" }))
const PasswordFromSelf = passwordChecks(Schema.RedactedFromSelf(Schema.String)).pipe(
  Schema.annotations({ identifier: "Password" })
)

const tokenChecks = <S extends Schema.Schema<Redacted.Redacted<string>, any>>(self: S) =>
  self.pipe(Schema.filter((r) => Identifiers.headerValueProblem(Redacted.value(r)) ?? true))

const AuthToken = tokenChecks(Schema.Redacted(Schema.String)).pipe(Schema.annotations({ identifier: "AuthToken" }))
const AuthTokenFromSelf = tokenChecks(Schema.RedactedFromSelf(Schema.String)).pipe(
  Schema.annotations({ identifier: "AuthToken" })
)

const Name = WellFormedString.pipe(
  Schema.filter((s) => s.trim().length > 0 || "must be a non-empty name"),
  Schema.filter((s) => s.trim() === s || "must not start or end with whitespace"),
  Schema.filter((s) => !controlCharacters.test(s) || "must not contain control characters"),
  Schema.filter((s) => s.length <= 256 || "must be at most 256 characters"),
  Schema.annotations({ identifier: "Name" })
)

// ---------------------------------------------------------------------------------------------
// Arbitrary strings

const hostileValues: ReadonlyArray<string> = [
  "",
  " ",
  "\t",
  "\n",
  "\u00a0",
  "\u2028",
  "\ufeff",
  ".",
  "..",
  " . ",
  "...",
  "\u0000",
  "\u007f",
  "\u0085",
  "\u009f",
  "\ud800",
  "\udc00",
  "a\ud800",
  "\udc00a",
  "\ud83d\ude00",
  "a@b.c",
  " A@B.C ",
  "a@b",
  "@b.c",
  "a b@c.d",
  "a\u0000@b.c",
  "Scotty@Enterprise.ST",
  "x".repeat(253),
  "x".repeat(254),
  "x".repeat(255),
  "x".repeat(256),
  "x".repeat(257),
  "x".repeat(1023),
  "x".repeat(1024),
  "x".repeat(1025),
  " ".repeat(1025),
  `${"x".repeat(250)}@b.co`,
  `${"x".repeat(249)}@b.co`,
  `${"x".repeat(256)}\u0000`,
  `${"x".repeat(1025)}\ud800`
]

const hostile = fc.constantFrom(...hostileValues)

const piece = fc.oneof(
  hostile,
  fc.string({ unit: "grapheme", maxLength: 8 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.string({ unit: fc.constantFrom("a", "B", " ", "\t", "@", ".", "\u0000", "\u009f", "\ud800", "\udc00", "\u00e9", "\u4e00"), maxLength: 12 }),
  fc.integer({ min: 0, max: 1100 }).map((n) => "y".repeat(n))
)

/** Empty, blank, padded, control characters, lone surrogates, "." and "..", around the limits. */
const anyString = fc.array(piece, { maxLength: 4 }).map((parts) => parts.join(""))

// ---------------------------------------------------------------------------------------------
// The comparison

type Outcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly issues: ReadonlyArray<ParseResult.ArrayFormatterIssue> }

const unwrap = (value: unknown): unknown => Redacted.isRedacted(value) ? { redacted: Redacted.value(value) } : value

const outcome = (result: Either.Either<unknown, ParseResult.ParseError>): Outcome =>
  Either.isRight(result)
    ? { ok: true, value: unwrap(result.right) }
    : { ok: false, issues: ParseResult.ArrayFormatter.formatErrorSync(result.left) }

const options = [{ errors: "first" as const, onExcessProperty: "ignore" as const }, { errors: "all" as const }]

const sameDecode = (reference: Schema.Schema<any, any>, current: Schema.Schema<any, any>, input: unknown) => {
  for (const o of options) {
    expect(outcome(Schema.decodeUnknownEither(current, o)(input))).toStrictEqual(
      outcome(Schema.decodeUnknownEither(reference, o)(input))
    )
  }
}

const sameEncode = (reference: Schema.Schema<any, any>, current: Schema.Schema<any, any>, value: unknown) => {
  for (const o of options) {
    expect(outcome(Schema.encodeUnknownEither(current, o)(value))).toStrictEqual(
      outcome(Schema.encodeUnknownEither(reference, o)(value))
    )
  }
}

const plain: ReadonlyArray<readonly [string, Schema.Schema<any, any>, Schema.Schema<any, any>]> = [
  ["UserId", UserId, Identifiers.UserId],
  ["ApplicationId", ApplicationId, Identifiers.ApplicationId],
  ["DirectoryId", DirectoryId, Identifiers.DirectoryId],
  ["AccountId", AccountId, Identifiers.AccountId],
  ["Username", Username, Identifiers.Username],
  ["Email", Email, Identifiers.Email],
  ["EmailUsername", EmailUsername, Identifiers.EmailUsername],
  ["Name", Name, Identifiers.Name]
]

const runs = { numRuns: 2_000 }

describe("the rules in one filter agree with one filter per rule", () => {
  for (const [name, reference, current] of plain) {
    it(`${name}: same verdict, value and message for any string (decode and encode)`, () => {
      fc.assert(
        fc.property(anyString, (s) => {
          sameDecode(reference, current, s)
          sameEncode(reference, current, s)
        }),
        runs
      )
    })
  }

  it("Password: same verdict and message for any string (decode and encode)", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        sameDecode(Password, Identifiers.Password, s)
        sameEncode(Password, Identifiers.Password, Redacted.make(s))
      }),
      runs
    )
  })

  it("PasswordFromSelf: same verdict and message for any Redacted string", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        sameDecode(PasswordFromSelf, Identifiers.PasswordFromSelf, Redacted.make(s))
        sameEncode(PasswordFromSelf, Identifiers.PasswordFromSelf, Redacted.make(s))
      }),
      runs
    )
  })

  it("every hostile value and every pair of them: same verdict, value and message", () => {
    for (const a of hostileValues) {
      for (const b of ["", ...hostileValues]) {
        const s = a + b
        for (const [, reference, current] of plain) {
          sameDecode(reference, current, s)
          sameEncode(reference, current, s)
        }
        sameDecode(Password, Identifiers.Password, s)
        sameEncode(Password, Identifiers.Password, Redacted.make(s))
        sameDecode(PasswordFromSelf, Identifiers.PasswordFromSelf, Redacted.make(s))
      }
    }
  })

  it("every rule is reached: each message of the reference shows up for some hostile value", () => {
    const messages = new Set<string>()
    fc.assert(
      fc.property(hostile, (s) => {
        for (const [, reference] of plain) {
          const r = Schema.decodeUnknownEither(reference)(s)
          if (Either.isLeft(r)) for (const i of ParseResult.ArrayFormatter.formatErrorSync(r.left)) messages.add(i.message)
        }
        const p = Schema.decodeUnknownEither(Password)(s)
        if (Either.isLeft(p)) for (const i of ParseResult.ArrayFormatter.formatErrorSync(p.left)) messages.add(i.message)
      }),
      { numRuns: 500 }
    )
    for (
      const m of [
        "must not be empty",
        "must not start or end with whitespace",
        "must not contain control characters",
        "must be at most 256 characters",
        "must not be \".\" or \"..\"",
        "must be an email address such as name@example.com",
        "must be at most 254 characters",
        "must not be empty or whitespace",
        "must be at most 1024 characters",
        "must be a non-empty name",
        wellFormedMessage
      ]
    ) expect(messages).toContain(m)
  })

  it("non-strings: same verdict and message", () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        for (const [, reference, current] of plain) sameDecode(reference, current, v)
        sameDecode(Password, Identifiers.Password, v)
        sameDecode(PasswordFromSelf, Identifiers.PasswordFromSelf, v)
      }),
      { numRuns: 300 }
    )
  })
})

describe("the secrets' schemas: checked as Schema.RedactedFromSelf(Schema.String) checks, passed on as they are", () => {
  it("AuthToken and AuthTokenFromSelf: same verdict, value and message for any string (decode and encode)", () => {
    fc.assert(
      fc.property(anyString, (s) => {
        sameDecode(AuthToken, Identifiers.AuthToken, s)
        sameEncode(AuthToken, Identifiers.AuthToken, Redacted.make(s))
        sameDecode(AuthTokenFromSelf, Identifiers.AuthTokenFromSelf, Redacted.make(s))
        sameEncode(AuthTokenFromSelf, Identifiers.AuthTokenFromSelf, Redacted.make(s))
      }),
      runs
    )
  })

  it("a caller's Redacted is decoded and encoded to itself, not to a new Redacted", () => {
    const fromSelf = [Identifiers.RedactedStringFromSelf, Identifiers.PasswordFromSelf, Identifiers.AuthTokenFromSelf] as const
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => s.trim() === s && /^[\x21-\x7e]+$/.test(s)), (s) => {
        const secret = Redacted.make(s)
        for (const schema of fromSelf) {
          expect(Schema.decodeUnknownSync(schema)(secret)).toBe(secret)
          expect(Schema.encodeSync(schema)(secret)).toBe(secret)
        }
        // On the wire: the string itself, and back into a Redacted that holds it.
        for (const schema of [Identifiers.RedactedString, Identifiers.Password, Identifiers.AuthToken] as const) {
          expect(Schema.encodeSync(schema)(secret)).toBe(s)
          expect(Redacted.value(Schema.decodeUnknownSync(schema)(s))).toBe(s)
        }
      }),
      { numRuns: 200 }
    )
  })

  it("a Redacted that holds no string is refused, without showing what it holds", () => {
    for (const held of [42, null, { secret: "hunter2" }, ["hunter2"]]) {
      const result = Schema.decodeUnknownEither(Identifiers.PasswordFromSelf)(Redacted.make(held))
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) {
        const text = ParseResult.TreeFormatter.formatErrorSync(result.left)
        expect(text).toContain("Redacted(<redacted>)")
        expect(text).not.toContain("hunter2")
        expect(text).not.toContain("42")
      }
    }
  })

  it("a wiped or forged Redacted is refused, not thrown", () => {
    const wiped = Redacted.make("hunter2")
    Redacted.unsafeWipe(wiped)
    // Has the Redacted type id (through its prototype) but is not in Effect's registry.
    const forged = Object.create(Redacted.make("hunter2"))
    const schemas: ReadonlyArray<Schema.Schema<Redacted.Redacted<string>, any>> = [
      Identifiers.RedactedStringFromSelf,
      Identifiers.PasswordFromSelf,
      Identifiers.AuthTokenFromSelf,
      Identifiers.RedactedString,
      Identifiers.Password,
      Identifiers.AuthToken
    ]
    for (const held of [wiped, forged]) {
      for (const schema of schemas) {
        const decoded = Schema.decodeUnknownEither(Schema.typeSchema(schema))(held)
        expect(Either.isLeft(decoded)).toBe(true)
        expect(Schema.is(schema)(held)).toBe(false)
        const encoded = Schema.encodeUnknownEither(schema)(held)
        expect(Either.isLeft(encoded)).toBe(true)
        if (Either.isLeft(encoded)) {
          expect(ParseResult.TreeFormatter.formatErrorSync(encoded.left)).not.toContain("hunter2")
        }
      }
    }
  })

  it("keeps RedactedFromSelf's arbitrary, pretty printer and equivalence", () => {
    const samples = fc.sample(Arbitrary.make(Identifiers.RedactedStringFromSelf), 50)
    for (const r of samples) {
      expect(Redacted.isRedacted(r)).toBe(true)
      expect(typeof Redacted.value(r)).toBe("string")
    }
    expect(Pretty.make(Identifiers.RedactedStringFromSelf)(Redacted.make("hunter2"))).toBe("Redacted(<redacted>)")
    const equivalent = Schema.equivalence(Identifiers.RedactedStringFromSelf)
    expect(equivalent(Redacted.make("a"), Redacted.make("a"))).toBe(true)
    expect(equivalent(Redacted.make("a"), Redacted.make("b"))).toBe(false)
  })
})
