// The only module that knows BullMQ: queues `high`, `default`, `low` under the deployment's Redis prefix, and workers
// that hand each delivered job id to the runner and translate its outcome into BullMQ's terms (return, a thrown Error
// for a retry with backoff, UnrecoverableError for a final failure, DelayedError when the attempt could not even be
// recorded). Only the job id travels through Redis; cancel requests travel on one pub/sub channel per deployment.
import { type JobId, JobId as JobIdSchema, type JobQueueName } from "@costline/core"
import { type Job as BullJob, DelayedError, Queue, UnrecoverableError, WaitingError, Worker } from "bullmq"
import { Clock, Duration, Effect, FiberSet, Schedule, Schema, type Scope } from "effect"
import { Redis } from "../redis/Redis.ts"
import type { JobRecord } from "./JobRepo.ts"
import type { JobRunOutcome } from "./JobRunner.ts"

export const queueNames: ReadonlyArray<JobQueueName> = ["high", "default", "low"]

/** What a BullMQ job carries. */
interface Envelope {
  readonly jobId: string
}

const decodeEnvelope = Schema.decodeUnknownOption(Schema.Struct({ jobId: JobIdSchema }))
const decodeJobId = Schema.decodeUnknownOption(JobIdSchema)

/**
 * BullMQ rejects custom ids that look like integers or contain ':' (ours may: "recalculate:<project>:<version>"), so
 * the BullMQ id is an injective encoding of ours. It only deduplicates; the envelope carries the real id.
 */
export const bullJobId = (id: JobId): string => `job_${id.replaceAll("%", "%25").replaceAll(":", "%3A")}`

/** The channel on which servers ask workers to stop a running job. */
export const cancelChannel = (prefix: string): string => `${prefix}:jobs:cancel`

const ADD_CHUNK = 5000

export interface ProducerOptions {
  /** First retry delay; later ones double (BullMQ exponential backoff). Default 1 second. */
  readonly backoff?: Duration.Input | undefined
}

export interface Producer {
  /** Hands queued jobs to their BullMQ queues (one round trip per queue and chunk); ids BullMQ still holds are left as they are. */
  readonly addMany: (records: ReadonlyArray<JobRecord>) => Effect.Effect<void>
  /** A job reset for a retry: its previous BullMQ job (finished, kept for a while) is removed, then it is added anew. */
  readonly replace: (record: JobRecord) => Effect.Effect<void>
  /** A cancelled job leaves its queue when it is waiting there; otherwise the runner skips it when it is delivered. */
  readonly remove: (record: JobRecord) => Effect.Effect<void>
  /** Tells every worker to interrupt the job if it runs it. */
  readonly publishCancel: (jobId: JobId) => Effect.Effect<void>
}

export const makeProducer = Effect.fnUntraced(function* (
  options: ProducerOptions = {}
): Effect.fn.Return<Producer, never, Redis | Scope.Scope> {
  const redis = yield* Redis
  const backoffMs = Duration.toMillis(Duration.fromInputUnsafe(options.backoff ?? "1 second"))
  const queues = new Map<JobQueueName, Queue<Envelope>>()
  for (const name of queueNames) {
    const queue = yield* Effect.acquireRelease(
      // The shared command connection: a Queue only issues plain commands, never blocking ones.
      Effect.sync(() => new Queue<Envelope>(name, { connection: redis.client, prefix: redis.prefix })),
      (queue) => Effect.ignore(Effect.tryPromise(() => queue.close()))
    )
    queues.set(name, queue)
  }
  const queueOf = (record: JobRecord) => queues.get(record.queue) ?? queues.get("default")!

  const bulkJob = (record: JobRecord) => ({
    name: record.job.type,
    data: { jobId: record.job.id },
    opts: {
      jobId: bullJobId(record.job.id),
      // BullMQ: 0 = no priority (taken first), 1 = most urgent of the prioritized jobs.
      ...(record.priority > 0 ? { priority: record.priority } : {}),
      attempts: record.job.maxAttempts,
      backoff: { type: "exponential", delay: backoffMs },
      // The background_jobs row is the record users read; Redis keeps finished jobs only briefly.
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 7 * 24 * 3600 }
    }
  })

  const redisFailure = (what: string) => (cause: unknown) =>
    new Error(`could not ${what}: Redis did not answer (${String(cause)})`, { cause })

  const addMany = Effect.fn("BullMQ.addMany")(function* (records: ReadonlyArray<JobRecord>) {
    const byQueue = new Map<Queue<Envelope>, Array<JobRecord>>()
    for (const record of records) {
      const queue = queueOf(record)
      byQueue.set(queue, [...(byQueue.get(queue) ?? []), record])
    }
    for (const [queue, list] of byQueue) {
      for (let start = 0; start < list.length; start += ADD_CHUNK) {
        const chunk = list.slice(start, start + ADD_CHUNK).map(bulkJob)
        yield* Effect.tryPromise({
          try: () => queue.addBulk(chunk),
          catch: redisFailure(`hand ${chunk.length} jobs to the BullMQ queue "${queue.name}"`)
        }).pipe(Effect.orDie)
      }
    }
  })

  // Answers 0 when the job is locked by a worker (running) or gone: the runner then skips or stops it.
  const remove = (record: JobRecord): Effect.Effect<void> =>
    Effect.tryPromise(() => queueOf(record).remove(bullJobId(record.job.id))).pipe(
      Effect.asVoid,
      Effect.catch((error) => Effect.logWarning("could not remove a cancelled job from its BullMQ queue", error)),
      Effect.withSpan("BullMQ.remove")
    )

  const replace = Effect.fn("BullMQ.replace")(function* (record: JobRecord) {
    const queue = queueOf(record)
    const id = bullJobId(record.job.id)
    // The previous run's BullMQ job may still be finishing (locked) for a moment after its row was written.
    const gone = Effect.tryPromise(() => queue.remove(id)).pipe(
      Effect.flatMap((removed) =>
        removed === 1
          ? Effect.succeed("gone" as const)
          : Effect.map(
              Effect.tryPromise(() => queue.getJob(id)),
              (left) => (left === undefined ? ("gone" as const) : ("locked" as const))
            )
      ),
      Effect.flatMap((state) => (state === "gone" ? Effect.void : Effect.fail("still locked")))
    )
    yield* gone.pipe(
      Effect.retry(Schedule.spaced("100 millis").pipe(Schedule.upTo({ times: 50 }))),
      Effect.mapError(redisFailure(`remove the previous BullMQ job of ${record.job.id} before retrying it`)),
      Effect.orDie
    )
    yield* addMany([record])
  })

  const publishCancel = Effect.fn("BullMQ.publishCancel")(function* (jobId: JobId) {
    yield* Effect.tryPromise(() => redis.client.publish(cancelChannel(redis.prefix), jobId)).pipe(
      Effect.mapError(redisFailure(`ask the workers to stop job ${jobId}`)),
      Effect.orDie
    )
  })

  return { addMany, replace, remove, publishCancel }
})

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
}

