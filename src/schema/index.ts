/**
 * The wire contract: identifiers, models, the library's errors and the HttpApi
 * declaration. Pure data, no I/O.
 *
 * @since 0.1.0
 */
export * as GlowmarktApi from "./GlowmarktApi.js"
export * as GlowmarktError from "./GlowmarktError.js"
export * as Identifiers from "./Identifiers.js"
export * as Models from "./Models.js"
export * as AccountModels from "./AccountModels.js"
export * as ConsentModels from "./ConsentModels.js"
export * as OAuthModels from "./OAuthModels.js"

