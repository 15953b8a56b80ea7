// The background_jobs table: one row per job, whichever runner executes it; rows read as the `Job` contract and are
// what the API shows (Redis only carries ids). Owns the status transitions (queued → running → completed | failed |
// cancelled, running → queued for a retry, failed | cancelled → queued on a retry request) and their guards; does NOT
// own deciding when a job runs (JobQueue) or what it does (JobProcessors).
import type { Job, JobId, JobQueueName, JobStatus, JobType, ProjectId, UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient, type Statement } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { spanWhenTracing } from "../config/spanWhenTracing.ts"
import { type EndedElsewhere, endedElsewhereOf } from "./AttemptEnd.ts"
import { columns, iso, isoText, type JobRecord, type JobRow, type StoredJobError, toRecord } from "./JobRecord.ts"

export type { JobRecord, StoredJobError } from "./JobRecord.ts"

export interface CreateJob {
  readonly id: JobId
  readonly projectId: ProjectId | null
  readonly type: JobType
  readonly queue: JobQueueName
  readonly priority: number
  readonly payload: unknown
  readonly createdBy: UserId | null
  readonly maxAttempts: number
  /** The BullMQ pack that will carry the job, when it is enqueued with others (BullMQJobs.packJobs). */
  readonly handoff?: string | null | undefined
}

/** An attempt in progress: the job and its fencing number (JobRecord.fence), which its writes carry. */
export interface RunningAttempt {
  readonly id: JobId
  readonly fence: number
}

/**
 * What a heartbeat found of an attempt's row: still its own (`cancelRequested` when a cancel was asked for), or lost:
 * another attempt has the job, or it was ended without this attempt (`endedAs`, failed or cancelled by another worker).
 */
export type HeartbeatAnswer =
  | { readonly _tag: "Running"; readonly cancelRequested: boolean }
  | { readonly _tag: "Lost"; readonly endedAs: EndedElsewhere | undefined }

/** One delivery to start: the job and the BullMQ job that delivered it (its pack's id, or null when it came alone). */
export interface JobStart {
  readonly id: JobId
  /**
   * Only the carrier the row names may start the job: a job that left its pack (a retry queued alone) is skipped when
   * the pack is delivered again, and a pack never starts a job queued alone.
   */
  readonly carrier: string | null
}

export interface ProgressRow {
  readonly progress: number
  readonly message: string
  readonly step: number
  readonly totalSteps: number
}

/** One finished attempt for `completeMany`. */
export interface Completion {
  /** The job as its attempt started (from `markRunning`); the completed job is built from it. */
  readonly job: Job
  readonly id: JobId
  /** The fence `markRunning` returned (JobRecord.fence): the write is refused when another attempt has taken the job. */
  readonly fence: number
  readonly result: unknown
}

export interface ListJobsOptions {
  readonly status?: JobStatus | undefined
  readonly limit?: number | undefined
  readonly offset?: number | undefined
}

const json = (value: unknown): string => JSON.stringify(value ?? null)

