// Issues and verifies short-lived access tokens (JWT, HS256 via jose). Refresh tokens are SessionRepo's.
import type { AuthenticatedUser, UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { JwtSecret } from "./JwtSecret.ts"

export const ACCESS_TOKEN_SECONDS = 15 * 60
const ISSUER = "costline"

export class TokenService extends Context.Service<
  TokenService,
  {
    readonly issueAccessToken: (user: { readonly id: UserId; readonly email: string }) => Effect.Effect<string>
    /** None for a missing, malformed, expired or forged token. */
    readonly verifyAccessToken: (token: string) => Effect.Effect<Option.Option<AuthenticatedUser>>
  }
>()("@costline/server/TokenService") {
  static readonly layer = Layer.effect(
    TokenService,
    Effect.gen(function* () {
      const { key } = yield* JwtSecret
      return TokenService.of({
        issueAccessToken: (user) =>
          Effect.promise(() =>
            new SignJWT({ email: user.email })
              .setProtectedHeader({ alg: "HS256" })
              .setSubject(user.id)
              .setIssuer(ISSUER)
              .setIssuedAt()
              .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
              .sign(key)
          ),
        verifyAccessToken: (token) =>
          Effect.promise(() =>
            jwtVerify(token, key, { algorithms: ["HS256"], issuer: ISSUER }).then(
              ({ payload }) =>
                typeof payload.sub === "string" && typeof payload.email === "string"
                  ? Option.some<AuthenticatedUser>({ userId: payload.sub as UserId, email: payload.email })
                  : Option.none(),
              () => Option.none<AuthenticatedUser>()
            )
          )
      })
    })
  )
}
