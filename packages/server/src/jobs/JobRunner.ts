// Runs one job by id with its processor: marks it running, relays its progress, stops it when it is cancelled or
// over its time limit, records how it ended and journals the matching project events. Owns the attempt's bookkeeping
// and the decision "retry or give up"; does NOT own when the next attempt happens (the in-process queue or BullMQ,
// through `JobRunOutcome`). Status writes of concurrent attempts are batched into few statements.
import type { Job, JobId, JobType, ProjectEventBody } from "@costline/core"
import { Cause, Clock, Context, Duration, Effect, Exit, Fiber, Layer, Option, Schedule, Scope } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { spanWhenTracing } from "../config/spanWhenTracing.ts"
import { ProjectEventLog } from "../events/ProjectEventLog.ts"
import { attemptEnd, type EndedElsewhere, endedElsewhereOf, jobFate, type StopReason } from "./AttemptEnd.ts"
import * as Batcher from "./Batcher.ts"
import { type JobFailure, PermanentJobFailure } from "./JobFailure.ts"
import type { JobContext } from "./JobProcessor.ts"
import { JobProcessors } from "./JobProcessors.ts"
import * as JobProgressReporter from "./JobProgressReporter.ts"
import { type Completion, type JobRecord, JobRepo, type JobStart, type StoredJobError } from "./JobRepo.ts"
import { defaultJobTimeouts, type JobTimeouts, jobTimeoutsFromConfig } from "./JobTimeouts.ts"
import { beat, type Liveness, type RunningHere } from "./Liveness.ts"

/** What the runner tells whoever schedules jobs; the BullMQ adapter maps it to return / retry / UnrecoverableError. */
export type JobRunOutcome =
  | { readonly _tag: "Completed"; readonly job: Job }
  /** The attempt failed transiently and attempts are left: the job is queued again, `job.error` says why. */
  | { readonly _tag: "RetryLater"; readonly job: Job }
  /** The job failed for good (permanent failure, a second timeout, or the last attempt failed). */
  | { readonly _tag: "Failed"; readonly job: Job }
  /** The job was cancelled while it ran (or its attempt failed, or its worker died, after the cancel request). */
  | { readonly _tag: "Cancelled"; readonly job: Job }
  /** Nothing (more) to do here: the job is unknown, finished, cancelled, or another attempt owns it now. */
  | { readonly _tag: "Skipped"; readonly jobId: JobId; readonly reason: string }
  /**
   * Delivered again while an attempt on a live worker still runs it (see JobRunnerOptions.liveness): not started. The
   * delivery should look again after `recheckAfterMs`, by when the row says whether that worker is still alive.
   */
  | { readonly _tag: "RunningElsewhere"; readonly jobId: JobId; readonly recheckAfterMs: number }

/** How an attempt was delivered (BullMQJobs); the in-process queue passes nothing. */
export interface Delivery {
  /** The BullMQ job that carries it: its pack's id, or null when it travels alone (see JobRepo.JobStart). */
  readonly carrier?: string | null | undefined
  /**
   * Run as soon as the processor has ended, before its end is recorded: the caller's slot for running jobs is free
   * from then on (the record is a database write that the next job need not wait for).
   */
  readonly processorEnded?: Effect.Effect<void> | undefined
}

export interface JobRunnerOptions {
  /** Per job type; the others keep their defaults (JobTimeouts.ts). */
  readonly timeouts?: Partial<Record<JobType, Duration.Input>> | undefined
  /** Progress writes (JobProgress events) of one job in any one-second window; default 10. */
  readonly progressPerSecond?: number | undefined
  /**
   * For workers that other processes may hand a job to again while an attempt still runs it here: BullMQ redelivers
   * a job whose lock expired, which also happens to a live worker when Redis was out of reach for longer than the
   * lock. Each running attempt touches its row every `heartbeat`, and a delivery takes over a running job only once
   * its row has been untouched for `takeOverAfter`; until then it answers RunningElsewhere. Without it (the in-process
   * queue, the only process running its jobs) a running row at a delivery was left by a process that died, and is
   * taken over at once.
   */
  readonly liveness?: Liveness | undefined
}