export class JobRepo extends Context.Service<
  JobRepo,
  {
    /** Inserts a queued job; when the id exists already, returns that row untouched (`created: false`). */
    readonly create: (
      input: CreateJob
    ) => Effect.Effect<{ readonly record: JobRecord; readonly created: boolean }, SqlError>
    /** `create` for many jobs in one statement; answers in input order. Repeated ids in the input resolve to one row. */
    readonly createMany: (
      inputs: ReadonlyArray<CreateJob>
    ) => Effect.Effect<ReadonlyArray<{ readonly record: JobRecord; readonly created: boolean }>, SqlError>
    readonly find: (id: JobId) => Effect.Effect<Option.Option<Job>, SqlError>
    readonly findRecord: (id: JobId) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /**
     * Starts an attempt: status running, attempts + 1 (the attempt's fencing number), started_at now. None when the
     * job is missing, finished (completed, failed, cancelled) or asked to cancel, so a duplicate delivery never runs a
     * finished job again. A row still `running` is taken over: that is how a crashed worker's job resumes — unless it
     * has used up its attempts (workers keep dying on it), which is also None.
     */
    readonly markRunning: (id: JobId, carrier?: string | null) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /**
     * `markRunning` for many ids in one statement; the map holds the ones that started. Call it outside a transaction:
     * it commits without waiting for the WAL flush (see below).
     */
    readonly markRunningMany: (
      starts: ReadonlyArray<JobStart>,
      takeOverAfterMs?: number | undefined
    ) => Effect.Effect<ReadonlyMap<JobId, JobRecord>, SqlError>
    /**
     * Touches the rows of attempts running in this process (updated_at): their worker is alive. With
     * `takeOverAfterMs`, markRunningMany takes over only a running row untouched for that long. Answers what each
     * row said as the beat began: still the attempt's (with or without a cancel asked for), or no longer.
     */
    readonly heartbeat: (
      attempts: ReadonlyArray<RunningAttempt>
    ) => Effect.Effect<ReadonlyMap<JobId, HeartbeatAnswer>, SqlError>
    /** Whether the attempt fenced `fence` still runs the job and touched its row within the last `withinMs`. */
    readonly isHeartbeating: (id: JobId, fence: number, withinMs: number) => Effect.Effect<boolean, SqlError>
    /**
     * Records progress of attempt `attempt`. None when the job is no longer that attempt's (another worker took it
     * over, or it was cancelled before it started); `cancelRequested` tells the runner to stop.
     */
    readonly reportProgress: (
      id: JobId,
      fence: number,
      progress: ProgressRow
    ) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /** Each of these ends the attempt fenced `fence`; None when the job is no longer that attempt's (nothing is written). */
    readonly complete: (id: JobId, fence: number, result: unknown) => Effect.Effect<Option.Option<Job>, SqlError>
    /** Completes many attempts in one statement; the map holds the ones written. */
    readonly completeMany: (completions: ReadonlyArray<Completion>) => Effect.Effect<ReadonlyMap<JobId, Job>, SqlError>
    /** Final failure. */
    readonly fail: (id: JobId, fence: number, error: StoredJobError) => Effect.Effect<Option.Option<Job>, SqlError>
    /**
     * A failed attempt that will be retried: back to queued, the error kept so users see why it is late. The retry
     * travels alone (handoff cleared), whatever carried the failed attempt. A job whose cancel was asked for meanwhile
     * ends `cancelled` instead (the row says which).
     */
    readonly requeue: (id: JobId, fence: number, error: StoredJobError) => Effect.Effect<Option.Option<Job>, SqlError>
    /**
     * An attempt cut off by a shutdown: back to queued, and the attempt does not count (the job did not fail); or
     * `cancelled` when its cancel was asked for meanwhile.
     */
    readonly release: (id: JobId, fence: number) => Effect.Effect<Option.Option<Job>, SqlError>
    /**
     * A job whose cancel was asked for ends `cancelled`. With `attempt`, only while that attempt runs it; without,
     * whatever attempt last ran it: a job whose worker died after the cancel request, or one queued again (retried or
     * released at a shutdown) after it.
     */
    readonly markCancelled: (id: JobId, fence: number | null) => Effect.Effect<Option.Option<Job>, SqlError>
    /**
     * Asks a job to cancel: a queued one becomes `cancelled` at once (it never starts), a running one gets
     * `cancel_requested` and keeps running until its runner stops it. None when the job is missing or finished.
     */
    readonly requestCancel: (id: JobId) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /**
     * A failed or cancelled job back to queued with a clean slate (attempts 0 of the same budget, travelling alone; the
     * row's own count, the fence, goes on). None in any other state.
     */
    readonly resetForRetry: (id: JobId) => Effect.Effect<Option.Option<JobRecord>, SqlError>
    /**
     * Cancels the project's queued audit_project jobs for a version below `version` (payload.version), except
     * `keep`; returns the cancelled rows.
     */
    readonly supersedeAudits: (
      projectId: ProjectId,
      version: number,
      keep: JobId
    ) => Effect.Effect<ReadonlyArray<JobRecord>, SqlError>
    /** The project's jobs, newest first, optionally of one status. */
    readonly listByProject: (
      projectId: ProjectId,
      options?: ListJobsOptions
    ) => Effect.Effect<ReadonlyArray<Job>, SqlError>
    readonly countByProject: (projectId: ProjectId, status?: JobStatus | undefined) => Effect.Effect<number, SqlError>
    /** Jobs still queued or running, in the order a runner should take them (priority, then age). */
    readonly listUnfinished: Effect.Effect<ReadonlyArray<JobRecord>, SqlError>
    /** Unfinished jobs untouched for at least `olderThanMs`, oldest first: candidates for a lost hand-off. */
    readonly listStale: (olderThanMs: number, limit: number) => Effect.Effect<ReadonlyArray<JobRecord>, SqlError>
  }
