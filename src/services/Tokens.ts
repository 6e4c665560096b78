/**
 * The tokens issued for a user (JWTs and OAuth tokens): list them, revoke one by id.
 *
 * | operationId       | method   | needs         |
 * |-------------------|----------|---------------|
 * | `getTokenOfUser`  | `list`   | `UserSession` |
 * | `deleteTokenById` | `revoke` | `UserSession` |
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { UnexpectedResponseError } from "../schema/GlowmarktError.js"
import { type TokenDocument, TokenId } from "../schema/OAuthModels.js"
import { type Clients, ClientsService, clientsLayer, makeClients } from "./internal/client.js"
import type { OperationError } from "./internal/edge.js"
import { decodeInput } from "./internal/input.js"
import { sessionCall } from "./internal/session.js"
import type { SessionError, UserSession } from "./Session.js"

/**
 * What the token calls can fail with (each method: its operation's errors, and the session's):
 * a refused value (400: an id that is not one of the user's tokens), the user's token was
 * refused, the session got no token.
 *
 * @category errors
 * @since 0.1.0
 */
export type TokensError = OperationError<"getTokenOfUser" | "deleteTokenById"> | SessionError

/**
 * The user's tokens.
 *
 * @since 0.1.0
 */
export interface Service {
  /** `GET /auth/token` (getTokenOfUser): the user's tokens that are still valid (never the tokens themselves). */
  readonly list: () => Effect.Effect<ReadonlyArray<TokenDocument>, OperationError<"getTokenOfUser"> | SessionError, UserSession>
  /** `DELETE /auth/token/{tokenId}` (deleteTokenById): revokes one; revoking it again succeeds. */
  readonly revoke: (tokenId: string) => Effect.Effect<void, OperationError<"deleteTokenById"> | SessionError, UserSession>
}

/**
 * The Tokens service.
 *
 * @since 0.1.0
 */
export class Tokens extends Context.Tag("effect-glowmarkt/Tokens")<Tokens, Service>() {}

const TokenIdInput = Schema.Struct({ tokenId: TokenId })

/** Builds the service from derived clients. */
const fromClients = (clients: Clients): Service => ({
  list: () => sessionCall("getTokenOfUser", clients, clients.userTokens.getTokenOfUser()),
  revoke: (tokenId) =>
    Effect.gen(function*() {
      const path = yield* decodeInput("deleteTokenById", TokenIdInput, { tokenId })
      const res = yield* sessionCall("deleteTokenById", clients, clients.userTokens.deleteTokenById({ path }))
      const answers = Array.isArray(res) ? res : [res]
      if (answers.some((a) => !a.valid)) {
        return yield* new UnexpectedResponseError({ operation: "deleteTokenById", status: 200, problem: "valid: false in a success answer" })
      }
    })
})

/**
 * Builds the service from the configured `HttpClient`.
 *
 * @since 0.1.0
 */
export const make = Effect.map(makeClients, fromClients)

/**
 * The service, on `GlowmarktConfig` and an `HttpClient`.
 *
 * @since 0.1.0
 */
export const layer = Layer.effect(Tokens, Effect.map(ClientsService, fromClients)).pipe(Layer.provide(clientsLayer))
