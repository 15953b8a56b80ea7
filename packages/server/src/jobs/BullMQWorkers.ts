// BullMQ workers for the worker process: each hands the job ids of a delivered BullMQ job (one job, or a pack) to the
// runner and translates the outcome into BullMQ's terms (return, a thrown Error for a retry with backoff,
// UnrecoverableError for a final failure, DelayedError when the attempt could not even be recorded, WaitingError when
// it is handed back at shutdown). Also listens for cancel requests.
import type { JobId, JobQueueName } from "@costline/core"
import { type Job as BullJob, DelayedError, UnrecoverableError, WaitingError, Worker } from "bullmq"
import { Cause, Clock, Duration, Effect, Queue as EffectQueue, Exit, FiberSet, type Scope } from "effect"
import { Redis } from "../redis/Redis.ts"
import { cancelChannel, decodeEnvelope, decodeJobId, type Envelope, queueNames } from "./BullMQJobs.ts"
import { makeProducer, type Producer } from "./BullMQProducer.ts"
import type { Delivery, JobRunOutcome } from "./JobRunner.ts"

export interface WorkersOptions {
  /** Jobs each queue runs at once in this process; 0 leaves the queue to other processes. */
  readonly concurrency: Readonly<Record<JobQueueName, number>>
  /**
   * How long closing waits for running jobs. Jobs still running then are interrupted and put back in the wait list
   * (and their rows back to queued) without counting the attempt, so another worker resumes them.
   */
  readonly shutdownTimeout: Duration.Input
  /**
   * How long a worker's lock on a job lasts without renewal (BullMQ renews it at half-time while the process lives).
   * After a crash the job waits this long, plus up to one stalled-check interval, before another worker takes it.
   * Default 30 s.
   */
  readonly lockDuration?: Duration.Input | undefined
  /** Delay before a delivery whose attempt could not be recorded (database down) is tried again. Default 1 s. */
  readonly unrecordedRetryDelay?: Duration.Input | undefined
  /** Called when a cancel request for a job arrives on the cancel channel (normally JobRunner.cancel). */
  readonly onCancel?: ((jobId: JobId) => Effect.Effect<unknown>) | undefined
  /** First retry delay of a job that leaves its pack to be retried; later ones double. Default 1 second (as the producer's). */
  readonly backoff?: Duration.Input | undefined
}

export interface Workers {
  /** Resolves once every worker's Redis connections are up. */
  readonly ready: Effect.Effect<void>
  /** The workers' own producer (their queues, their backoff), for whatever else the process hands to BullMQ. */
  readonly producer: Producer
}

type Directive =
  | { readonly _tag: "done" }
  /** Not started because the worker is shutting down: back to the wait list, no attempt used. */
  | { readonly _tag: "handBack" }
  | { readonly _tag: "retry"; readonly message: string }
  | { readonly _tag: "fail"; readonly message: string }
  | { readonly _tag: "delayed" }
  /** An attempt on a live worker still runs the job (JobRunner's RunningElsewhere): delivered again after `afterMs`. */
  | { readonly _tag: "recheck"; readonly afterMs: number }

/** A job whose slot came free only after shutdown began: it is handed back instead of started. */
interface NotStarted {
  readonly _tag: "NotStarted"
}
const notStarted: NotStarted = { _tag: "NotStarted" }

/**
 * What BullMQ does with a pack once each of its jobs has had its turn: postponed when an attempt could not be recorded
 * (the failure), handed back when the worker is shutting down with jobs not started, delivered again later when a job
 * still runs on a live worker elsewhere, retried when the runner died on one, done otherwise (jobs to retry have left
 * the pack already). The jobs that ran are skipped where the pack runs next.
 */
