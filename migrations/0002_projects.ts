// Projects and who may see them: the project row carries the head's counters, members carry the roles (DESIGN §8).
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // current_version, last_event_seq, the status counts and total_cost are written by the project's actor in the same
  // transaction as the version / event they describe, so listing projects never has to aggregate positions.
  // settings holds rounding, currency and audit policy; '{}' means "the defaults" and the core fills them in.
  yield* sql`
    CREATE TABLE projects (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL CHECK (length(name) > 0),
      description text NOT NULL DEFAULT '',
      owner_id uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      archived_at timestamptz,
      current_version integer NOT NULL DEFAULT 0 CHECK (current_version >= 0),
      last_event_seq bigint NOT NULL DEFAULT 0 CHECK (last_event_seq >= 0),
      green_count integer NOT NULL DEFAULT 0 CHECK (green_count >= 0),
      amber_count integer NOT NULL DEFAULT 0 CHECK (amber_count >= 0),
      red_count integer NOT NULL DEFAULT 0 CHECK (red_count >= 0),
      unaudited_count integer NOT NULL DEFAULT 0 CHECK (unaudited_count >= 0),
      total_cost numeric NOT NULL DEFAULT 0,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(settings) = 'object')
    )`
  yield* sql`CREATE INDEX projects_owner_id_idx ON projects (owner_id)`

  yield* sql`
    CREATE TABLE project_members (
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('owner', 'editor', 'auditor', 'viewer')),
      added_at timestamptz NOT NULL DEFAULT now(),
      added_by uuid REFERENCES users (id) ON DELETE SET NULL,
      PRIMARY KEY (project_id, user_id)
    )`
  // "Which projects may this user see" is the hot authorization query.
  yield* sql`CREATE INDEX project_members_user_id_idx ON project_members (user_id)`
})
