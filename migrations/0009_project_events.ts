// The per-project journal the realtime stream and its resume read from (DESIGN §5).
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // seq is gap-free per project: the writer takes projects.last_event_seq + 1 in the same transaction. The primary key
  // rejects a second writer that took the same number, and serves "events after seq n" as an index range scan.
  yield* sql`
    CREATE TABLE project_events (
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      seq bigint NOT NULL CHECK (seq >= 1),
      type text NOT NULL,
      payload jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, seq)
    )`
})
