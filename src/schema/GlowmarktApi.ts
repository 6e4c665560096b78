/**
 * The User System endpoints, declared once.
 *
 * From this one declaration come the typed client (one per group, typed as `HttpApiClient.group`'s:
 * the services' lean client, `services/internal/lean.ts`, derived from it), the simulator (`HttpApiBuilder`) and an OpenAPI document (`OpenApi.fromApi`) that the tests diff
 * against the upstream swagger's paths, methods and statuses.
 *
 * Endpoints are grouped by what they need to be called, because the derived client ignores
 * `HttpApiSecurity`: each group gets its own `HttpClient` that adds exactly that group's headers.
 *
 * | group     | needs                                                                    |
 * |-----------|--------------------------------------------------------------------------|
 * | `public`  | nothing (login sends the `applicationId` header it is given)             |
 * | `admin`   | app keys, OR `applicationId` + organisation keys, OR `applicationId` + developer token |
 * | `session` | `applicationId` + a user's `token`                                       |
 *
 * Header names are declared in lower case: that is how a server sees them.
 *
 * @since 0.1.0
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as OpenApi from "@effect/platform/OpenApi"
import * as Schema from "effect/Schema"
import { AccountAdminGroup, AccountSessionGroup } from "./AccountApi.js"
import { ConsentGroup } from "./ConsentApi.js"
import { ApplicationId, UserIdPathParam, Username } from "./Identifiers.js"
import {
  AddUserReq,
  AddUserRes,
  CreateUserReq,
  CreateUserRes,
  GeneratePasswordResetTokenUserReq,
  GenerateVerificationTokenUserReq,
  IsValidRes,
  LoginRes,
  NewTokenRes,
  PasswordResetUserReq,
  TokenCheckRes,
  UserChangeUsernameReq,
  UserNameLoginReq,
  VerifyUserReq,
  VerifyUserRes
} from "./Models.js"
import { OAuthAccessGroup, OAuthPublicGroup, UserTokensGroup } from "./TokenApi.js"
import {
  WireAccessDeniedBody,
  WireBadRequestBody,
  WireInternalServerErrorBody,
  WireInvalidTokenBody,
  WireNotFoundBody
} from "./WireErrors.js"

/**
 * The path under which the API lives, on the real service and on the simulator.
 *
 * @category constants
 * @since 0.1.0
 */
export const basePath = "/api/v0-1" as const

const UserIdPath = Schema.Struct({ userId: UserIdPathParam })
const ApplicationIdHeader = Schema.Struct({ applicationid: ApplicationId })

/**
 * Endpoints that need no credential.
 *
 * @category models
 * @since 0.1.0
 */
