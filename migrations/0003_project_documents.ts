// Uploaded budget documents: the blob they live in, what the parser made of them, and per-row import problems.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // UNIQUE(project_id, sha256) makes a repeated upload of the same bytes find the existing row instead of a duplicate.
  // sha256 is the lowercase hex digest of the file.
  yield* sql`
    CREATE TABLE project_documents (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      file_name text NOT NULL,
      content_type text NOT NULL,
      size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
      sha256 text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
      blob_key text NOT NULL,
      format text,
      parse_status text NOT NULL DEFAULT 'pending' CHECK (parse_status IN ('pending', 'parsing', 'parsed', 'failed')),
      import_problems jsonb NOT NULL DEFAULT '[]'::jsonb,
      uploaded_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      parsed_at timestamptz,
      CONSTRAINT project_documents_project_id_sha256_key UNIQUE (project_id, sha256)
    )`
})
