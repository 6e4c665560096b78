/**
 * The simulator's one security rule, read off the declaration's table of the spec's
 * alternatives (`GlowmarktApi.securityOf`): a request is authorised by the first alternative
 * whose schemes it all satisfies, whatever else it carries; none satisfied is 401. Public
 * operations have no alternatives and need nothing.
 *
 * @internal
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { securityOf } from "../../schema/GlowmarktApi.js"
import type { CheckedToken, SecurityScheme, UserSystem } from "./state.js"

/** What an authorised request acts as. @internal */
export interface Grant {
  /** The application it acts for (admin and session operations). */
  readonly application: string | undefined
  /** The user's checked token (session operations). */
  readonly session: CheckedToken | undefined
  /**
   * The user the request is about, for the alternatives that name one: the `userId` header
   * (a user with an account in the granted application), or the user of the token.
   */
  readonly subject: { readonly userId: string; readonly applicationId: string } | undefined
}

const header = (request: HttpServerRequest.HttpServerRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return typeof value === "string" ? value : undefined
}

/** The grant of the first satisfied alternative of the group, or `undefined` (401). @internal */
export const authorize = (
  state: UserSystem,
  group: string,
  request: HttpServerRequest.HttpServerRequest,
  now: number
): Grant | undefined => {
  const alternatives = securityOf[group as keyof typeof securityOf] ?? []
  if (alternatives.length === 0) return { application: undefined, session: undefined, subject: undefined }
  const headers = {
    authorization: header(request, "authorization"),
    applicationId: header(request, "applicationid"),
    token: header(request, "token")
  }
  for (const alternative of alternatives) {
    let application: string | undefined
    let session: CheckedToken | undefined
    let satisfied = true
    for (const scheme of Object.keys(alternative) as Array<SecurityScheme>) {
      const granted = state.satisfies(scheme, headers, now)
      if (granted === undefined) {
        satisfied = false
        break
      }
      application = granted.application ?? application
      session = granted.session ?? session
    }
    if (!satisfied) continue
    if ("userId" in alternative) {
      const userId = header(request, "userid")
      if (application === undefined || userId === undefined || !state.userInApp(application, userId)) continue
      return { application, session, subject: { userId, applicationId: application } }
    }
    const subject = session === undefined ? undefined : { userId: session.claims.sub, applicationId: session.claims.applicationId }
    return { application, session, subject }
  }
  return undefined
}
