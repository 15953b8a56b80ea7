// Users and the authentication payloads (register, login, refresh).
import { Schema } from "effect"
import { UserId } from "./Ids.ts"

export const Email = Schema.String.check(
  Schema.isMaxLength(254),
  Schema.isPattern(/^[^\s@]+@[^\s@]+\.[^\s@]+$/, { message: "expected an email address such as jana@example.com" })
)

export const User = Schema.Struct({
  id: UserId,
  email: Schema.String,
  fullName: Schema.String,
  createdAt: Schema.String
})
export type User = typeof User.Type

export const RegisterPayload = Schema.Struct({
  email: Email,
  password: Schema.String.check(
    Schema.isMinLength(8, { message: "the password needs at least 8 characters" }),
    Schema.isMaxLength(256, { message: "the password may have at most 256 characters" })
  ),
  fullName: Schema.String.check(
    Schema.isMinLength(1, { message: "fullName must not be empty" }),
    Schema.isMaxLength(200)
  )
})
export type RegisterPayload = typeof RegisterPayload.Type

export const LoginPayload = Schema.Struct({
  email: Schema.String.check(Schema.isMaxLength(254)),
  password: Schema.String.check(Schema.isMaxLength(256))
})
export type LoginPayload = typeof LoginPayload.Type

export const RefreshPayload = Schema.Struct({
  refreshToken: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(512))
})

export const AuthResponse = Schema.Struct({
  user: User,
  accessToken: Schema.String,
  refreshToken: Schema.String,
  /** Seconds until the access token expires. */
  expiresIn: Schema.Number
})
export type AuthResponse = typeof AuthResponse.Type