export class PublicGroup extends HttpApiGroup.make("public")
  .add(
    HttpApiEndpoint.post("addUser", "/register")
      .setPayload(AddUserReq)
      .addSuccess(AddUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("generateUserVerificationToken", "/user/verify")
      .setPayload(GenerateVerificationTokenUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("verifyUser", "/user/verify")
      .setPayload(VerifyUserReq)
      .addSuccess(VerifyUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("generateUserPasswordResetToken", "/user/resetpassword")
      .setPayload(GeneratePasswordResetTokenUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("resetPasswordUser", "/user/resetpassword")
      .setPayload(PasswordResetUserReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.post("usernamelogin", "/auth")
      .setHeaders(ApplicationIdHeader)
      .setPayload(UserNameLoginReq)
      .addSuccess(LoginRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * Endpoints that need an admin credential.
 *
 * @category models
 * @since 0.1.0
 */
export class AdminGroup extends HttpApiGroup.make("admin")
  .add(
    HttpApiEndpoint.post("createUser", "/user")
      .setPayload(CreateUserReq)
      .addSuccess(CreateUserRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getUserbyUsername", "/user")
      .setUrlParams(Schema.Struct({ username: Username }))
      .addSuccess(AddUserRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("getUserbyId", "/user/:userId")
      .setPath(UserIdPath)
      .addSuccess(AddUserRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteUserbyId", "/user/:userId")
      .setPath(UserIdPath)
      .addSuccess(IsValidRes)
      .addError(WireAccessDeniedBody)
      .addError(WireNotFoundBody)
      .addError(WireInternalServerErrorBody)
  )
{}

/**
 * Endpoints that act as one user: `applicationId` + that user's token.
 *
 * @category models
 * @since 0.1.0
 */
export class SessionGroup extends HttpApiGroup.make("session")
  .add(
    HttpApiEndpoint.get("tokencheck", "/auth")
      .addSuccess(TokenCheckRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.get("newToken", "/auth/newToken")
      .addSuccess(NewTokenRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.del("deleteToken", "/auth/deleteToken")
      .addSuccess(IsValidRes)
      .addError(WireInvalidTokenBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
  .add(
    HttpApiEndpoint.put("updateUsernameUserId", "/user/:userId/username")
      .setPath(UserIdPath)
      .setPayload(UserChangeUsernameReq)
      .addSuccess(IsValidRes)
      .addError(WireBadRequestBody)
      .addError(WireAccessDeniedBody)
      .addError(WireInternalServerErrorBody)
  )
{}

const adminAlternatives = [{ appKeys: [] }, { applicationId: [], orgAppKeys: [] }, { applicationId: [], devUserToken: [] }]

/**
 * The spec's security schemes, under the spec's names.
 *
 * @category constants
 * @since 0.1.0
 */
export const securitySchemes = {
  appKeys: { type: "http", scheme: "basic" },
  orgAppKeys: { type: "http", scheme: "basic" },
  applicationId: { type: "apiKey", in: "header", name: "applicationId" },
  devUserToken: { type: "apiKey", in: "header", name: "token" },
  userToken: { type: "apiKey", in: "header", name: "token" },
  userId: { type: "apiKey", in: "header", name: "userId" },
  oAccessAuthToken: { type: "apiKey", in: "header", name: "token" }
} as const

/**
 * Each group's security requirement, as the spec writes it: a list of alternatives, each a set
 * of schemes that must all be present. A request that satisfies one alternative is authorised,
 * whatever else it carries (the simulator follows this one rule for every operation).
 *
 * @category constants
 * @since 0.1.0
 */
export const securityOf: Record<string, ReadonlyArray<Readonly<Record<string, ReadonlyArray<string>>>>> = {
  public: [],
  admin: adminAlternatives,
  session: [{ applicationId: [], userToken: [] }],
  accountAdmin: adminAlternatives,
  accountSession: [{ applicationId: [], userToken: [] }],
  userTokens: [{ applicationId: [], userToken: [] }],
  oauthPublic: [],
  oauthAccess: [{ oAccessAuthToken: [] }],
  consent: [
    { appKeys: [], userId: [] },
    { applicationId: [], orgAppKeys: [], userId: [] },
    { applicationId: [], devUserToken: [], userId: [] },
    { applicationId: [], userToken: [] }
  ]
}

/**
 * Operations whose alternatives in the spec differ from their group's: the generated document
 * carries the spec's. The simulator keeps to the group's, which are stricter here: without an
 * `applicationId` (or a token) the spec's lone alternatives name no application or no user.
 */
const securityOfOperation: Record<string, ReadonlyArray<Readonly<Record<string, ReadonlyArray<string>>>>> = {
  deleteAccount: [{ orgAppKeys: [] }, { devUserToken: [] }, { appKeys: [] }],
  userChangePassWord: [{ userToken: [] }, { applicationId: [] }],
  getAccountStatusbyUserToken: [{ userToken: [] }, { applicationId: [] }]
}

/** Operations whose body the spec marks required; every other body is optional there. */
const requiredBodies: ReadonlySet<string> = new Set([
  "usernamelogin",
  "generateOAuthorizationCode",
  "exchangeAuthorizationCodeWithAccess"
])

type Json = Record<string, any>

/** Drops `additionalProperties: false` everywhere: the spec's objects are open. */
const openObjects = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(openObjects)
  if (typeof value !== "object" || value === null) return value
  const out: Json = {}
  for (const [k, v] of Object.entries(value)) {
    if (k === "additionalProperties" && v === false) continue
    out[k] = openObjects(v)
  }
  return out
}

const decodeErrorRef = "#/components/schemas/HttpApiDecodeError"

/**
 * What `OpenApi.fromApi` cannot say from an `HttpApi` in 0.97, added to the generated document:
 * the spec's security alternatives per group (the derived client and server cannot express AND
 * combinations, so the groups carry them as data), optional request bodies (it marks every body
 * required), open objects (it closes every struct), and the 400 each operation really answers
 * (the spec's `{"error": ...}`, never the built-in `HttpApiDecodeError`; none for operations that
 * declare no 400).
 */
const specDocument = (spec: Json): Json => {
  const paths: Json = {}
  for (const [path, item] of Object.entries(spec.paths as Json)) {
    const ops: Json = {}
    for (const [method, op] of Object.entries(item as Json)) {
      const group = String(op.tags?.[0] ?? "public")
      const name = String(op.operationId).split(".").pop()!
      const responses: Json = { ...op.responses }
      const badRequest = responses["400"]?.content?.["application/json"]?.schema
      if (badRequest !== undefined) {
        const alternatives: Array<Json> = badRequest.anyOf ?? [badRequest]
        const own = alternatives.filter((s) => s.$ref !== decodeErrorRef)
        if (own.length === 0) delete responses["400"]
        else {
          responses["400"] = {
            ...responses["400"],
            description: own.length === 1 && own[0]!.$ref !== undefined ? "MissingElementsError" : responses["400"].description,
            content: { "application/json": { schema: own.length === 1 ? own[0] : { anyOf: own } } }
          }
        }
      }
      ops[method] = {
        ...op,
        security: securityOfOperation[name] ?? securityOf[group] ?? [],
        responses,
        ...(op.requestBody === undefined ? {} : { requestBody: { ...op.requestBody, required: requiredBodies.has(name) } })
      }
    }
    paths[path] = ops
  }
  const { HttpApiDecodeError: _d, Issue: _i, PropertyKey: _p, ...schemas } = spec.components.schemas as Json
  return openObjects({
    ...spec,
    paths,
    components: { ...spec.components, schemas, securitySchemes: { ...spec.components.securitySchemes, ...securitySchemes } }
  }) as Json
}

/**
 * The whole User System API (the `/register`, `/user*` and `/auth*` paths), under
 * {@link basePath}. `OpenApi.fromApi(GlowmarktApi)` is the contract as we read it from the spec:
 * its security alternatives, optional bodies and open objects included.
 *
 * @category models
 * @since 0.1.0
 */
export class GlowmarktApi extends HttpApi.make("glowmarkt")
  .add(PublicGroup)
  .add(AdminGroup)
  .add(SessionGroup)
  .add(AccountAdminGroup)
  .add(AccountSessionGroup)
  .add(UserTokensGroup)
  .add(OAuthPublicGroup)
  .add(OAuthAccessGroup)
  .add(ConsentGroup)
  .prefix(basePath)
  .annotate(OpenApi.Transform, specDocument)
{}

type GroupsOf<Api> = Api extends HttpApi.HttpApi<infer _Id, infer Groups, infer _E, infer _R> ? Groups : never

/**
 * The operations of the User System, by their swagger operationId: the names of the endpoints
 * declared above, so an endpoint added to the declaration is an operation everywhere (its
 * retry rule and error policy must then be written, or the package does not compile).
 *
 * @category operations
 * @since 0.1.0
 */
export type OperationId = HttpApiEndpoint.HttpApiEndpoint.Name<
  HttpApiGroup.HttpApiGroup.Endpoints<GroupsOf<typeof GlowmarktApi>>
>

/**
 * Every {@link OperationId}, read off the declaration, in declaration order.
 *
 * @category operations
 * @since 0.1.0
 */
export const operationIds: readonly [OperationId, ...Array<OperationId>] = (() => {
  const out: Array<OperationId> = []
  HttpApi.reflect(GlowmarktApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint }) => {
      out.push(endpoint.name as OperationId)
    }
  })
  return out as unknown as readonly [OperationId, ...Array<OperationId>]
})()