const packDirective = (exits: ReadonlyArray<Exit.Exit<JobRunOutcome | NotStarted, unknown>>) =>
  Effect.gen(function* () {
    let unrecorded: unknown
    let died = false
    let handBack = false
    // Set when a job still runs on a live worker elsewhere: the longest of their waits.
    let recheckAfterMs: number | undefined
    for (const exit of exits) {
      if (Exit.isSuccess(exit)) {
        if (exit.value._tag === "NotStarted") handBack = true
        if (exit.value._tag === "RunningElsewhere") {
          recheckAfterMs = Math.max(recheckAfterMs ?? 0, exit.value.recheckAfterMs)
        }
      } else if (Cause.hasInterruptsOnly(exit.cause)) {
        return yield* Effect.interrupt
      } else if (Cause.hasDies(exit.cause)) {
        yield* Effect.logError("job runner died", Cause.squash(exit.cause))
        died = true
      } else {
        unrecorded = Cause.squash(exit.cause)
      }
    }
    if (unrecorded !== undefined) return yield* Effect.fail(unrecorded)
    if (handBack) return { _tag: "handBack" } as Directive
    if (recheckAfterMs !== undefined) return { _tag: "recheck", afterMs: recheckAfterMs } as Directive
    return died
      ? ({ _tag: "retry", message: "the job runner failed unexpectedly on a job of the pack" } as Directive)
      : ({ _tag: "done" } as Directive)
  })

const directiveFor = (outcome: JobRunOutcome): Directive => {
  switch (outcome._tag) {
    case "Completed":
    case "Cancelled":
    case "Skipped":
      return { _tag: "done" }
    case "RetryLater":
      return { _tag: "retry", message: outcome.job.error?.message ?? "retrying" }
    case "Failed":
      return { _tag: "fail", message: outcome.job.error?.message ?? "failed" }
    case "RunningElsewhere":
      return { _tag: "recheck", afterMs: outcome.recheckAfterMs }
  }
}

/**
 * Starts one BullMQ Worker per queue with a positive concurrency, each job calling `run` (normally JobRunner.run).
 * Closing the scope stops taking jobs, waits up to `shutdownTimeout` for the running ones, then forces the rest.
 */
