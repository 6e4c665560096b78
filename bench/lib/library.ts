/**
 * The library's `Users` as the benchmarks run it: on a given `HttpClient`, with the benchmarks'
 * application, directory and credentials. `micro.ts` and `idle.ts` run today's sources;
 * `ab.ts` runs two builds of other commits, each with its own modules.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Credentials from "../../src/services/Credentials.js"
import * as GlowmarktConfig from "../../src/services/GlowmarktConfig.js"
import * as Users from "../../src/services/Users.js"

/** The user every look-up asks for. */
export const userId = "8f0f7d3e-6a0c-4b1e-9d55-2f6c1f4b9a21"

/** The modules of one build of the library (typed as today's sources). */
export interface LibraryModules {
  readonly Users: typeof Users
  readonly Credentials: typeof Credentials
  readonly GlowmarktConfig: typeof GlowmarktConfig
}

/** `Users` of a build on `httpClient`, its runtime (to dispose), an admin credential and a password. */
export const libraryFrom = async (modules: LibraryModules, httpClient: Layer.Layer<HttpClient.HttpClient>, baseUrl: string) => {
  const runtime = ManagedRuntime.make(
    modules.Users.layer.pipe(
      Layer.provide(modules.GlowmarktConfig.layer({
        baseUrl,
        applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
        directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
      })),
      Layer.provide(httpClient)
    )
  )
  const users = await runtime.runPromise(modules.Users.Users)
  const credential = Either.getOrThrow(modules.Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))
  const password = Redacted.make("correct horse battery staple")
  return { runtime, users, credential, password }
}

/** Today's `Users` on `client`. */
export const libraryOn = (client: HttpClient.HttpClient, baseUrl: string) =>
  libraryFrom({ Users, Credentials, GlowmarktConfig }, Layer.succeed(HttpClient.HttpClient, client), baseUrl)
