/**
 * effect-glowmarkt: the Glowmarkt (Hildebrand Glow) User System API as typed Effect services.
 *
 * @since 0.1.0
 */
export * as GlowmarktApi from "./schema/GlowmarktApi.js"
export * as GlowmarktError from "./schema/GlowmarktError.js"
export * as Identifiers from "./schema/Identifiers.js"
export * as Models from "./schema/Models.js"
export * as AccountModels from "./schema/AccountModels.js"
export * as ConsentModels from "./schema/ConsentModels.js"
export * as OAuthModels from "./schema/OAuthModels.js"

export * as Accounts from "./services/Accounts.js"
export * as Auth from "./services/Auth.js"
export * as Consent from "./services/Consent.js"
export * as OAuth from "./services/OAuth.js"
export * as OAuthSession from "./services/OAuthSession.js"
export * as Tokens from "./services/Tokens.js"
export * as Credentials from "./services/Credentials.js"
export * as Glowmarkt from "./services/Glowmarkt.js"
export * as GlowmarktConfig from "./services/GlowmarktConfig.js"
export * as Session from "./services/Session.js"
export * as Users from "./services/Users.js"

export * as BulkImport from "./workflows/BulkImport.js"
export * as CodeSource from "./workflows/CodeSource.js"
export * as Offboarding from "./workflows/Offboarding.js"
export * as Onboarding from "./workflows/Onboarding.js"
export * as Provisioning from "./workflows/Provisioning.js"
export * as CodePolicy from "./workflows/CodePolicy.js"
export * as FlowError from "./workflows/FlowError.js"

export {
  AccessDeniedError,
  AlreadyVerifiedError,
  BadRequestError,
  CodeRejectedError,
  InvalidCredentialsError,
  TokenRejectedError,
  UnknownUserError,
  UsernameTakenError,
  InvalidConfigError,
  InvalidInputError,
  NotFoundError,
  ServerError,
  TransportError,
  UnexpectedResponseError,
  UnexpectedStatusError
} from "./schema/GlowmarktError.js"

export { CodeNotReceivedError, FlowCompletedError, TooManyWrongCodesError } from "./workflows/FlowError.js"
