// Accounts and their credentials: users, rotating refresh-token sessions and hashed API keys (DESIGN §8).
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  yield* sql`
    CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL CHECK (length(email) BETWEEN 3 AND 254),
      password_hash text NOT NULL,
      full_name text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      last_login_at timestamptz,
      disabled_at timestamptz
    )`
  // lower() instead of citext: citext is an extension PGlite has to load separately, and both profiles share one schema.
  // Look users up with `WHERE lower(email) = lower($1)` so this index serves the query.
  yield* sql`CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email))`

  // One row per refresh token. A rotation sets revoked_at + replaced_by on the old row and inserts the new one in the
  // same family; presenting a revoked token revokes the whole family (reuse detection).
  yield* sql`
    CREATE TABLE sessions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      family_id uuid NOT NULL,
      token_hash text NOT NULL UNIQUE,
      expires_at timestamptz NOT NULL,
      revoked_at timestamptz,
      replaced_by uuid REFERENCES sessions (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      user_agent text,
      ip text
    )`
  yield* sql`CREATE INDEX sessions_user_id_idx ON sessions (user_id)`
  yield* sql`CREATE INDEX sessions_family_id_idx ON sessions (family_id)`
  // The cleanup job deletes expired sessions by this column.
  yield* sql`CREATE INDEX sessions_expires_at_idx ON sessions (expires_at)`

  // The key is shown once; we keep its public prefix (to find the row) and a hash of the secret part.
  yield* sql`
    CREATE TABLE api_keys (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      prefix text NOT NULL UNIQUE,
      key_hash text NOT NULL,
      name text NOT NULL,
      scopes text[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      last_used_at timestamptz,
      revoked_at timestamptz,
      expires_at timestamptz
    )`
  yield* sql`CREATE INDEX api_keys_user_id_idx ON api_keys (user_id)`
})