/** Status-write batches of each kind running at once (see `markRunning` below). */
const BATCHES_IN_FLIGHT = 4
/** The most attempt starts in one statement (see `markRunning` below). */
const START_BATCH = 25
/** How long a recorded end waits for others to share its statement (see `completeDetached` below). */
const COMPLETION_LINGER_MS = 5

const skipped = (jobId: JobId, reason: string): JobRunOutcome => ({ _tag: "Skipped", jobId, reason })
const lookAgain = (jobId: JobId, recheckAfterMs: number): JobRunOutcome => ({
  _tag: "RunningElsewhere",
  jobId,
  recheckAfterMs
})
const LOST = "the job is no longer this attempt's (its lock expired and another worker took it over, or ended it)"

export class JobRunner extends Context.Service<
  JobRunner,
  {
    /**
     * Runs one attempt of the job. Fails only when the database does not answer while the runner records the attempt;
     * the caller should then try again later (the row is still queued or running).
     */
    readonly run: (jobId: JobId, delivery?: Delivery) => Effect.Effect<JobRunOutcome, SqlError>
    /**
     * Interrupts the attempt of `jobId` running in this process, if there is one (true), after its cancel was
     * recorded in the database: it ends `cancelled`. Attempts elsewhere notice the request at their next progress
     * report.
     */
    readonly cancel: (jobId: JobId) => Effect.Effect<boolean>
  }
>()("@costline/server/JobRunner") {
  static readonly layerWith = (options: JobRunnerOptions = {}) =>
    Layer.effect(
      JobRunner,
      Effect.gen(function* () {
        const timeouts: JobTimeouts = { ...defaultJobTimeouts }
        for (const [type, limit] of Object.entries(options.timeouts ?? {})) {
          if (limit !== undefined)
            (timeouts as Record<string, Duration.Duration>)[type] = Duration.fromInputUnsafe(limit)
        }
        return yield* make(timeouts, options.progressPerSecond ?? 10, options.liveness)
      })
    )

  /** Time limits from JOB_TIMEOUT_<TYPE> (a bad value stops the start with its message), progress at ≤ 10/s. */
  static readonly layer = Layer.effect(
    JobRunner,
    Effect.gen(function* () {
      const timeouts = yield* jobTimeoutsFromConfig.pipe(Effect.catch((error) => Effect.die(new Error(error.message))))
      return yield* make(timeouts, 10, undefined)
    })
  )
}

