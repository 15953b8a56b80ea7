// The only module that knows BullMQ: queues `high`, `default`, `low` under the deployment's Redis prefix, and workers
// that hand each delivered job id to the runner and translate its outcome into BullMQ's terms (return, a thrown Error
// for a retry with backoff, UnrecoverableError for a final failure). Only the job id travels through Redis.
import { type JobId, JobId as JobIdSchema, type JobQueueName } from "@costline/core"
import { Queue, UnrecoverableError, WaitingError, Worker } from "bullmq"
import { Duration, Effect, FiberSet, Schema, type Scope } from "effect"
import { Redis } from "../redis/Redis.ts"
import type { JobRecord } from "./JobRepo.ts"
import type { JobRunOutcome } from "./JobRunner.ts"

export const queueNames: ReadonlyArray<JobQueueName> = ["high", "default", "low"]

/** What a BullMQ job carries. */
interface Envelope {
  readonly jobId: string
}

const decodeEnvelope = Schema.decodeUnknownOption(Schema.Struct({ jobId: JobIdSchema }))

/**
 * BullMQ rejects custom ids that look like integers or contain ':' (ours may: "recalculate:<project>:<version>"), so
 * the BullMQ id is an injective encoding of ours. It only deduplicates; the envelope carries the real id.
 */
export const bullJobId = (id: JobId): string => `job_${id.replaceAll("%", "%25").replaceAll(":", "%3A")}`

export interface ProducerOptions {
  /** First retry delay; later ones double (BullMQ exponential backoff). Default 1 second. */
  readonly backoff?: Duration.Input | undefined
}

export interface Producer {
  /** Hands a queued job to its BullMQ queue; adding an id BullMQ still holds is a no-op there. */
  readonly add: (record: JobRecord) => Effect.Effect<void>
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

  const add = Effect.fn("BullMQ.add")(function* (record: JobRecord) {
    const queue = queues.get(record.queue) ?? queues.get("default")!
    yield* Effect.tryPromise({
      try: () =>
        queue.add(
          record.job.type,
          { jobId: record.job.id },
          {
            jobId: bullJobId(record.job.id),
            // BullMQ: 0 = no priority (taken first), 1 = most urgent of the prioritized jobs.
            ...(record.priority > 0 ? { priority: record.priority } : {}),
            attempts: record.job.maxAttempts,
            backoff: { type: "exponential", delay: backoffMs },
            // The background_jobs row is the record users read; Redis keeps finished jobs only briefly.
            removeOnComplete: { age: 3600, count: 1000 },
            removeOnFail: { age: 7 * 24 * 3600 }
          }
        ),
      catch: (cause) =>
        new Error(`could not hand job ${record.job.id} to the BullMQ queue "${record.queue}": ${String(cause)}`, {
          cause
        })
    }).pipe(Effect.orDie)
  })

  return { add }
})

export interface WorkersOptions {
  /** Jobs each queue runs at once in this process; 0 leaves the queue to other processes. */
  readonly concurrency: Readonly<Record<JobQueueName, number>>
  /**
   * How long closing waits for running jobs. Jobs still running then are interrupted and put back in the wait list
   * (and their rows back to queued) without counting the attempt, so another worker resumes them.
   */
  readonly shutdownTimeout: Duration.Input
}

export interface Workers {
  /** Resolves once every worker's Redis connections are up. */
  readonly ready: Effect.Effect<void>
}

type Directive =
  | { readonly _tag: "done" }
  | { readonly _tag: "retry"; readonly message: string }
  | { readonly _tag: "fail"; readonly message: string }

const directiveFor = (outcome: JobRunOutcome): Directive => {
  switch (outcome._tag) {
    case "Completed":
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
  // Set when shutdown gives up waiting: an attempt that then ends by interruption goes back to the wait list.
  let stopping = false

  for (const name of queueNames) {
    const concurrency = options.concurrency[name]
    if (!(concurrency > 0)) continue
    const connection = yield* redis.duplicate({ maxRetriesPerRequest: null })
    const processJob = (
      job: {
        readonly data: unknown
        readonly attemptsMade: number
        readonly moveToWait: (token?: string) => Promise<unknown>
      },
      token?: string
    ): Promise<null> => {
      const envelope = decodeEnvelope(job.data)
      if (envelope._tag === "None") {
        return Promise.reject(new UnrecoverableError("the BullMQ job carries no valid job id"))
      }
      const attempt = run(envelope.value.jobId).pipe(
        Effect.map(directiveFor),
        // The runner could not record the attempt (database down): the row is still queued or running, so let
        // BullMQ try again after its backoff.
        Effect.catch((error) =>
          Effect.logWarning("job attempt not recorded, BullMQ will retry", error).pipe(
            Effect.as<Directive>({ _tag: "retry", message: "the database did not answer" })
          )
        ),
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
      autorun: true
    })
    // An EventEmitter 'error' without a listener would crash the process; connection hiccups are logged instead.
    worker.on("error", (error) => {
      runLog(Effect.logWarning(`BullMQ worker "${name}" error: ${error.message}`))
    })
    workers.push(worker)
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