export const runWorkers = Effect.fnUntraced(function* <R>(
  run: (jobId: JobId, delivery: Delivery) => Effect.Effect<JobRunOutcome, unknown, R>,
  options: WorkersOptions
): Effect.fn.Return<Workers, never, Redis | Scope.Scope | R> {
  const redis = yield* Redis
  // Made first so that its finalizer, which interrupts whatever still runs, comes last.
  const running = yield* FiberSet.make<Directive, never>()
  // An attempt's fiber is started before its Promise is made, not inside the Promise's executor as
  // FiberSet.runtimePromise does. Started there, a worker with V8's allocation-site pretenuring on (node's default)
  // promoted a third more of each job's objects to the old generation (~780 against ~590 KB per scavenge at 1,000
  // jobs a second): longer scavenges and more mark-compacts, which hold up every job in flight. `npm run worker` turns
  // pretenuring off (README, "Workers and GC"), which makes the two alike; this keeps a worker started otherwise fast.
  const runFork = yield* FiberSet.runtime(running)<R>()
  const runPromise = (attempt: Effect.Effect<Directive, never, R>): Promise<Directive> => {
    const fiber = runFork(attempt)
    return new Promise((resolve, reject) =>
      fiber.addObserver((exit) => (Exit.isSuccess(exit) ? resolve(exit.value) : reject(Cause.squash(exit.cause))))
    )
  }
  const runLog = yield* FiberSet.makeRuntime<never, void, never>()
  const workers: Array<Worker<Envelope>> = []
  const lockDuration = Duration.toMillis(Duration.fromInputUnsafe(options.lockDuration ?? "30 seconds"))
  const retryDelay = Duration.toMillis(Duration.fromInputUnsafe(options.unrecordedRetryDelay ?? "1 second"))
  // Retries of jobs that leave their pack are queued alone from here.
  const producer = yield* makeProducer({ backoff: options.backoff })
  // Set when shutdown begins: jobs of held packs (or alone) that have not started yet are handed back, not started.
  let closing = false
  // Set when shutdown gives up waiting: an attempt that then ends by interruption goes back to the wait list.
  let stopping = false

  for (const name of queueNames) {
    const concurrency = options.concurrency[name]
    if (!(concurrency > 0)) continue
    const connection = yield* redis.duplicate({ maxRetriesPerRequest: null })
    // `concurrency` jobs at once, whether they came alone or in packs (a pack holds one BullMQ slot), first come first
    // served: a queue of that many tokens. Not a Semaphore: releasing one wakes every waiter to re-check, and the
    // thousands of jobs of waiting packs made that most of the worker's CPU time (measured).
    const slots = yield* EffectQueue.bounded<true>(concurrency)
    yield* EffectQueue.offerAll(
      slots,
      Array.from({ length: concurrency }, () => true as const)
    )
    // A slot is held from the start of an attempt until its processor ends; recording the end (a database write)
    // happens after the slot is free again, so the next job need not wait for it.
    const runJob = (jobId: JobId, carrier: string | null): Effect.Effect<JobRunOutcome | NotStarted, unknown, R> =>
      Effect.suspend(() => {
        let held = false
        const free = Effect.suspend(() => {
          if (!held) return Effect.void
          held = false
          return Effect.asVoid(EffectQueue.offer(slots, true))
        })
        return Effect.acquireUseRelease(
          Effect.map(EffectQueue.take(slots), () => {
            held = true
          }),
          (): Effect.Effect<JobRunOutcome | NotStarted, unknown, R> =>
            closing ? Effect.succeed(notStarted) : run(jobId, { carrier, processorEnded: free }),
          () => free
        )
      })

    /** The jobs of a pack, each with its own attempt; the pack's outcome is the worst that needs BullMQ. */
    const runPack = (job: BullJob<Envelope>, ids: ReadonlyArray<JobId>) =>
      Effect.forEach(
        ids,
        (jobId) =>
          runJob(jobId, job.id ?? null).pipe(
            // Queued alone at once, not when the whole pack is done, after its backoff. Should Redis not take it,
            // the pack is retried and the job with it.
            Effect.tap((outcome) =>
              outcome._tag === "RetryLater"
                ? producer.addAloneLater(outcome.job, name, job.opts.priority ?? 0)
                : Effect.void
            ),
            Effect.exit,
            // The runner adds the job id.
            Effect.annotateLogs({ queue: name, pack: job.id ?? "?" })
          ),
        { concurrency: "unbounded" }
      ).pipe(Effect.flatMap(packDirective))

    const processJob = (job: BullJob<Envelope>, token?: string): Promise<null> => {
      const envelope = decodeEnvelope(job.data)
      if (envelope._tag === "None") {
        return Promise.reject(new UnrecoverableError("the BullMQ job carries no valid job id"))
      }
      // The runner could not record the attempt (database down): the row is still queued or running. The job waits
      // in BullMQ's delayed set without using up an attempt, however long the outage lasts.
      const postpone = (message: string) => (cause: unknown) =>
        Effect.logWarning(`${message}; trying again in ${retryDelay} ms`, cause).pipe(
          Effect.andThen(Clock.currentTimeMillis),
          Effect.flatMap((now) => Effect.tryPromise(() => job.moveToDelayed(now + retryDelay, token))),
          Effect.as<Directive>({ _tag: "delayed" }),
          Effect.orElseSucceed((): Directive => ({ _tag: "retry", message }))
        )
      const carried = envelope.value
      const attempt =
        "jobIds" in carried
          ? runPack(job, carried.jobIds).pipe(
              Effect.catch(postpone("a job attempt of the pack was not recorded: the database did not answer"))
            )
          : runJob(carried.jobId, null).pipe(
              Effect.map(
                (outcome): Directive => (outcome._tag === "NotStarted" ? { _tag: "handBack" } : directiveFor(outcome))
              ),
              Effect.catch(postpone("job attempt not recorded: the database did not answer")),
              // A bug rather than an outage: retried like a thrown error, within the job's attempts.
              Effect.catchDefect((defect) =>
                Effect.logError("job runner died", defect).pipe(
                  Effect.as<Directive>({ _tag: "retry", message: "the job runner failed unexpectedly" })
                )
              ),
              Effect.annotateLogs({ jobId: carried.jobId, queue: name, deliveries: job.attemptsMade + 1 })
            )
      return runPromise(attempt).then(
        (directive) => {
          if (directive._tag === "retry") throw new Error(directive.message)
          if (directive._tag === "fail") throw new UnrecoverableError(directive.message)
          if (directive._tag === "delayed") throw new DelayedError("the attempt could not be recorded")
          if (directive._tag === "recheck") {
            return job.moveToDelayed(Date.now() + directive.afterMs, token).then(() => {
              throw new DelayedError("an attempt on a live worker still runs the job")
            })
          }
          if (directive._tag === "handBack") {
            return job.moveToWait(token).then(() => {
              throw new WaitingError("not started: the worker is shutting down")
            })
          }
          return null
        },
        (error: unknown) => {
          // Interrupted by the shutdown: hand the job back without using up an attempt (WaitingError tells BullMQ
          // the job has been moved already). Anything else is a plain failure BullMQ retries.
          if (!stopping) throw error
          return job.moveToWait(token).then(() => {
            throw new WaitingError("interrupted by a worker shutdown")
          })
        }
      )
    }
    const worker = new Worker<Envelope>(name, processJob, {
      connection,
      prefix: redis.prefix,
      concurrency,
      lockDuration,
      // Checked as often as a lock can expire, so a crashed worker's job waits at most about two lock durations.
      stalledInterval: lockDuration,
      // BullMQ never gives up on a job whose workers keep dying: it would fail it in Redis only, leaving its row
      // `running` for ever. Each takeover counts as an attempt in the row instead, and the runner fails the job when
      // a delivery finds its attempts used up (JobRunner.notStarted).
      maxStalledCount: Number.MAX_SAFE_INTEGER,
      autorun: true
    })
    // An EventEmitter 'error' without a listener would crash the process; connection hiccups are logged instead.
    worker.on("error", (error) => {
      runLog(Effect.logWarning(`BullMQ worker "${name}" error: ${error.message}`))
    })
    workers.push(worker)
  }

  const onCancel = options.onCancel
  if (onCancel !== undefined && workers.length > 0) {
    const channel = cancelChannel(redis.prefix)
    const subscriber = yield* redis.duplicate({ maxRetriesPerRequest: null })
    subscriber.on("message", (received: string, message: string) => {
      const jobId = received === channel ? decodeJobId(message) : undefined
      if (jobId?._tag === "Some") runLog(Effect.asVoid(Effect.ignore(onCancel(jobId.value))))
    })
    yield* Effect.tryPromise(() => subscriber.subscribe(channel)).pipe(Effect.orDie)
  }

  // worker.close() stops fetching and waits for the running jobs; a later close(true) would only return that same
  // pending promise, so jobs that outlive the timeout are interrupted instead, which lets close() complete.
  yield* Effect.addFinalizer(() =>
    Effect.gen(function* () {
      const closed = yield* Effect.sync(() => {
        closing = true
        return Promise.all(workers.map((worker) => worker.close()))
      })
      const waitClosed = (timeout: Duration.Input) =>
        Effect.tryPromise(() => closed).pipe(Effect.timeout(timeout), Effect.asVoid)
      yield* waitClosed(options.shutdownTimeout).pipe(
        Effect.catch(() =>
          Effect.logWarning("running jobs did not finish in time; interrupting them, they will resume elsewhere").pipe(
            Effect.andThen(
              Effect.sync(() => {
                stopping = true
              })
            ),
            Effect.andThen(FiberSet.clear(running)),
            Effect.andThen(waitClosed("10 seconds"))
          )
        ),
        Effect.catch((error) => Effect.logWarning("BullMQ workers did not close cleanly", error))
      )
    })
  )

  return {
    producer,
    ready: Effect.tryPromise(() => Promise.all(workers.map((worker) => worker.waitUntilReady()))).pipe(
      Effect.orDie,
      Effect.asVoid
    )
  }
})