const make = Effect.fnUntraced(function* (
  timeouts: JobTimeouts,
  progressPerSecond: number,
  liveness: Liveness | undefined
) {
  const repo = yield* JobRepo
  const processors = yield* JobProcessors
  const events = yield* ProjectEventLog
  const sql = yield* SqlClient.SqlClient
  // The attempts running in this process: how to stop each, when its time limit is up (told once however long it
  // takes to end), and its fence.
  const running = new Map<JobId, RunningHere>()
  const takeOverAfterMs =
    liveness === undefined ? undefined : Duration.toMillis(Duration.fromInputUnsafe(liveness.takeOverAfter))

  // One timer for all attempts instead of one per attempt: a tick a quarter of the shortest limit apart (10 ms to
  // 1 s) stops the attempts past their deadline, so a limit is kept to within that tick.
  const tickMs = Math.min(1000, Math.max(10, Math.min(...Object.values(timeouts).map(Duration.toMillis)) / 4))
  yield* Effect.gen(function* () {
    const now = yield* Clock.currentTimeMillis
    for (const attempt of running.values()) {
      if (attempt.deadline > now) continue
      attempt.deadline = Number.POSITIVE_INFINITY
      yield* Effect.forkDetach(attempt.stop("timeout"))
    }
  }).pipe(Effect.repeat(Schedule.spaced(tickMs)), Effect.forkScoped)

  // With liveness, each attempt running here touches its row on a beat (Liveness.ts).
  if (liveness !== undefined) yield* Effect.forkScoped(beat(repo, running, liveness.heartbeat))

  // Many workers' attempts start and end at once under load: one UPDATE for many of them instead of one each. The
  // calls of one event-loop turn go together, and those that arrive while the batches in flight run make the next
  // ones (Batcher.ts), so a lone call waits for the end of its turn and one round trip, and a burst costs few
  // statements. Four batches of each kind may be in flight: with one, a job waited for the batch
  // ahead of it and 100 jobs at once ran at ~4,600 a second; with four, ~5,400 (bench/jobs.bench.ts; eight gained
  // nothing more). A start holds its job's slot, so starts go in batches of at most 25: 100 waiting starts are four
  // batches that overlap in the database rather than one of 100 that frees every slot only after its slowest row
  // (median of 3 rounds, 100 slots: ~7,450 jobs/s with 25; ~5,400 with 10, ~6,500 with 50, ~5,500 with 500).
  const markRunning = yield* Batcher.make({
    run: (starts: ReadonlyArray<JobStart>) =>
      Effect.map(repo.markRunningMany(starts, takeOverAfterMs), (started) => {
        // The same id twice in one batch (a duplicate delivery) starts once.
        const seen = new Set<JobId>()
        return starts.map(({ id }) => {
          const record = seen.has(id) ? undefined : started.get(id)
          seen.add(id)
          return Option.fromNullishOr(record)
        })
      }),
    maxBatch: START_BATCH,
    concurrency: BATCHES_IN_FLIGHT
  })
  // The ends of jobs without a project (no event to journal with them) are batched too. An end holds up no other job
  // (its slot is free before the end is written), so it lingers a little for company: at 1,000 single jobs a second
  // each was otherwise alone in its statement, and lingering 5 ms cut PostgreSQL's CPU time by ~15% and the worker's
  // by ~2.5% (bench/jobs.bench.ts, two runs each way), for a row that says completed up to 5 ms later.
  const completeDetached = yield* Batcher.make({
    run: (completions: ReadonlyArray<Completion>) =>
      Effect.map(repo.completeMany(completions), (written) =>
        completions.map((completion) => Option.fromNullishOr(written.get(completion.id)))
      ),
    maxBatch: 500,
    concurrency: BATCHES_IN_FLIGHT,
    lingerMs: COMPLETION_LINGER_MS
  })

  const journal = (job: Job, body: ProjectEventBody) =>
    job.projectId === null ? Effect.void : Effect.asVoid(events.append(job.projectId, body))

  // A status change and its event commit together: a crash between them would otherwise leave a finished job whose
  // JobCompleted / JobFailed never reaches the journal (and a rerun skips finished jobs).
  // `body` may answer null for a change that journals nothing (a release back to the queue).
  const withEvent = (
    change: Effect.Effect<Option.Option<Job>, SqlError>,
    body: (job: Job) => ProjectEventBody | null
  ) =>
    sql.withTransaction(
      Effect.tap(change, (written) => {
        if (Option.isNone(written)) return Effect.void
        const event = body(written.value)
        return event === null ? Effect.void : journal(written.value, event)
      })
    )

  const cancelled = (written: Option.Option<Job>, jobId: JobId): JobRunOutcome =>
    Option.isSome(written) ? { _tag: "Cancelled", job: written.value } : skipped(jobId, LOST)

  /** Why markRunning refused the job; ends it when its worker died after a cancel request. */
  const notStarted = Effect.fnUntraced(function* (jobId: JobId, carrier: string | null) {
    const existing = yield* repo.findRecord(jobId)
    if (Option.isNone(existing)) return skipped(jobId, "no such job")
    const { job, cancelRequested, handoff, fence } = existing.value
    // A stale delivery (the job left this pack to be retried alone, or the other way round): the job is not its to end.
    if (handoff !== carrier) return skipped(jobId, "delivered by a BullMQ job that no longer carries it")
    // An attempt still runs it on a worker that is alive (this process, or one that touched the row lately): BullMQ
    // handed the job out again because that worker's lock ran out (Redis out of reach), not because it died. That
    // attempt records the job's end; this delivery looks again later, and takes over if the row has gone quiet by then.
    // (With a cancel asked for, the job is ended below: a live attempt then hears it at its next write.)
    if (
      takeOverAfterMs !== undefined &&
      job.status === "running" &&
      !cancelRequested &&
      (running.get(jobId)?.fence === fence || (yield* repo.isHeartbeating(jobId, fence, takeOverAfterMs)))
    ) {
      yield* Effect.logInfo(
        `job not started: attempt ${job.attempts} still runs it on a live worker; looking again in ${takeOverAfterMs} ms`
      )
      return lookAgain(jobId, takeOverAfterMs)
    }
    // Its cancel was asked for while an attempt ran, and that attempt ended without recording it: its worker died.
    // (A requeue or release cancels such a job itself; a row queued with the request is ended here all the same.)
    // No attempt may start now, so it ends here.
    if ((job.status === "running" || job.status === "queued") && cancelRequested) {
      const written = yield* withEvent(repo.markCancelled(jobId, null), (job) => ({ _tag: "JobCancelled", job }))
      yield* Effect.logInfo("job cancelled (its cancel was asked for while an earlier attempt ran)")
      return cancelled(written, jobId)
    }
    // Delivered again while its row still says running, with no attempt left: each attempt's worker stopped without
    // recording an end (a crash, kill -9, out of memory). The job, not bad luck, is the likely cause, so it fails for
    // good rather than taking down one worker after another.
    if (job.status === "running" && job.attempts >= job.maxAttempts) {
      const error: StoredJobError = {
        message: `the worker running this job stopped without finishing it (crash, kill or out of memory) in each of its ${job.maxAttempts} attempts; it is not retried`,
        retryable: false,
        code: "worker_lost"
      }
      const failed = yield* withEvent(repo.fail(jobId, fence, error), (job) => ({ _tag: "JobFailed", job }))
      if (Option.isNone(failed)) return skipped(jobId, LOST)
      yield* Effect.logWarning(`job failed: ${error.message}`)
      return { _tag: "Failed", job: failed.value } as const
    }
    // The row moved on between the start and these reads (it went quiet, or its attempt handed it back to the queue).
    // Where other workers may hold the job, this delivery must not end as if the job were done: BullMQ would then keep
    // it as completed, and a later hand-off of the same job would be ignored. It looks again shortly instead.
    if (takeOverAfterMs !== undefined && (job.status === "running" || job.status === "queued")) {
      return lookAgain(jobId, takeOverAfterMs)
    }
    return skipped(jobId, `already ${job.status}`)
  })

  const execute = Effect.fnUntraced(function* (record: JobRecord, processorEnded: Effect.Effect<void>) {
    const { job, payload } = record
    const jobId = job.id
    // `attempt` as users count it; `fence`, the row's own count, in every write of this attempt (JobRecord.fence).
    const attempt = job.attempts
    const fence = record.fence
    yield* Effect.annotateCurrentSpan({ jobType: job.type, attempt })
    const startedAtMs = yield* Clock.currentTimeMillis
    const attemptText = `attempt ${attempt} of ${job.maxAttempts}`
    // One info line per job at its end keeps the log (and the worker) light at thousands of jobs a second; a retry or
    // a takeover after a crash is worth a line of its own.
    yield* attempt > 1
      ? Effect.logInfo(`job started (${attemptText})`)
      : Effect.logDebug(`job started (${attemptText})`)
    const took = Effect.map(Clock.currentTimeMillis, (now) => `${attemptText}, ${Math.round(now - startedAtMs)} ms`)

    let stopReason: StopReason | undefined
    let endedElsewhere: EndedElsewhere | undefined
    // The job is no longer this attempt's: its row says whether another attempt owns it now (which then decides what
    // becomes of it) or another worker ended this very attempt's job (failed for good or cancelled, see notStarted),
    // which the processor is told (fateOf) before it is stopped.
    // Should the row not answer, the attempt is stopped as lost all the same. (Suspended: most attempts never need it,
    // and building the read costs a traced call per job.)
    const readEndedElsewhere = Effect.suspend(() => repo.findRecord(jobId)).pipe(
      Effect.flatMap((found) =>
        Effect.sync(() => {
          const current = Option.getOrUndefined(found)
          endedElsewhere = endedElsewhereOf(current?.job.status, current?.fence === fence)
        })
      ),
      Effect.catch((error) => Effect.logWarning("could not read back the job this attempt lost", error))
    )
    let fiber: Fiber.Fiber<unknown, JobFailure> | undefined
    const stop = (reason: StopReason, interrupt: boolean) =>
      Effect.suspend(() => {
        stopReason ??= reason
        return interrupt && fiber !== undefined ? Fiber.interrupt(fiber) : Effect.void
      })

    // Made on the first progress report (most short jobs make none), with the scope its trailing writes run in.
    let attemptScope: Scope.Closeable | undefined
    let reporter: JobProgressReporter.ProgressReporter | undefined
    const reporterOf = (): JobProgressReporter.ProgressReporter => {
      if (reporter === undefined) {
        attemptScope = Scope.makeUnsafe()
        reporter = makeReporter(attemptScope)
      }
      return reporter
    }
    const makeReporter = (scope: Scope.Closeable) =>
      JobProgressReporter.make({
        job,
        startedAtMs,
        maxPerSecond: progressPerSecond,
        scope,
        stopping: () => stopReason !== undefined,
        onStop: (signal, inProcessor) => stop(signal, !inProcessor),
        write: (row, eta) =>
          sql
            .withTransaction(
              Effect.tap(repo.reportProgress(jobId, fence, row), (written) =>
                Option.isSome(written) && !written.value.cancelRequested
                  ? journal(written.value.job, { _tag: "JobProgress", jobId, ...row, eta })
                  : Effect.void
              )
            )
            .pipe(
              Effect.flatMap(
                (written): Effect.Effect<JobProgressReporter.WriteSignal> =>
                  Option.isNone(written)
                    ? Effect.as(readEndedElsewhere, "lost" as const)
                    : Effect.succeed(written.value.cancelRequested ? "cancelled" : "ok")
              ),
              // Progress is advisory: a failed write is logged and the job goes on (the next write may succeed).
              Effect.catch((error) => Effect.logWarning("progress not recorded", error).pipe(Effect.as("ok" as const)))
            )
      })
    const limit = timeouts[job.type] ?? defaultJobTimeouts.recalculate_budget
    const context: JobContext = {
      job,
      payload,
      reportProgress: (update) => reporterOf().report(update),
      fateOf: (cause) => jobFate(attemptEnd(record, limit, stopReason, cause, endedElsewhere))
    }

    const processor = processors.get(job.type)
    const body = Option.isNone(processor)
      ? Effect.fail(
          new PermanentJobFailure({
            message: `no processor is registered for job type "${job.type}" in this build; known types: ${processors.types.join(", ") || "none"}`
          })
        )
      : processor.value(context)

    const exit = yield* Effect.gen(function* () {
      // Started in this fiber's turn rather than in a later one of the scheduler: a job that was just marked running
      // does not wait behind other work to begin. It runs up to its first pause before `fiber` is set: a cancel or
      // its time limit reaches it from there on (a processor that never pauses could not be interrupted anyway).
      fiber = yield* Effect.forkChild(
        body.pipe(
          // The result is stored as jsonb; a BigInt or a cycle would otherwise surface later as a database defect.
          Effect.tap((result) =>
            Effect.try({
              try: () => JSON.stringify(result ?? null),
              catch: () =>
                new PermanentJobFailure({ message: `job type "${job.type}" returned a result that is not JSON` })
            })
          )
        ),
        { startImmediately: true }
      )
      const started = fiber
      running.set(jobId, {
        stop: (reason) => stop(reason, true),
        lose: (endedAs) =>
          Effect.suspend(() => {
            endedElsewhere ??= endedAs
            return stop("lost", true)
          }),
        deadline: startedAtMs + Duration.toMillis(limit),
        fence
      })
      return yield* Fiber.await(started)
    }).pipe(
      Effect.ensuring(
        Effect.suspend(() => {
          // Only this attempt's entry: a takeover of the job in this very process may have put its own there since.
          if (running.get(jobId)?.fence === fence) running.delete(jobId)
          return attemptScope === undefined ? Effect.void : Scope.close(attemptScope, Exit.void)
        })
      ),
      // Stopped by a shutdown (not by its own failure): the processor is stopped first, then the job is queued
      // again without counting the attempt, so the next process resumes it.
      Effect.onInterrupt(() =>
        stop("shutdown", true).pipe(
          Effect.andThen(
            withEvent(repo.release(jobId, fence), (job) =>
              job.status === "cancelled" ? { _tag: "JobCancelled", job } : null
            )
          ),
          Effect.tap((released) =>
            Effect.logInfo(
              Option.isSome(released) && released.value.status === "cancelled"
                ? "job interrupted by shutdown after its cancel was asked for; cancelled"
                : "job interrupted by shutdown; released to the queue"
            )
          ),
          Effect.ignore
        )
      )
    )

    yield* processorEnded
    if (Exit.isSuccess(exit)) {
      if (reporter !== undefined) yield* reporter.flush
      const written =
        job.projectId === null
          ? yield* completeDetached({ job, id: jobId, fence, result: exit.value })
          : yield* withEvent(repo.complete(jobId, fence, exit.value), (job) => ({ _tag: "JobCompleted", job }))
      if (Option.isNone(written)) return skipped(jobId, LOST)
      yield* Effect.logInfo(`job completed (${yield* took})`)
      return { _tag: "Completed", job: written.value } as const
    }

    const end = attemptEnd(record, limit, stopReason, exit.cause, endedElsewhere)
    if (!Cause.hasInterruptsOnly(exit.cause) && Option.isNone(Cause.findErrorOption(exit.cause))) {
      yield* Effect.logError("job processor died", Cause.squash(exit.cause))
    }
    switch (end._tag) {
      case "Cancelled": {
        const written = yield* withEvent(repo.markCancelled(jobId, fence), (job) => ({ _tag: "JobCancelled", job }))
        yield* Effect.logInfo(`job cancelled while running (${yield* took})`)
        return cancelled(written, jobId)
      }
      case "Lost":
        yield* Effect.logWarning(
          end.endedAs === undefined
            ? `job attempt abandoned: ${LOST}`
            : `job attempt abandoned: another worker ended the job (${end.endedAs}) while it ran`
        )
        return skipped(jobId, LOST)
      // A shutdown interrupts this fiber too, which ends in onInterrupt above, not here.
      case "Released":
        return yield* Effect.die(new Error("an attempt stopped by a shutdown went on to record its end"))
      case "Retry": {
        const { error } = end
        const queued = yield* withEvent(repo.requeue(jobId, fence, error), (queued) =>
          queued.status === "cancelled"
            ? { _tag: "JobCancelled", job: queued }
            : {
                _tag: "JobProgress",
                jobId,
                progress: queued.progress,
                message: `attempt ${attempt} of ${job.maxAttempts} failed, retrying: ${error.message}`,
                step: queued.step,
                totalSteps: queued.totalSteps,
                eta: null
              }
        )
        if (Option.isNone(queued)) return skipped(jobId, LOST)
        if (queued.value.status === "cancelled") {
          yield* Effect.logInfo(`job cancelled: its attempt failed after the cancel was asked for (${yield* took})`)
          return { _tag: "Cancelled", job: queued.value } as const
        }
        yield* Effect.logWarning(`job attempt failed, will retry (${yield* took}): ${error.message}`)
        return { _tag: "RetryLater", job: queued.value } as const
      }
    }
    const { error } = end
    const failed = yield* withEvent(repo.fail(jobId, fence, error), (job) => ({ _tag: "JobFailed", job }))
    if (Option.isNone(failed)) return skipped(jobId, LOST)
    yield* Effect.logWarning(`job failed (${yield* took}): ${error.message}`)
    return { _tag: "Failed", job: failed.value } as const
  })

  const attempt = Effect.fnUntraced(function* (jobId: JobId, delivery: Delivery) {
    const carrier = delivery.carrier ?? null
    const started = yield* markRunning({ id: jobId, carrier })
    if (Option.isNone(started)) {
      const outcome = yield* notStarted(jobId, carrier)
      if (outcome._tag === "Skipped") yield* Effect.logDebug(`job skipped: ${outcome.reason}`)
      return outcome
    }
    return yield* execute(started.value, delivery.processorEnded ?? Effect.void)
  }, spanWhenTracing("JobRunner.attempt"))

  return JobRunner.of({
    run: (jobId, delivery = {}) => attempt(jobId, delivery).pipe(Effect.annotateLogs({ jobId })),
    cancel: (jobId) =>
      Effect.suspend(() => {
        const attempt = running.get(jobId)
        return attempt === undefined ? Effect.succeed(false) : Effect.as(attempt.stop("cancelled"), true)
      })
  })
})
