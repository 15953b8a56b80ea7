// The cleanup processor (low queue, hourly): deletes expired kb_cache rows, journal entries (project_events) older
// than the retention — never a project's newest event, so its seq keeps counting from the journal — refresh-token
// sessions past their expiry (a revoked token is kept until then: reuse detection needs it), and jobs that finished
// longer ago than the job retention (at thousands of jobs a second the table would otherwise grow without end).
import { Config, Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"

export interface CleanupResult {
  readonly kbCache: number
  readonly projectEvents: number
  readonly sessions: number
  readonly jobs: number
  readonly retentionDays: number
  readonly jobRetentionDays: number
}

/** EVENT_RETENTION_DAYS: how long journal entries are kept (default 90). */
export const retentionDaysConfig: Config.Config<number> = Config.withDefault(Config.Int("EVENT_RETENTION_DAYS"), 90)

/** JOB_RETENTION_DAYS: how long finished jobs (completed, failed, cancelled) stay listable (default 30). */
export const jobRetentionDaysConfig: Config.Config<number> = Config.withDefault(Config.Int("JOB_RETENTION_DAYS"), 30)

// Deleting in batches keeps each statement's locks and WAL short on a large journal.
const BATCH = 5_000

export const makeCleanup = (options: { readonly retentionDays: number; readonly jobRetentionDays: number }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const retentionDays = Math.max(1, Math.trunc(options.retentionDays))
    const jobRetentionDays = Math.max(1, Math.trunc(options.jobRetentionDays))

    /** Repeats a batched DELETE … RETURNING 1 until it deletes nothing; the total it deleted. */
    const drain = (statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>, what: string) =>
      Effect.gen(function* () {
        let total = 0
        while (true) {
          const deleted = yield* statement
          total += deleted.length
          if (deleted.length < BATCH) return total
        }
      }).pipe(retryOnSqlError(`deleting ${what}`))

    const processor: JobProcessor = Effect.fn("Cleanup")(function* (context: JobContext) {
      yield* context.reportProgress({ progress: 0, message: "expired cache entries", step: 1, totalSteps: 4 })
      const kbCache = yield* drain(
        sql`
          DELETE FROM kb_cache WHERE key IN (
            SELECT key FROM kb_cache WHERE expires_at < now() LIMIT ${BATCH})
          RETURNING 1`,
        "expired cache entries"
      )
      yield* context.reportProgress({
        progress: 0.25,
        message: `journal entries older than ${retentionDays} days`,
        step: 2,
        totalSteps: 4
      })
      const projectEvents = yield* drain(
        sql`
          DELETE FROM project_events WHERE (project_id, seq) IN (
            SELECT e.project_id, e.seq FROM project_events e JOIN projects p ON p.id = e.project_id
            WHERE e.created_at < now() - make_interval(days => ${retentionDays}) AND e.seq < p.last_event_seq
            LIMIT ${BATCH})
          RETURNING 1`,
        "old journal entries"
      )
      yield* context.reportProgress({ progress: 0.5, message: "expired sessions", step: 3, totalSteps: 4 })
      const sessions = yield* drain(
        sql`
          DELETE FROM sessions WHERE id IN (
            SELECT id FROM sessions WHERE expires_at < now() LIMIT ${BATCH})
          RETURNING 1`,
        "expired sessions"
      )
      yield* context.reportProgress({
        progress: 0.75,
        message: `jobs finished more than ${jobRetentionDays} days ago`,
        step: 4,
        totalSteps: 4
      })
      // No index serves finished_at on finished rows (one would cost every job an index entry when it ends): the
      // oldest rows come first in a scan, and this runs hourly in batches.
      const jobs = yield* drain(
        sql`
          DELETE FROM background_jobs WHERE id IN (
            SELECT id FROM background_jobs
            WHERE finished_at < now() - make_interval(days => ${jobRetentionDays}) LIMIT ${BATCH})
          RETURNING 1`,
        "old finished jobs"
      )
      const result: CleanupResult = { kbCache, projectEvents, sessions, jobs, retentionDays, jobRetentionDays }
      return result
    })
    return processor
  })
