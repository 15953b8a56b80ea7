// Registration, login and token refresh: the rules of who gets which tokens. Storage is UserRepo's and SessionRepo's.
import {
  type AuthResponse,
  Conflict,
  type LoginPayload,
  type RegisterPayload,
  Unauthorized,
  type User
} from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { PasswordHasher } from "./PasswordHasher.ts"
import { SessionRepo } from "./SessionRepo.ts"
import { ACCESS_TOKEN_SECONDS, TokenService } from "./TokenService.ts"
import { UserRepo } from "./UserRepo.ts"

const BAD_CREDENTIALS = "email or password is wrong; check both, or register first at POST /api/v1/auth/register"

export class AuthService extends Context.Service<
  AuthService,
  {
    readonly register: (payload: RegisterPayload) => Effect.Effect<AuthResponse, Conflict>
    readonly login: (payload: LoginPayload) => Effect.Effect<AuthResponse, Unauthorized>
    readonly refresh: (refreshToken: string) => Effect.Effect<AuthResponse, Unauthorized>
  }
>()("@costline/server/AuthService") {
  static readonly layer = Layer.effect(
    AuthService,
    Effect.gen(function* () {
      const users = yield* UserRepo
      const sessions = yield* SessionRepo
      const hasher = yield* PasswordHasher
      const tokens = yield* TokenService

      const respond = Effect.fnUntraced(function* (user: User, refreshToken: string) {
        const accessToken = yield* tokens.issueAccessToken(user)
        return { user, accessToken, refreshToken, expiresIn: ACCESS_TOKEN_SECONDS } satisfies AuthResponse
      })

      const register = Effect.fn("AuthService.register")(function* (payload: RegisterPayload) {
        const passwordHash = yield* hasher.hash(payload.password)
        const created = yield* users.create({
          email: payload.email.trim(),
          passwordHash,
          fullName: payload.fullName.trim()
        })
        if (Option.isNone(created)) {
          return yield* new Conflict({
            message: "an account with this email already exists; log in instead, or use another email",
            field: "email"
          })
        }
        return yield* respond(created.value, yield* sessions.start(created.value.id))
      })

      const login = Effect.fn("AuthService.login")(function* (payload: LoginPayload) {
        const found = yield* users.findByEmail(payload.email.trim())
        if (Option.isNone(found)) {
          yield* hasher.verifyDummy(payload.password)
          return yield* new Unauthorized({ message: BAD_CREDENTIALS })
        }
        if (!(yield* hasher.verify(found.value.passwordHash, payload.password))) {
          return yield* new Unauthorized({ message: BAD_CREDENTIALS })
        }
        yield* users.touchLogin(found.value.user.id)
        return yield* respond(found.value.user, yield* sessions.start(found.value.user.id))
      })

      const refresh = Effect.fn("AuthService.refresh")(function* (refreshToken: string) {
        const rotated = yield* sessions.rotate(refreshToken)
        if (rotated._tag === "Rejected") {
          return yield* new Unauthorized({
            message:
              rotated.reason === "reused"
                ? "this refresh token was already used, so every session of this login was ended; log in again"
                : "the refresh token is unknown or expired; log in again"
          })
        }
        const user = yield* users.findById(rotated.userId)
        if (Option.isNone(user)) return yield* new Unauthorized({ message: "the account no longer exists" })
        return yield* respond(user.value, rotated.refreshToken)
      })

      return AuthService.of({ register, login, refresh })
    })
  )
}
