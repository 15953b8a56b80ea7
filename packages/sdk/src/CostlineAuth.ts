// Registration, login and token refresh over HTTP: the calls that need no access token.
import { type AuthResponse, LoginPayload, RefreshPayload, RegisterPayload } from "@costline/core/contracts/User"
import { Context, Effect, Layer } from "effect"
import type { CostlineError } from "./ClientErrors.ts"
import { makeHttpApi } from "./CostlineHttp.ts"
import { withCostlineErrors } from "./toCostlineError.ts"
import { validate } from "./validate.ts"

export interface CostlineAuthOptions {
  /** e.g. "https://costline.example.com". */
  readonly baseUrl: string
}

export class CostlineAuth extends Context.Service<
  CostlineAuth,
  {
    /** Creates an account and logs it in. Fails with Conflict when the email is taken, InvalidRequest on bad input. */
    readonly register: (payload: RegisterPayload) => Effect.Effect<AuthResponse, CostlineError>
    /** Fails with Unauthorized when the email or password is wrong. */
    readonly login: (payload: LoginPayload) => Effect.Effect<AuthResponse, CostlineError>
    /** Trades a refresh token for a new pair; the old refresh token stops working. */
    readonly refresh: (refreshToken: string) => Effect.Effect<AuthResponse, CostlineError>
  }
>()("@costline/sdk/CostlineAuth") {
  /**
   * Builds the auth client.
   *
   * @example
   * ```ts
   * import { CostlineAuth } from "@costline/sdk"
   * import { Effect } from "effect"
   *
   * const session = Effect.gen(function* () {
   *   const auth = yield* CostlineAuth.make({ baseUrl: "http://127.0.0.1:8080" })
   *   return yield* auth.login({ email: "jana@example.com", password: "correct horse" })
   * })
   * ```
   */
  static readonly make = (options: CostlineAuthOptions): Effect.Effect<CostlineAuth["Service"]> =>
    Effect.gen(function* () {
      const api = yield* makeHttpApi({ baseUrl: options.baseUrl, token: Effect.succeed(undefined) })
      return CostlineAuth.of({
        register: (payload) =>
          validate(RegisterPayload)(payload).pipe(
            Effect.flatMap((payload) => api.auth.register({ payload })),
            withCostlineErrors("register")
          ),
        login: (payload) =>
          validate(LoginPayload)(payload).pipe(
            Effect.flatMap((payload) => api.auth.login({ payload })),
            withCostlineErrors("login")
          ),
        refresh: (refreshToken) =>
          validate(RefreshPayload)({ refreshToken }).pipe(
            Effect.flatMap((payload) => api.auth.refresh({ payload })),
            withCostlineErrors("refresh")
          )
      })
    })

  /**
   * The auth client as a layer.
   *
   * @example
   * ```ts
   * import { CostlineAuth } from "@costline/sdk"
   * import { Effect } from "effect"
   *
   * const program = CostlineAuth.use((auth) => auth.refresh(storedRefreshToken)).pipe(
   *   Effect.provide(CostlineAuth.layer({ baseUrl: "http://127.0.0.1:8080" }))
   * )
   * ```
   */
  static readonly layer = (options: CostlineAuthOptions): Layer.Layer<CostlineAuth> =>
    Layer.effect(CostlineAuth, CostlineAuth.make(options))
}
