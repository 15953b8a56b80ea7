// Who did what, for people reviewing a project's history; written alongside the action, read in time order.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Entries outlive what they describe: deleting a project or a user nulls the reference, the entry stays
  // (target_type / target_id still say what it was about).
  yield* sql`
    CREATE TABLE activity_log (
      id bigserial PRIMARY KEY,
      project_id uuid REFERENCES projects (id) ON DELETE SET NULL,
      user_id uuid REFERENCES users (id) ON DELETE SET NULL,
      action text NOT NULL,
      target_type text,
      target_id text,
      details jsonb NOT NULL DEFAULT '{}'::jsonb,
      ip text,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX activity_log_project_id_created_at_idx ON activity_log (project_id, created_at)`
  yield* sql`CREATE INDEX activity_log_user_id_created_at_idx ON activity_log (user_id, created_at)`
})