export interface Workers {
  /** Resolves once every worker's Redis connections are up. */
  readonly ready: Effect.Effect<void>
}

type Directive =
  | { readonly _tag: "done" }
  | { readonly _tag: "retry"; readonly message: string }
  | { readonly _tag: "fail"; readonly message: string }
  | { readonly _tag: "delayed" }

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
  }
}

/**
 * Starts one BullMQ Worker per queue with a positive concurrency, each job calling `run` (normally JobRunner.run).
 * Closing the scope stops taking jobs, waits up to `shutdownTimeout` for the running ones, then forces the rest.
 */
export const runWorkers = Effect.fnUntraced(function* <R>(
  run: (jobId: JobId) => Effect.Effect<JobRunOutcome, unknown, R>,
  options: WorkersOptions
): Effect.fn.Return<Workers, never, Redis | Scope.Scope | R> {
  const redis = yield* Redis
  // Made first so that its finalizer, which interrupts whatever still runs, comes last.
  const running = yield* FiberSet.make<Directive, never>()
  const runPromise = yield* FiberSet.runtimePromise(running)<R>()
  const runLog = yield* FiberSet.makeRuntime<never, void, never>()
  const workers: Array<Worker<Envelope>> = []
  const lockDuration = Duration.toMillis(Duration.fromInputUnsafe(options.lockDuration ?? "30 seconds"))
  const retryDelay = Duration.toMillis(Duration.fromInputUnsafe(options.unrecordedRetryDelay ?? "1 second"))
  // Set when shutdown gives up waiting: an attempt that then ends by interruption goes back to the wait list.
  let stopping = false

  for (const name of queueNames) {
    const concurrency = options.concurrency[name]
    if (!(concurrency > 0)) continue
    const connection = yield* redis.duplicate({ maxRetriesPerRequest: null })
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
      const attempt = run(envelope.value.jobId).pipe(
        Effect.map(directiveFor),
        Effect.catch(postpone("job attempt not recorded: the database did not answer")),
        // A bug rather than an outage: retried like a thrown error, within the job's attempts.
        Effect.catchDefect((defect) =>
          Effect.logError("job runner died", defect).pipe(
            Effect.as<Directive>({ _tag: "retry", message: "the job runner failed unexpectedly" })
          )
        ),
        Effect.annotateLogs({ jobId: envelope.value.jobId, queue: name, deliveries: job.attemptsMade + 1 })
      )
      return runPromise(attempt).then(
        (directive) => {
          if (directive._tag === "retry") throw new Error(directive.message)
          if (directive._tag === "fail") throw new UnrecoverableError(directive.message)
          if (directive._tag === "delayed") throw new DelayedError("the attempt could not be recorded")
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
      // A job whose worker dies more than this often is failed by BullMQ; its row keeps the last state written.
      maxStalledCount: 3,
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
      const closed = yield* Effect.sync(() => Promise.all(workers.map((worker) => worker.close())))
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
    ready: Effect.tryPromise(() => Promise.all(workers.map((worker) => worker.waitUntilReady()))).pipe(
      Effect.orDie,
      Effect.asVoid
    )
  }
})
