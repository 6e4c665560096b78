/**
 * The library's `Users` as the no-network benchmarks run it (`micro.ts`, `idle.ts`): on a given
 * `HttpClient`, with the benchmarks' application, directory and credentials.
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

/** `Users` on `client`, its runtime (to dispose), an admin credential and a password. */
export const libraryOn = async (client: HttpClient.HttpClient, baseUrl: string) => {
  const runtime = ManagedRuntime.make(
    Users.layer.pipe(
      Layer.provide(GlowmarktConfig.layer({
        baseUrl,
        applicationId: "b0f1b774-a586-4f72-9edd-27ead8aa7a8d",
        directoryId: "d6f1a2b3-c4d5-4e6f-8a9b-0c1d2e3f4a5b"
      })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
    )
  )
  const users = await runtime.runPromise(Users.Users)
  const credential = Either.getOrThrow(Credentials.AdminCredential.appKeys({ keyId: "k", secret: "s" }))
  const password = Redacted.make("correct horse battery staple")
  return { runtime, users, credential, password }
}