>()("@costline/server/JobRepo") {
  static readonly layer = Layer.effect(
    JobRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const select = sql.literal(columns)

      const first = (rows: ReadonlyArray<JobRow>) => Option.map(Option.fromNullishOr(rows[0]), toRecord)
      const firstJob = (rows: ReadonlyArray<JobRow>) => Option.map(first(rows), (record) => record.job)

      const findRecord = Effect.fn("JobRepo.findRecord")(function* (id: JobId) {
        return first(yield* sql<JobRow>`SELECT ${select} FROM background_jobs WHERE id = ${id}`)
      })

      const createMany = Effect.fnUntraced(function* (inputs: ReadonlyArray<CreateJob>) {
        if (inputs.length === 0) return []
        // One jsonb parameter however many rows: no bind-parameter limit, one plan.
        const rows = inputs.map((input) => ({
          id: input.id,
          project_id: input.projectId,
          type: input.type,
          queue: input.queue,
          priority: input.priority,
          max_attempts: input.maxAttempts,
          payload: input.payload ?? {},
          created_by: input.createdBy,
          handoff: input.handoff ?? null
        }))
        const inserted = yield* sql<JobRow>`
          INSERT INTO background_jobs (id, project_id, type, queue, priority, max_attempts, payload, created_by, handoff)
          SELECT id, project_id, type, queue, priority, max_attempts, payload, created_by, handoff
          FROM jsonb_to_recordset(${json(rows)}::jsonb) AS v(id text, project_id uuid, type text, queue text,
            priority integer, max_attempts integer, payload jsonb, created_by uuid, handoff text)
          ON CONFLICT (id) DO NOTHING
          RETURNING ${select}`
        const created = new Map(inserted.map((row) => [row.id, toRecord(row)]))
        const missing = [...new Set(inputs.map((input) => input.id).filter((id) => !created.has(id)))]
        const existing =
          missing.length === 0
            ? new Map<string, JobRecord>()
            : new Map(
                (yield* sql<JobRow>`SELECT ${select} FROM background_jobs WHERE id IN ${sql.in(missing)}`).map(
                  (row) => [row.id, toRecord(row)]
                )
              )
        const answered = new Set<string>()
        const results: Array<{ readonly record: JobRecord; readonly created: boolean }> = []
        for (const input of inputs) {
          const fresh = created.get(input.id)
          if (fresh !== undefined && !answered.has(input.id)) {
            answered.add(input.id)
            results.push({ record: fresh, created: true })
            continue
          }
          const record = fresh ?? existing.get(input.id)
          // Only a concurrent delete between the two statements lands here.
          if (record === undefined) return yield* Effect.die(new Error(`job ${input.id} vanished while being created`))
          results.push({ record, created: false })
        }
        return results
      }, spanWhenTracing("JobRepo.createMany"))

      const create = (input: CreateJob) =>
        Effect.map(createMany([input]), (results) => results[0]!).pipe(Effect.withSpan("JobRepo.create"))

      // The batched status writes find their rows through the primary key, with the ids as one array parameter (one
      // statement text whatever the batch size, so PostgreSQL plans it once). Per-row values travel as arrays indexed
      // by the id's position: a single-array unnest is estimated at its real length, where a join on
      // jsonb_to_recordset (always estimated at 100 rows) was planned as a sequential scan and cost 830 ms of
      // PostgreSQL CPU per 1,000 jobs in batches of 5 (measured); 20 ms now.
      //
      // Starting an attempt does not wait for the WAL flush (synchronous_commit off for this statement's own
      // transaction, set by set_config in the same round trip): if PostgreSQL crashed before the flush, the start is
      // forgotten, but the crash also breaks the attempt's connection, so it cannot record an end either; BullMQ
      // delivers the job again and it starts afresh. Ends (complete, fail) stay durable: BullMQ forgets a finished job.
      //
      // A running row is taken over only when its attempt's worker is gone: with `takeOverAfterMs`, only when the row
      // has not been touched (a heartbeat, a progress write) for that long.
      const markRunningMany = Effect.fnUntraced(function* (
        starts: ReadonlyArray<JobStart>,
        takeOverAfterMs?: number | undefined
      ) {
        if (starts.length === 0) return new Map<JobId, JobRecord>()
        const abandoned =
          takeOverAfterMs === undefined
            ? sql.literal("true")
            : sql`updated_at < now() - make_interval(secs => ${takeOverAfterMs / 1000})`
        // A null carrier travels as '' (an array parameter of nulls only has no type).
        const rows = yield* sql<JobRow>`
          UPDATE background_jobs
          SET status = 'running', attempts = attempts + 1, started_at = now(), finished_at = NULL, updated_at = now()
          FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed_commit,
            unnest(${starts.map((start) => start.id)}::text[]) WITH ORDINALITY AS v(job_id, n)
          WHERE id = v.job_id AND coalesce(handoff, '') = (${starts.map((start) => start.carrier ?? "")}::text[])[v.n]
            AND NOT cancel_requested
            AND (status = 'queued' OR (status = 'running' AND attempts < max_attempts AND ${abandoned}))
          RETURNING ${select}`
        return new Map(rows.map((row) => [row.id as JobId, toRecord(row)]))
      }, spanWhenTracing("JobRepo.markRunningMany"))

      // Like a start, a heartbeat need not reach the disk: a crash loses it with the attempt it speaks for. Rows another
      // statement holds (an attempt's end being written, a cancel request) are skipped, not waited for: two multi-row
      // updates waiting on each other's rows could deadlock, and the next beat touches them. The answer reads the rows
      // as the statement began, without locks.
      const heartbeat = Effect.fn("JobRepo.heartbeat")(function* (attempts: ReadonlyArray<RunningAttempt>) {
        const answers = new Map<JobId, HeartbeatAnswer>()
        if (attempts.length === 0) return answers
        const rows = yield* sql<{
          readonly id: string
          readonly status: string | null
          readonly same_attempt: boolean
          readonly cancel_requested: boolean | null
        }>`
          WITH beating AS (
            SELECT * FROM unnest(${attempts.map((running) => running.id)}::text[],
              ${attempts.map((running) => running.fence)}::int[]) AS v(job_id, attempt)
          ), touched AS (
            UPDATE background_jobs SET updated_at = now()
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed_commit
            WHERE id IN (
              SELECT job.id FROM background_jobs AS job JOIN beating ON job.id = beating.job_id
              WHERE job.attempts = beating.attempt AND job.status = 'running'
              FOR UPDATE OF job SKIP LOCKED)
            RETURNING id
          )
          SELECT beating.job_id AS id, job.status, job.cancel_requested,
            coalesce(job.attempts = beating.attempt, false) AS same_attempt
          FROM beating LEFT JOIN background_jobs AS job ON job.id = beating.job_id`
        for (const row of rows) {
          answers.set(
            row.id as JobId,
            row.same_attempt && row.status === "running"
              ? { _tag: "Running", cancelRequested: row.cancel_requested === true }
              : { _tag: "Lost", endedAs: endedElsewhereOf(row.status, row.same_attempt) }
          )
        }
        return answers
      })

      const isHeartbeating = Effect.fn("JobRepo.isHeartbeating")(function* (
        id: JobId,
        fence: number,
        withinMs: number
      ) {
        const rows = yield* sql<{ readonly alive: boolean }>`
          SELECT updated_at >= now() - make_interval(secs => ${withinMs / 1000}) AS alive FROM background_jobs
          WHERE id = ${id} AND attempts = ${fence} AND status = 'running'`
        return rows[0]?.alive === true
      })

      const markRunning = (id: JobId, carrier: string | null = null) =>
        Effect.map(markRunningMany([{ id, carrier }]), (started) => Option.fromNullishOr(started.get(id)))

      const reportProgress = Effect.fnUntraced(function* (id: JobId, fence: number, update: ProgressRow) {
        return first(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET progress = ${update.progress}, message = ${update.message}, step = ${update.step},
              total_steps = ${update.totalSteps}, updated_at = now()
            WHERE id = ${id} AND status = 'running' AND attempts = ${fence}
            RETURNING ${select}`
        )
      }, spanWhenTracing("JobRepo.reportProgress"))

      const completeMany = Effect.fnUntraced(function* (completions: ReadonlyArray<Completion>) {
        if (completions.length === 0) return new Map<JobId, Job>()
        const ids = completions.map((done) => done.id)
        // Only what the statement changed comes back; the rest of each job is what its attempt started with.
        const rows = yield* sql<{ id: string; step: number; total_steps: number; finished_at: Date | string }>`
          UPDATE background_jobs
          SET status = 'completed', progress = 1, step = GREATEST(step, total_steps), message = 'completed',
            result = (${completions.map((done) => json(done.result))}::jsonb[])[v.n], error = NULL,
            finished_at = now(), updated_at = now()
          FROM unnest(${ids}::text[]) WITH ORDINALITY AS v(job_id, n)
          WHERE background_jobs.id = v.job_id AND background_jobs.status = 'running'
            AND background_jobs.attempts = (${completions.map((done) => done.fence)}::int[])[v.n]
          RETURNING background_jobs.id, background_jobs.step, background_jobs.total_steps,
            ${sql.literal(isoText("background_jobs.finished_at"))} AS finished_at`
        const byId = new Map(completions.map((done) => [done.id, done]))
        return new Map(
          rows.map((row): [JobId, Job] => {
            const done = byId.get(row.id as JobId)!
            return [
              done.id,
              {
                ...done.job,
                status: "completed",
                progress: 1,
                message: "completed",
                step: Number(row.step),
                totalSteps: Number(row.total_steps),
                result: done.result ?? null,
                error: null,
                finishedAt: iso(row.finished_at)
              }
            ]
          })
        )
      }, spanWhenTracing("JobRepo.completeMany"))

      const complete = Effect.fnUntraced(function* (id: JobId, fence: number, result: unknown) {
        return firstJob(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET status = 'completed', progress = 1, step = GREATEST(step, total_steps), message = 'completed',
              result = ${json(result)}::jsonb, error = NULL, finished_at = now(), updated_at = now()
            WHERE id = ${id} AND status = 'running' AND attempts = ${fence}
            RETURNING ${select}`
        )
      }, spanWhenTracing("JobRepo.complete"))

      const fail = Effect.fn("JobRepo.fail")(function* (id: JobId, fence: number, error: StoredJobError) {
        return firstJob(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET status = 'failed', message = ${error.message}, error = ${json(error)}::jsonb,
              finished_at = now(), updated_at = now()
            WHERE id = ${id} AND status = 'running' AND attempts = ${fence}
            RETURNING ${select}`
        )
      })

      /**
       * The columns of a running job going back to the queue: queued with `message`, or cancelled when its cancel
       * was asked for meanwhile (no attempt may start it again).
       */
      const backToQueue = (message: Statement.Fragment) => sql`
        status = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'queued' END,
        message = CASE WHEN cancel_requested THEN 'cancelled' ELSE ${message} END,
        finished_at = CASE WHEN cancel_requested THEN now() ELSE finished_at END`

      const requeue = Effect.fn("JobRepo.requeue")(function* (id: JobId, fence: number, error: StoredJobError) {
        return firstJob(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET ${backToQueue(sql`message`)}, error = ${json(error)}::jsonb, handoff = NULL, updated_at = now()
            WHERE id = ${id} AND status = 'running' AND attempts = ${fence}
            RETURNING ${select}`
        )
      })

      const release = Effect.fn("JobRepo.release")(function* (id: JobId, fence: number) {
        return firstJob(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET ${backToQueue(sql`'interrupted by a shutdown; will resume'`)},
              uncounted_attempts = uncounted_attempts + CASE WHEN cancel_requested THEN 0 ELSE 1 END,
              max_attempts = max_attempts + CASE WHEN cancel_requested THEN 0 ELSE 1 END, updated_at = now()
            WHERE id = ${id} AND status = 'running' AND attempts = ${fence}
            RETURNING ${select}`
        )
      })

      const markCancelled = Effect.fn("JobRepo.markCancelled")(function* (id: JobId, fence: number | null) {
        return firstJob(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET status = 'cancelled', cancel_requested = true, message = 'cancelled', finished_at = now(),
              updated_at = now()
            WHERE id = ${id} AND ${
              fence === null
                ? sql`status IN ('queued', 'running') AND cancel_requested`
                : sql`status = 'running' AND attempts = ${fence}`
            }
            RETURNING ${select}`
        )
      })

      const requestCancel = Effect.fn("JobRepo.requestCancel")(function* (id: JobId) {
        // One statement, so a job that starts concurrently is either cancelled before it starts or flagged running.
        return first(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET cancel_requested = true,
              status = CASE WHEN status = 'queued' THEN 'cancelled' ELSE status END,
              message = CASE WHEN status = 'queued' THEN 'cancelled before it started'
                ELSE 'cancel requested; stopping at the next step' END,
              finished_at = CASE WHEN status = 'queued' THEN now() ELSE finished_at END,
              updated_at = now()
            WHERE id = ${id} AND status IN ('queued', 'running')
            RETURNING ${select}`
        )
      })

      const resetForRetry = Effect.fn("JobRepo.resetForRetry")(function* (id: JobId) {
        return first(
          yield* sql<JobRow>`
            UPDATE background_jobs
            SET status = 'queued', uncounted_attempts = attempts, max_attempts = attempts + max_attempts - uncounted_attempts,
              progress = 0, step = 0, message = 'queued again by a retry request',
              result = NULL, error = NULL, cancel_requested = false, started_at = NULL, finished_at = NULL,
              handoff = NULL, updated_at = now()
            WHERE id = ${id} AND status IN ('failed', 'cancelled')
            RETURNING ${select}`
        )
      })

      const supersedeAudits = Effect.fn("JobRepo.supersedeAudits")(function* (
        projectId: ProjectId,
        version: number,
        keep: JobId
      ) {
        const rows = yield* sql<JobRow>`
          UPDATE background_jobs
          SET status = 'cancelled', cancel_requested = true, finished_at = now(), updated_at = now(),
            message = ${`superseded by the audit of version ${version}`}
          WHERE project_id = ${projectId} AND type = 'audit_project' AND status = 'queued' AND id <> ${keep}
            AND jsonb_typeof(payload -> 'version') = 'number' AND (payload ->> 'version')::numeric < ${version}
          RETURNING ${select}`
        return rows.map(toRecord)
      })

      const find = (id: JobId) =>
        Effect.map(
          findRecord(id),
          Option.map((record) => record.job)
        )

      const listByProject = Effect.fn("JobRepo.listByProject")(function* (
        projectId: ProjectId,
        options: ListJobsOptions = {}
      ) {
        const status = options.status === undefined ? sql`` : sql`AND status = ${options.status}`
        const rows = yield* sql<JobRow>`
          SELECT ${select} FROM background_jobs WHERE project_id = ${projectId} ${status}
          ORDER BY background_jobs.created_at DESC, id DESC LIMIT ${options.limit ?? 100} OFFSET ${options.offset ?? 0}`
        return rows.map((row) => toRecord(row).job)
      })

      const countByProject = Effect.fn("JobRepo.countByProject")(function* (
        projectId: ProjectId,
        status?: JobStatus | undefined
      ) {
        const filter = status === undefined ? sql`` : sql`AND status = ${status}`
        const rows = yield* sql<{ readonly count: string | number }>`
          SELECT count(*) AS count FROM background_jobs WHERE project_id = ${projectId} ${filter}`
        return Number(rows[0]?.count ?? 0)
      })

      const listUnfinished = sql<JobRow>`
        SELECT ${select} FROM background_jobs WHERE finished_at IS NULL
        ORDER BY priority, background_jobs.created_at, id`.pipe(
        Effect.map((rows) => rows.map(toRecord)),
        Effect.withSpan("JobRepo.listUnfinished")
      )

      const listStale = Effect.fn("JobRepo.listStale")(function* (olderThanMs: number, limit: number) {
        const rows = yield* sql<JobRow>`
          SELECT ${select} FROM background_jobs
          WHERE finished_at IS NULL AND updated_at < now() - make_interval(secs => ${olderThanMs / 1000})
          ORDER BY background_jobs.created_at LIMIT ${limit}`
        return rows.map(toRecord)
      })

      return JobRepo.of({
        create,
        createMany,
        find,
        findRecord,
        markRunning,
        markRunningMany,
        heartbeat,
        isHeartbeating,
        reportProgress,
        complete,
        completeMany,
        fail,
        requeue,
        release,
        markCancelled,
        requestCancel,
        resetForRetry,
        supersedeAudits,
        listByProject,
        countByProject,
        listUnfinished,
        listStale
      })
    })
  )
}
