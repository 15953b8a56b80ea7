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

/** Cache, journal, sessions, jobs. */
const STEPS = 4

export const makeCleanup = (options: { readonly retentionDays: number; readonly jobRetentionDays: number }) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const retentionDays = Math.max(1, Math.trunc(options.retentionDays))
    const jobRetentionDays = Math.max(1, Math.trunc(options.jobRetentionDays))

    /**
     * Step `step` of STEPS: reports it, then repeats a batched DELETE … RETURNING 1 until it deletes nothing; the total
     * it deleted.
     */
    const clean = (
      context: JobContext,
      step: number,
      what: string,
      statement: Effect.Effect<ReadonlyArray<unknown>, SqlError>
    ) =>
      context.reportProgress({ progress: (step - 1) / STEPS, message: what, step, totalSteps: STEPS }).pipe(
        Effect.andThen(
          Effect.gen(function* () {
            let total = 0
            while (true) {
              const deleted = yield* statement
              total += deleted.length
              if (deleted.length < BATCH) return total
            }
          }).pipe(retryOnSqlError(`deleting ${what}`))
        )
      )

    const processor: JobProcessor = Effect.fn("Cleanup")(function* (context: JobContext) {
      const kbCache = yield* clean(
        context,
        1,
        "expired cache entries",
        sql`
          DELETE FROM kb_cache WHERE key IN (
            SELECT key FROM kb_cache WHERE expires_at < now() LIMIT ${BATCH})
          RETURNING 1`
      )
      const projectEvents = yield* clean(
        context,
        2,
        `journal entries older than ${retentionDays} days`,
        sql`
          DELETE FROM project_events WHERE (project_id, seq) IN (
            SELECT e.project_id, e.seq FROM project_events e JOIN projects p ON p.id = e.project_id
            WHERE e.created_at < now() - make_interval(days => ${retentionDays}) AND e.seq < p.last_event_seq
            LIMIT ${BATCH})
          RETURNING 1`
      )
      const sessions = yield* clean(
        context,
        3,
        "expired sessions",
        sql`
          DELETE FROM sessions WHERE id IN (
            SELECT id FROM sessions WHERE expires_at < now() LIMIT ${BATCH})
          RETURNING 1`
      )
      // No index serves finished_at on finished rows (one would cost every job an index entry when it ends): the
      // oldest rows come first in a scan, and this runs hourly in batches.
      const jobs = yield* clean(
        context,
        4,
        `jobs finished more than ${jobRetentionDays} days ago`,
        sql`
          DELETE FROM background_jobs WHERE id IN (
            SELECT id FROM background_jobs
            WHERE finished_at < now() - make_interval(days => ${jobRetentionDays}) LIMIT ${BATCH})
          RETURNING 1`
      )
      const result: CleanupResult = { kbCache, projectEvents, sessions, jobs, retentionDays, jobRetentionDays }
      return result
    })
    return processor
  })
