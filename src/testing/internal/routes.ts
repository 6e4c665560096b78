/**
 * Which operation a request is for, from its method and path, read off the HttpApi declaration
 * (the router itself does not say): the simulator counts, logs and injects faults per
 * operationId before the router runs.
 *
 * @internal
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiSchema from "@effect/platform/HttpApiSchema"
import { GlowmarktApi } from "../../schema/GlowmarktApi.js"

interface Route {
  readonly method: string
  readonly pattern: RegExp
  readonly static: boolean
  readonly operationId: string
  readonly group: string
  /** The payload is a form (`application/x-www-form-urlencoded`), not JSON. */
  readonly form: boolean
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const routes: ReadonlyArray<Route> = (() => {
  const out: Array<Route> = []
  HttpApi.reflect(GlowmarktApi, {
    onGroup: () => {},
    onEndpoint: ({ endpoint, group }) => {
      const segments = endpoint.path.split("/").map((s) => (s.startsWith(":") ? "[^/]+" : escape(s)))
      out.push({
        method: endpoint.method,
        pattern: new RegExp(`^${segments.join("/")}/?$`),
        static: !endpoint.path.includes(":"),
        operationId: endpoint.name,
        group: group.identifier,
        form: endpoint.payloadSchema._tag === "Some" &&
          HttpApiSchema.getEncoding(endpoint.payloadSchema.value.ast).kind === "UrlParams"
      })
    }
  })
  // Static paths win over parameterised ones, as in the router (`GET /user/verify` is not a user id).
  return out.sort((a, b) => Number(b.static) - Number(a.static))
})()

/** The operation (and its group) of a request, if it is one of the API's. @internal */
export const match = (
  method: string,
  pathname: string
): { readonly operationId: string; readonly group: string; readonly form: boolean } | undefined => {
  const route = routes.find((r) => r.method === method && r.pattern.test(pathname))
  return route === undefined ? undefined : { operationId: route.operationId, group: route.group, form: route.form }
}

/** Every operationId of the declaration. @internal */
export const operationIds: ReadonlyArray<string> = routes.map((r) => r.operationId)
