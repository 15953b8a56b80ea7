// Every background job, whichever runner executes it: BullMQ in production, the in-process runner when embedded.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // id is text so callers may use deterministic ids ("recalculate:<project>:<version>") and enqueue idempotently.
  // type is not checked here: new job types must not need a migration.
  yield* sql`
    CREATE TABLE background_jobs (
      id text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 200),
      project_id uuid REFERENCES projects (id) ON DELETE CASCADE,
      type text NOT NULL,
      queue text NOT NULL DEFAULT 'default' CHECK (queue IN ('high', 'default', 'low')),
      priority integer NOT NULL DEFAULT 0,
      status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'completed', 'failed', 'cancelled')),
      progress double precision NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 1),
      message text NOT NULL DEFAULT '',
      step integer NOT NULL DEFAULT 0 CHECK (step >= 0),
      total_steps integer NOT NULL DEFAULT 0 CHECK (total_steps >= 0),
      attempts integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
      max_attempts integer NOT NULL DEFAULT 3 CHECK (max_attempts >= 1),
      payload jsonb NOT NULL DEFAULT '{}'::jsonb,
      result jsonb,
      error jsonb,
      created_by uuid REFERENCES users (id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL DEFAULT now(),
      cancel_requested boolean NOT NULL DEFAULT false
    )`
  yield* sql`CREATE INDEX background_jobs_project_id_created_at_idx ON background_jobs (project_id, created_at DESC)`
  // The embedded runner picks the next job by status, then priority, then age.
  yield* sql`
    CREATE INDEX background_jobs_status_priority_created_at_idx ON background_jobs (status, priority, created_at)`
})
