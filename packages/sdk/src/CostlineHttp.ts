// The HTTP half of the client: the typed HttpApiClient for CostlineApi over fetch (browsers, Node 22, Deno), with the
// bearer token read from the caller's current token on every request.
import { Authentication } from "@costline/core/contracts/Authentication"
import { CostlineApi } from "@costline/core/contracts/HttpApi"
import { Effect, Layer } from "effect"
import { FetchHttpClient, HttpClientRequest } from "effect/http"
import { HttpApiClient, HttpApiMiddleware } from "effect/http-api"

/** The typed client of every HTTP endpoint: `api.projects.get({ params: { id } })`, `api.auth.login({ payload })`… */
export type CostlineHttpApi = HttpApiClient.ForApi<typeof CostlineApi>

export interface HttpApiOptions {
  /** e.g. "https://costline.example.com" or "http://127.0.0.1:8080". */
  readonly baseUrl: string
  /** The access token to send; undefined sends none (register, login, refresh need none). */
  readonly token: Effect.Effect<string | undefined>
}

/**
 * Builds the typed HTTP client. Its errors are the raw client errors: wrap calls in `withCostlineErrors` to type them.
 * `CostlineClient` already holds one (`client.http`); build your own for token-less calls such as the health probe.
 *
 * @example
 * ```ts
 * import { makeHttpApi, withCostlineErrors } from "@costline/sdk"
 * import { Effect } from "effect"
 *
 * const health = Effect.gen(function* () {
 *   const api = yield* makeHttpApi({ baseUrl: "http://127.0.0.1:8080", token: Effect.succeed(undefined) })
 *   return yield* api.health().pipe(withCostlineErrors("health"))
 * })
 * ```
 */
export const makeHttpApi = (options: HttpApiOptions): Effect.Effect<CostlineHttpApi> =>
  HttpApiClient.make(CostlineApi, { baseUrl: options.baseUrl.replace(/\/+$/, "") }).pipe(
    Effect.provide(
      Layer.mergeAll(
        FetchHttpClient.layer,
        HttpApiMiddleware.layerClient(Authentication, ({ next, request }) =>
          Effect.flatMap(options.token, (token) =>
            next(token === undefined ? request : HttpClientRequest.bearerToken(request, token))
          )
        )
      )
    )
  )
