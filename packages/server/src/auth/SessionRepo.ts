// Rotating refresh tokens: stored hashed, one family per login; reusing a spent token revokes the whole family.
import { createHash, randomBytes } from "node:crypto"
import type { UserId } from "@costline/core"
import { Context, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"

export const REFRESH_TOKEN_DAYS = 30

const hashToken = (token: string) => createHash("sha256").update(token).digest("hex")

export type RotateResult =
  | { readonly _tag: "Rotated"; readonly userId: UserId; readonly refreshToken: string }
  | { readonly _tag: "Rejected"; readonly reason: "unknown" | "expired" | "reused" }

export class SessionRepo extends Context.Service<
  SessionRepo,
  {
    /** Starts a new token family (a login or a registration) and returns its first refresh token. */
    readonly start: (userId: UserId) => Effect.Effect<string>
    readonly rotate: (refreshToken: string) => Effect.Effect<RotateResult>
  }
>()("@costline/server/SessionRepo") {
  static readonly layer = Layer.effect(
    SessionRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const insert = (userId: string, familyId: string | null) =>
        Effect.gen(function* () {
          const token = randomBytes(32).toString("base64url")
          const rows = yield* sql<{ id: string }>`
            INSERT INTO sessions (user_id, family_id, token_hash, expires_at)
            VALUES (${userId}, COALESCE(${familyId}::uuid, gen_random_uuid()), ${hashToken(token)},
                    now() + make_interval(days => ${REFRESH_TOKEN_DAYS}))
            RETURNING id`
          return { token, id: rows[0]!.id }
        })

      const start = Effect.fn("SessionRepo.start")(function* (userId: UserId) {
        return (yield* insert(userId, null).pipe(Effect.orDie)).token
      })

      const rotate = Effect.fn("SessionRepo.rotate")(function* (refreshToken: string) {
        return yield* sql
          .withTransaction(
            Effect.gen(function* () {
              const rows = yield* sql<{
                id: string
                user_id: string
                family_id: string
                revoked_at: Date | null
                expired: boolean
              }>`
                SELECT id, user_id, family_id, revoked_at, expires_at <= now() AS expired
                FROM sessions WHERE token_hash = ${hashToken(refreshToken)} FOR UPDATE`
              const session = rows[0]
              if (session === undefined) return { _tag: "Rejected", reason: "unknown" } as const
              if (session.revoked_at !== null) {
                // A spent token came back: someone holds a copy. End every session of this login.
                yield* sql`UPDATE sessions SET revoked_at = now()
                           WHERE family_id = ${session.family_id} AND revoked_at IS NULL`
                return { _tag: "Rejected", reason: "reused" } as const
              }
              if (session.expired) return { _tag: "Rejected", reason: "expired" } as const
              const next = yield* insert(session.user_id, session.family_id)
              yield* sql`UPDATE sessions SET revoked_at = now(), replaced_by = ${next.id} WHERE id = ${session.id}`
              return { _tag: "Rotated", userId: session.user_id as UserId, refreshToken: next.token } as const
            })
          )
          .pipe(Effect.orDie)
      })

      return SessionRepo.of({ start, rotate })
    })
  )
}
