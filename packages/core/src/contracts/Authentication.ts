// The bearer-token middleware every authenticated HTTP group declares, and the user it puts in context.
import { Context } from "effect"
import { HttpApiMiddleware, HttpApiSecurity } from "effect/http-api"
import { Unauthorized } from "./ApiErrors.ts"
import type { UserId } from "./Ids.ts"

export interface AuthenticatedUser {
  readonly userId: UserId
  readonly email: string
}

export class CurrentUser extends Context.Service<CurrentUser, AuthenticatedUser>()("@costline/core/CurrentUser") {}

export class Authentication extends HttpApiMiddleware.Service<Authentication, { provides: CurrentUser }>()(
  "@costline/core/Authentication",
  {
    requiredForClient: true,
    security: { bearer: HttpApiSecurity.bearer },
    error: Unauthorized
  }
) {}
