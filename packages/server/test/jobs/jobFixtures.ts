// Rows and waits the job tests share: a user and project to hang jobs on, a job row made without a queue, head
// positions, the project's journal, and polling a job until it reaches a status (jobs run on other fibers or in
// another process), and recording what a stopped attempt was told of its job.
import type { Job, JobId, JobQueueName, JobStatus, JobType, ProjectId } from "@costline/core"
import type { JobFailure } from "@costline/server/jobs/JobFailure"
import type { JobContext } from "@costline/server/jobs/JobProcessor"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { type Duration, Effect, Option, Schedule } from "effect"
import { SqlClient } from "effect/sql"

export const insertProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const suffix = crypto.randomUUID()
  const [user] = yield* sql<{ id: string }>`
    INSERT INTO users (email, password_hash, full_name)
    VALUES (${`jobs-${suffix}@example.com`}, 'not-a-real-hash', 'Job Tester') RETURNING id`
  const [project] = yield* sql<{ id: string }>`
    INSERT INTO projects (name, owner_id, current_version) VALUES ('Jobs test project', ${user!.id}, 2) RETURNING id`
  return project!.id as ProjectId
}).pipe(Effect.orDie)

/**
 * A background_jobs row made straight through JobRepo, which no queue hands to a runner: for tests that run its
 * attempts by hand. Its id starts with `prefix`.
 */
export const createJob = (
  prefix: string,
  options: {
    readonly type?: JobType
    readonly queue?: JobQueueName
    readonly projectId?: ProjectId | null
    readonly maxAttempts?: number
  } = {}
) =>
  Effect.gen(function* () {
    const repo = yield* JobRepo
    const { record } = yield* repo.create({
      id: `${prefix}-${crypto.randomUUID()}` as JobId,
      projectId: options.projectId ?? null,
      type: options.type ?? "export_budget",
      queue: options.queue ?? "default",
      priority: 0,
      payload: {},
      createdBy: null,
      maxAttempts: options.maxAttempts ?? 3
    })
    return record
  }).pipe(Effect.orDie)

export interface PositionFixture {
  readonly key: string
  readonly objectCode: string
  readonly total: string
  readonly validFrom?: number
  readonly validTo?: number | null
}

export const insertPositions = (projectId: ProjectId, positions: ReadonlyArray<PositionFixture>) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    for (const position of positions) {
      yield* sql`
        INSERT INTO positions (project_id, position_key, valid_from, valid_to, object_code, quantity, unit_price, total,
          source)
        VALUES (${projectId}, ${position.key}, ${position.validFrom ?? 1}, ${position.validTo ?? null},
          ${position.objectCode}, 1, ${position.total}, ${position.total}, 'manual')`
    }
  }).pipe(Effect.orDie)

export const insertVersion = (projectId: ProjectId, version: number, total: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    yield* sql`
      INSERT INTO budget_versions (project_id, version, trigger_type, total)
      VALUES (${projectId}, ${version}, 'initial', ${total})`
  }).pipe(Effect.orDie)

export interface JournalRow {
  readonly seq: number
  readonly type: string
  readonly payload: Record<string, unknown>
}

export const journal = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ seq: bigint | string; type: string; payload: Record<string, unknown> }>`
      SELECT seq, type, payload FROM project_events WHERE project_id = ${projectId} ORDER BY seq`
    return rows.map((row): JournalRow => ({ seq: Number(row.seq), type: row.type, payload: row.payload }))
  }).pipe(Effect.orDie)

/** Polls until the job reaches one of `statuses`; dies with the last state seen after `timeout`. */
export const awaitJob = (
  jobId: JobId,
  statuses: ReadonlyArray<JobStatus> = ["completed", "failed"],
  timeout: Duration.Input = "20 seconds"
) =>
  Effect.gen(function* () {
    const repo = yield* JobRepo
    let last: Option.Option<Job> = Option.none()
    return yield* Effect.gen(function* () {
      last = yield* repo.find(jobId).pipe(Effect.orDie)
      if (Option.isSome(last) && statuses.includes(last.value.status)) return last.value
      return yield* Effect.fail("not yet" as const)
    }).pipe(
      Effect.retry(Schedule.spaced("50 millis")),
      Effect.timeoutOrElse({
        duration: timeout,
        orElse: () =>
          Effect.die(
            new Error(`job ${jobId} did not reach ${statuses.join("/")}: ${JSON.stringify(Option.getOrNull(last))}`)
          )
      })
    )
  })

/** Wraps a test processor: when its attempt stops, what it was told of its job (JobContext.fateOf) goes to `told`. */
export const recordFate =
  (told: Array<string>, context: JobContext) =>
  <A, E extends JobFailure, R>(processor: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.onError(processor, (cause) => Effect.sync(() => told.push(context.fateOf(cause))))
