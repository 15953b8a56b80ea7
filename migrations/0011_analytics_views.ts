// Analytics the dashboards read without aggregating live tables: one row per project, refreshed by the
// analytics_refresh job (daily) with REFRESH MATERIALIZED VIEW CONCURRENTLY, so readers are never blocked.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // Audit figures are those of the head version's resolutions; a head not audited yet shows zeros and the last
  // version that was audited.
  yield* sql`
    CREATE MATERIALIZED VIEW project_analytics AS
    SELECT
      p.id AS project_id,
      p.current_version,
      p.total_cost,
      (SELECT count(*) FROM positions pos WHERE pos.project_id = p.id AND pos.valid_to IS NULL) AS position_count,
      (SELECT count(*) FROM budget_versions v WHERE v.project_id = p.id) AS version_count,
      (SELECT count(*) FROM project_documents d WHERE d.project_id = p.id) AS document_count,
      (SELECT max(a.version) FROM audit_results a WHERE a.project_id = p.id AND a.kind = 'resolution')
        AS last_audited_version,
      coalesce(r.green, 0) AS green_count,
      coalesce(r.amber, 0) AS amber_count,
      coalesce(r.red, 0) AS red_count,
      coalesce(r.needs_review, 0) AS needs_review_count,
      (SELECT count(*) FROM background_jobs j WHERE j.project_id = p.id AND j.status = 'failed') AS failed_job_count,
      now() AS refreshed_at
    FROM projects p
    LEFT JOIN LATERAL (
      SELECT
        count(*) FILTER (WHERE a.verdict = 'GREEN') AS green,
        count(*) FILTER (WHERE a.verdict = 'AMBER') AS amber,
        count(*) FILTER (WHERE a.verdict = 'RED') AS red,
        count(*) FILTER (WHERE a.needs_review) AS needs_review
      FROM audit_results a
      WHERE a.project_id = p.id AND a.version = p.current_version AND a.kind = 'resolution'
    ) r ON true
    WHERE p.archived_at IS NULL`
  // REFRESH ... CONCURRENTLY needs a unique index without a WHERE clause.
  yield* sql`CREATE UNIQUE INDEX project_analytics_project_id_key ON project_analytics (project_id)`
})
