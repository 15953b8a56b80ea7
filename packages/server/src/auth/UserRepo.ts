// Reads and writes users; the email is unique regardless of case.
import type { User, UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"

export interface UserRow {
  readonly user: User
  readonly passwordHash: string
}

interface Row {
  id: string
  email: string
  full_name: string
  password_hash: string
  created_at: Date | string
}

const toUserRow = (row: Row): UserRow => ({
  user: {
    id: row.id as UserId,
    email: row.email,
    fullName: row.full_name,
    createdAt: new Date(row.created_at).toISOString()
  },
  passwordHash: row.password_hash
})

export class UserRepo extends Context.Service<
  UserRepo,
  {
    /** None when the email is taken. */
    readonly create: (input: {
      readonly email: string
      readonly passwordHash: string
      readonly fullName: string
    }) => Effect.Effect<Option.Option<User>>
    readonly findByEmail: (email: string) => Effect.Effect<Option.Option<UserRow>>
    readonly findById: (id: UserId) => Effect.Effect<Option.Option<User>>
    readonly touchLogin: (id: UserId) => Effect.Effect<void>
  }
>()("@costline/server/UserRepo") {
  static readonly layer = Layer.effect(
    UserRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      return UserRepo.of({
        create: Effect.fn("UserRepo.create")(function* (input) {
          const rows = yield* sql<Row>`
            INSERT INTO users (email, password_hash, full_name)
            VALUES (${input.email}, ${input.passwordHash}, ${input.fullName})
            ON CONFLICT DO NOTHING
            RETURNING id, email, full_name, password_hash, created_at`.pipe(Effect.orDie)
          return Option.map(Option.fromNullishOr(rows[0]), (row) => toUserRow(row).user)
        }),
        findByEmail: Effect.fn("UserRepo.findByEmail")(function* (email) {
          const rows = yield* sql<Row>`
            SELECT id, email, full_name, password_hash, created_at FROM users
            WHERE lower(email) = lower(${email}) AND disabled_at IS NULL`.pipe(Effect.orDie)
          return Option.map(Option.fromNullishOr(rows[0]), toUserRow)
        }),
        findById: Effect.fn("UserRepo.findById")(function* (id) {
          const rows = yield* sql<Row>`
            SELECT id, email, full_name, password_hash, created_at FROM users
            WHERE id = ${id} AND disabled_at IS NULL`.pipe(Effect.orDie)
          return Option.map(Option.fromNullishOr(rows[0]), (row) => toUserRow(row).user)
        }),
        touchLogin: (id) =>
          sql`UPDATE users SET last_login_at = now() WHERE id = ${id}`.pipe(Effect.orDie, Effect.asVoid)
      })
    })
  )
}
