// Checks the bearer token of every authenticated HTTP request and puts the user in context.
import { Authentication, CurrentUser, Unauthorized } from "@costline/core"
import { Effect, Layer, Option, Redacted } from "effect"
import { TokenService } from "../auth/TokenService.ts"

export const AuthenticationLive = Layer.effect(
  Authentication,
  Effect.gen(function* () {
    const tokens = yield* TokenService
    return Authentication.of({
      bearer: Effect.fnUntraced(function* (httpEffect, { credential }) {
        const user = yield* tokens.verifyAccessToken(Redacted.value(credential))
        if (Option.isNone(user)) {
          return yield* new Unauthorized({
            message:
              "missing, expired or invalid access token; send `Authorization: Bearer <accessToken>` from POST /api/v1/auth/login, or refresh it"
          })
        }
        return yield* Effect.provideService(httpEffect, CurrentUser, user.value)
      })
    })
  })
)
