// cleanup and analytics_refresh against real PostgreSQL, and the window ids of the recurring jobs: cleanup removes
// only what is expired or beyond retention (never a project's newest event, never a live session); the analytics view
// reflects the projects after a refresh.
import type { ProjectId } from "@costline/core"
import { makeAnalyticsRefresh } from "@costline/server/jobs/processors/AnalyticsRefresh"
import { makeAuditProject } from "@costline/server/jobs/processors/AuditProject"
import { makeCleanup } from "@costline/server/jobs/processors/Cleanup"
import { daily, hourly, recurringJobId, recurringJobs } from "@costline/server/jobs/processors/RecurringJobs"
import { assert, describe, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { importVerbatim, newProject, position, processorLayer, runProcessor } from "./processorHarness.ts"

const seedEvents = (projectId: ProjectId, ages: ReadonlyArray<number>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const [index, days] of ages.entries()) {
      yield* sql`
        INSERT INTO project_events (project_id, seq, type, payload, created_at)
        VALUES (${projectId}, ${index + 1}, 'JobProgress', '{}'::jsonb, now() - make_interval(days => ${days}))`
    }
    yield* sql`UPDATE projects SET last_event_seq = ${ages.length} WHERE id = ${projectId}`
  }).pipe(Effect.orDie)

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("housekeeping", (it) => {
  it.effect("cleanup deletes expired cache rows, old journal entries but each project's newest, expired sessions", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { projectId, userId } = yield* newProject
      const other = yield* newProject
      // seq 1–2 are old, 3 is recent; the other project has only old events, the newest must stay.
      yield* seedEvents(projectId, [200, 100, 1])
      yield* seedEvents(other.projectId, [300, 200])
      yield* sql`
        INSERT INTO kb_cache (key, value, expires_at) VALUES
          ('expired', '1'::jsonb, now() - interval '1 hour'),
          ('fresh', '1'::jsonb, now() + interval '1 hour'),
          ('forever', '1'::jsonb, NULL)`.pipe(Effect.orDie)
      const family = crypto.randomUUID()
      yield* sql`
        INSERT INTO sessions (user_id, family_id, token_hash, expires_at, revoked_at) VALUES
          (${userId}, ${family}, 'expired', now() - interval '1 day', NULL),
          (${userId}, ${family}, 'revoked-but-live', now() + interval '1 day', now()),
          (${userId}, ${family}, 'live', now() + interval '1 day', NULL)`.pipe(Effect.orDie)

      // Jobs: finished 40 days ago (goes), finished yesterday (stays), queued 40 days ago and never finished (stays).
      yield* sql`
        INSERT INTO background_jobs (id, type, status, created_at, finished_at) VALUES
          ('old-finished', 'cleanup', 'completed', now() - interval '41 days', now() - interval '40 days'),
          ('old-failed', 'cleanup', 'failed', now() - interval '41 days', now() - interval '40 days'),
          ('recent-finished', 'cleanup', 'cancelled', now() - interval '2 days', now() - interval '1 day'),
          ('old-queued', 'cleanup', 'queued', now() - interval '40 days', NULL)`.pipe(Effect.orDie)

      const processor = yield* makeCleanup({ retentionDays: 90, jobRetentionDays: 30 })
      const { result } = yield* runProcessor(processor, {
        id: "cleanup",
        type: "cleanup",
        projectId: null,
        payload: {}
      })
      assert.deepStrictEqual(result, {
        kbCache: 1,
        projectEvents: 3,
        sessions: 1,
        jobs: 2,
        retentionDays: 90,
        jobRetentionDays: 30
      })
      const jobs = yield* sql<{ id: string }>`
        SELECT id FROM background_jobs WHERE id IN ('old-finished', 'old-failed', 'recent-finished', 'old-queued')
        ORDER BY id`.pipe(Effect.orDie)
      assert.deepStrictEqual(
        jobs.map((row) => row.id),
        ["old-queued", "recent-finished"]
      )

      const seqs = yield* sql<{ project_id: string; seq: string }>`
        SELECT project_id, seq FROM project_events WHERE project_id IN (${projectId}, ${other.projectId})
        ORDER BY project_id, seq`.pipe(Effect.orDie)
      assert.deepStrictEqual(
        seqs.filter((row) => row.project_id === projectId).map((row) => Number(row.seq)),
        [3]
      )
      assert.deepStrictEqual(
        seqs.filter((row) => row.project_id === other.projectId).map((row) => Number(row.seq)),
        [2]
      )
      const keys = yield* sql<{ key: string }>`SELECT key FROM kb_cache ORDER BY key`.pipe(Effect.orDie)
      assert.deepStrictEqual(
        keys.map((row) => row.key),
        ["forever", "fresh"]
      )
      const tokens = yield* sql<{ token_hash: string }>`
        SELECT token_hash FROM sessions WHERE family_id = ${family} ORDER BY token_hash`.pipe(Effect.orDie)
      assert.deepStrictEqual(
        tokens.map((row) => row.token_hash),
        ["live", "revoked-but-live"]
      )

      // Nothing left: a second run deletes nothing.
      const again = yield* runProcessor(processor, { id: "cleanup", type: "cleanup", projectId: null, payload: {} })
      assert.deepInclude(again.result as object, { kbCache: 0, projectEvents: 0, sessions: 0 })
    })
  )

  it.effect("analytics_refresh brings the project view up to date with versions and audits", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { projectId, userId } = yield* newProject
      yield* importVerbatim(projectId, userId, [position("a"), position("b")])
      const audit = yield* makeAuditProject
      yield* runProcessor(audit, { id: "audit", type: "audit_project", projectId, payload: { version: 1 } })

      const refresh = yield* makeAnalyticsRefresh
      const { result } = yield* runProcessor(refresh, {
        id: "analytics",
        type: "analytics_refresh",
        projectId: null,
        payload: {}
      })
      const projects = yield* sql<{ n: string }>`SELECT count(*) AS n FROM projects WHERE archived_at IS NULL`.pipe(
        Effect.orDie
      )
      assert.deepStrictEqual(result, { views: [{ name: "project_analytics", rows: Number(projects[0]!.n) }] })
      const [row] = yield* sql<{
        position_count: string
        version_count: string
        last_audited_version: number
        green_count: string
        amber_count: string
        red_count: string
      }>`SELECT * FROM project_analytics WHERE project_id = ${projectId}`.pipe(Effect.orDie)
      assert.strictEqual(Number(row!.position_count), 2)
      assert.strictEqual(Number(row!.version_count), 1)
      assert.strictEqual(Number(row!.last_audited_version), 1)
      assert.strictEqual(Number(row!.green_count) + Number(row!.amber_count) + Number(row!.red_count), 2)
    })
  )
})

describe("recurring jobs", () => {
  it("one job id per window: hourly cleanup, daily analytics", () => {
    const at = new Date("2025-06-01T13:59:59.999Z")
    assert.strictEqual(hourly(at), "2025-06-01T13")
    assert.strictEqual(daily(at), "2025-06-01")
    assert.deepStrictEqual(
      recurringJobs.map((job) => recurringJobId(job, at)),
      ["cleanup:2025-06-01T13", "analytics_refresh:2025-06-01"]
    )
    assert.strictEqual(recurringJobId(recurringJobs[0]!, new Date("2025-06-01T14:00:00Z")), "cleanup:2025-06-01T14")
  })
})
