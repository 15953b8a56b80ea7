// Budget versions and their positions, stored as revision rows so a version with k changes writes O(k) rows (DESIGN §5).
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // UNIQUE(project_id, version) backs the single-writer rule: two writers racing for the same next version cannot both
  // commit. parent_version points at the version this one was derived from (for a restore: the head it replaced).
  yield* sql`
    CREATE TABLE budget_versions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      version integer NOT NULL CHECK (version >= 0),
      parent_version integer CHECK (parent_version < version),
      trigger_type text NOT NULL CHECK (
        trigger_type IN ('initial', 'document_added', 'user_edit', 'chat_modification', 'recalculation', 'restore')
      ),
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      total numeric NOT NULL DEFAULT 0,
      summary jsonb NOT NULL DEFAULT '{}'::jsonb,
      change_summary jsonb NOT NULL DEFAULT '{}'::jsonb,
      delta_cost numeric NOT NULL DEFAULT 0,
      document_id uuid REFERENCES project_documents (id) ON DELETE SET NULL,
      CONSTRAINT budget_versions_project_id_version_key UNIQUE (project_id, version),
      CONSTRAINT budget_versions_parent_fkey FOREIGN KEY (project_id, parent_version)
        REFERENCES budget_versions (project_id, version)
    )`

  // A row is live for versions [valid_from, valid_to); valid_to IS NULL means "still in the head". Version v reads
  //   WHERE project_id = $1 AND valid_from <= v AND (valid_to IS NULL OR valid_to > v)
  // and the diff between versions a < b reads only rows with valid_from or valid_to in (a, b].
  // valid_from / valid_to carry no foreign key to budget_versions: the actor writes the version row and its revisions
  // in one transaction, and the revision model must not depend on insert order inside it.
  yield* sql`
    CREATE TABLE positions (
      id bigserial PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      position_key text NOT NULL CHECK (length(position_key) BETWEEN 1 AND 200),
      valid_from integer NOT NULL CHECK (valid_from >= 0),
      valid_to integer CHECK (valid_to > valid_from),
      object_code text NOT NULL DEFAULT '',
      object_name text NOT NULL DEFAULT '',
      section_code text NOT NULL DEFAULT '',
      number text NOT NULL DEFAULT '',
      code text NOT NULL DEFAULT '',
      catalog text NOT NULL DEFAULT '',
      description text NOT NULL DEFAULT '',
      unit text NOT NULL DEFAULT '',
      quantity numeric NOT NULL,
      unit_price numeric NOT NULL,
      total numeric NOT NULL,
      takeoff jsonb NOT NULL DEFAULT '[]'::jsonb,
      note text NOT NULL DEFAULT '',
      kind text NOT NULL DEFAULT 'work' CHECK (kind IN ('work', 'material')),
      source text NOT NULL CHECK (source IN ('uploaded', 'manual', 'chat', 'generated')),
      source_document_id uuid REFERENCES project_documents (id) ON DELETE SET NULL,
      source_line integer,
      status text NOT NULL DEFAULT 'unaudited' CHECK (status IN ('green', 'amber', 'red', 'unaudited')),
      confidence integer CHECK (confidence BETWEEN 0 AND 100)
    )`
  // At most one live (head) row per key; also the index the head is read through.
  yield* sql`
    CREATE UNIQUE INDEX positions_head_key ON positions (project_id, position_key) WHERE valid_to IS NULL`
  // One revision per key and version.
  yield* sql`
    CREATE UNIQUE INDEX positions_project_id_position_key_valid_from_key
      ON positions (project_id, position_key, valid_from)`
  yield* sql`CREATE INDEX positions_project_id_valid_from_idx ON positions (project_id, valid_from)`
  yield* sql`CREATE INDEX positions_project_id_valid_to_idx ON positions (project_id, valid_to)`
})
