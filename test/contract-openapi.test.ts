/**
 * The OpenAPI document generated from the declaration says what the spec says about security,
 * bodies and objects (`npm run contract:diff` compares it with the spec itself, outside the tests).
 */
import * as OpenApi from "@effect/platform/OpenApi"
import { describe, expect, it } from "vitest"
import { GlowmarktApi } from "../src/schema/GlowmarktApi.js"

const doc = OpenApi.fromApi(GlowmarktApi) as unknown as Record<string, any>
const operations = Object.values(doc.paths as Record<string, Record<string, any>>).flatMap((item) => Object.values(item))
const byId = (id: string) => operations.find((op) => String(op.operationId).endsWith(`.${id}`))

describe("OpenApi.fromApi(GlowmarktApi)", () => {
  it("carries the spec's security alternatives and schemes", () => {
    const admin = [{ appKeys: [] }, { applicationId: [], orgAppKeys: [] }, { applicationId: [], devUserToken: [] }]
    for (const id of ["createUser", "getUserbyUsername", "getUserbyId", "deleteUserbyId"]) expect(byId(id).security).toEqual(admin)
    for (const id of ["tokencheck", "newToken", "deleteToken", "updateUsernameUserId"]) {
      expect(byId(id).security).toEqual([{ applicationId: [], userToken: [] }])
    }
    for (const id of ["addUser", "usernamelogin", "verifyUser"]) expect(byId(id).security).toEqual([])
    expect(doc.components.securitySchemes).toMatchObject({
      appKeys: { type: "http", scheme: "basic" },
      orgAppKeys: { type: "http", scheme: "basic" },
      applicationId: { type: "apiKey", in: "header", name: "applicationId" },
      devUserToken: { type: "apiKey", in: "header", name: "token" },
      userToken: { type: "apiKey", in: "header", name: "token" }
    })
  })

  it("marks only the bodies the spec requires as required (login and the two OAuth requests)", () => {
    const required = new Set(["usernamelogin", "generateOAuthorizationCode", "exchangeAuthorizationCodeWithAccess"])
    const withBody = operations.filter((op) => op.requestBody !== undefined)
    expect(withBody.length).toBe(23)
    for (const op of withBody) {
      expect(op.requestBody.required, op.operationId).toBe(required.has(String(op.operationId).split(".").pop()!))
    }
  })

  it("leaves objects open, and lists only the 400 each operation answers", () => {
    expect(JSON.stringify(doc)).not.toContain("\"additionalProperties\":false")
    expect(JSON.stringify(doc)).not.toContain("HttpApiDecodeError")
    for (const id of ["getUserbyUsername", "getUserbyId", "deleteUserbyId"]) expect(byId(id).responses["400"]).toBeUndefined()
    expect(byId("addUser").responses["400"].content["application/json"].schema).toEqual({ $ref: "#/components/schemas/MissingElementsError" })
    expect(Object.keys(byId("getUserbyId").responses["404"].content)).toEqual(["application/json"])
  })
})
