// The project chat: what people asked, what the assistant answered, and which version a command produced.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // user_id is null for assistant and system messages, and after the author's account is deleted.
  yield* sql`
    CREATE TABLE chat_history (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      user_id uuid REFERENCES users (id) ON DELETE SET NULL,
      role text NOT NULL CHECK (role IN ('user', 'assistant', 'system')),
      content text NOT NULL,
      command jsonb,
      result_version integer,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX chat_history_project_id_created_at_idx ON chat_history (project_id, created_at)`
})
