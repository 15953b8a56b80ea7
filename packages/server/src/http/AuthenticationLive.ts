// Checks the bearer token of every authenticated HTTP request and puts the user in context.
import { Authentication, CurrentUser, Unauthorized } from "@costline/core"
import { Effect, Layer, Option, Redacted, type Types } from "effect"
import type { HttpServerResponse } from "effect/http"
import { TokenService } from "../auth/TokenService.ts"

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const tokens = yield* TokenService
    return Authentication.of({
      // Runs on every authenticated request: plain combinators rather than a generator.
      bearer: (httpEffect, { credential }) =>
        Effect.flatMap(
          tokens.verifyAccessToken(Redacted.value(credential)),
          (user): Effect.Effect<HttpServerResponse.HttpServerResponse, Unauthorized | Types.unhandled> =>
            Option.isSome(user)
              ? Effect.provideService(httpEffect, CurrentUser, user.value)
              : Effect.fail(
                  new Unauthorized({
                    message:
                      "missing, expired or invalid access token; send `Authorization: Bearer <accessToken>` from POST /api/v1/auth/login, or refresh it"
                  })
                )
        )
    })
  })
)
