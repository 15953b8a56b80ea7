// Expert verdicts per position and version, the resolutions drawn from them and the overrides people made (DESIGN §4).
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Rows are appended, never updated in place: an opinion, a resolution (the policy's decision, with its rationale)
  // or an override (a person's decision, with its reason). position_revision_id names the positions row that was
  // judged; once the head row for that key is a different revision, the verdict is stale.
  // role is free text because external experts bring their own roles.
  yield* sql`
    CREATE TABLE audit_results (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
      version integer NOT NULL,
      position_key text NOT NULL,
      role text NOT NULL,
      verdict text NOT NULL CHECK (verdict IN ('GREEN', 'AMBER', 'RED')),
      confidence integer NOT NULL CHECK (confidence BETWEEN 0 AND 100),
      reasoning text NOT NULL DEFAULT '',
      issues jsonb NOT NULL DEFAULT '[]'::jsonb,
      evidence jsonb,
      conflicts_with jsonb,
      kind text NOT NULL DEFAULT 'opinion' CHECK (kind IN ('opinion', 'resolution', 'override')),
      rationale text,
      needs_review boolean NOT NULL DEFAULT false,
      overridden_by uuid REFERENCES users (id) ON DELETE SET NULL,
      override_reason text,
      position_revision_id bigint REFERENCES positions (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      CONSTRAINT audit_results_version_fkey FOREIGN KEY (project_id, version)
        REFERENCES budget_versions (project_id, version) ON DELETE CASCADE,
      CONSTRAINT audit_results_override_reason_check CHECK (kind <> 'override' OR override_reason IS NOT NULL)
    )`
  yield* sql`CREATE INDEX audit_results_project_id_version_idx ON audit_results (project_id, version)`
  yield* sql`CREATE INDEX audit_results_project_id_position_key_idx ON audit_results (project_id, position_key)`
  // Lets deleting a positions row (only ever through a project cascade) find its verdicts without a scan.
  yield* sql`CREATE INDEX audit_results_position_revision_id_idx ON audit_results (position_revision_id)`
})
