/**
 * Flows composed from the services: register then verify, password reset, admin provisioning,
 * bulk import; and the `CodeSource` they wait on for emailed codes.
 *
 * @since 0.1.0
 */
export * as BulkImport from "./BulkImport.js"
export * as CodeSource from "./CodeSource.js"
export * as Offboarding from "./Offboarding.js"
export * as Onboarding from "./Onboarding.js"
export * as Provisioning from "./Provisioning.js"
export * as CodePolicy from "./CodePolicy.js"
export * as FlowError from "./FlowError.js"
