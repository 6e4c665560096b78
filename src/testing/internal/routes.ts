/**
 * Which operation a request is for, from its method and path, read off the HttpApi declaration
 * (the router itself does not say): the simulator counts, logs and injects faults per
 * operationId before the router runs, answers 405 for a known path with an unknown method, and
 * knows which operations take a JSON body and which declare no 400.
 *
 * @internal
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import * as Option from "effect/Option"
import { GlowmarktApi } from "../../schema/GlowmarktApi.js"

/** What the simulator needs to know of one operation. @internal */
export interface RouteInfo {
  readonly operationId: string
  readonly group: string
  /** The operation takes a (JSON) body. */
  readonly hasPayload: boolean
  /** The operation declares a 400 answer; when it does not, a request it cannot read is a 404. */
  readonly declaresBadRequest: boolean
  /** The payload is a form (`application/x-www-form-urlencoded`), not JSON. */
  readonly form: boolean
}

interface Route extends RouteInfo {
  readonly method: string
  readonly pattern: RegExp
  readonly static: boolean
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const routes: ReadonlyArray<Route> = (() => {
  const out: Array<Route> = []
  HttpApi.reflect(GlowmarktApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, group }) => {
      const segments = endpoint.path.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : escape(s)))
      // The endpoint's own errors (the API-level HttpApiDecodeError is not part of the contract).
      const ast = endpoint.errorSchema.ast
      const errors = ast._tag === "Union" ? ast.types : [ast]
      out.push({
        method: endpoint.method,
        pattern: new RegExp(`^${segments.join("/")}/?$`),
        static: !endpoint.path.includes(":"),
        operationId: endpoint.name,
        group: group.identifier,
        hasPayload: Option.isSome(endpoint.payloadSchema),
        declaresBadRequest: errors.some((e) => HttpApiSchema.getStatusErrorAST(e) === 400),
        form: Option.isSome(endpoint.payloadSchema) &&
          HttpApiSchema.getEncoding(endpoint.payloadSchema.value.ast).kind === "UrlParams"
      })
    }
  })
  // Static paths win over parameterised ones, as in the router (`GET /user/verify` is not a user id).
  return out.sort((a, b) => Number(b.static) - Number(a.static))
})()

const info = ({ declaresBadRequest, form, group, hasPayload, operationId }: Route): RouteInfo => ({
  operationId,
  group,
  hasPayload,
  declaresBadRequest,
  form
})

/** The operation (and its group) of a request, if it is one of the API's. @internal */
export const match = (method: string, pathname: string): RouteInfo | undefined => {
  const route = routes.find((r) => r.method === method && r.pattern.test(pathname))
  return route === undefined ? undefined : info(route)
}

/** The methods declared for a path (empty: the path is unknown). @internal */
export const allowedMethods = (pathname: string): ReadonlyArray<string> => [
  ...new Set(routes.filter((r) => r.pattern.test(pathname)).map((r) => r.method))
].sort()
