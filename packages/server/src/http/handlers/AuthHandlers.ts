// Registration, login and refresh over HTTP.
import { CostlineApi } from "@costline/core"
import { Effect } from "effect"
import { HttpApiBuilder } from "effect/http-api"
import { AuthService } from "../../auth/AuthService.ts"

export const AuthHandlers = HttpApiBuilder.group(
  CostlineApi,
  "auth",
  Effect.fnUntraced(function* (handlers) {
    const auth = yield* AuthService
    return handlers
      .handle("register", ({ payload }) => auth.register(payload))
      .handle("login", ({ payload }) => auth.login(payload))
      .handle("refresh", ({ payload }) => auth.refresh(payload.refreshToken))
  })
)
