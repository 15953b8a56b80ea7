// The only module that knows BullMQ: queues `high`, `default`, `low` under the deployment's Redis prefix, and workers
// that hand each delivered job id to the runner and translate its outcome into BullMQ's terms (return, a thrown Error
// for a retry with backoff, UnrecoverableError for a final failure, DelayedError when the attempt could not even be
// recorded). Only job ids travel through Redis; cancel requests travel on one pub/sub channel per deployment.
//
// Jobs enqueued together travel in packs: one BullMQ job carries up to PACK_SIZE of them (same queue and priority), so
// a bulk enqueue costs BullMQ (Redis scripts, locks, the worker's fetch loop) per pack rather than per job — that
// per-job cost was most of the CPU time of a no-op job. Each job in a pack still has its own row, attempt, fencing,
// progress, cancel and time limit (the runner's); a job of a pack that must be retried leaves the pack and is queued
// alone with its backoff. A pack's id is written in its jobs' rows (`handoff`), so handing the same rows again after a
// loss re-adds the same pack id, which BullMQ ignores while it holds the pack.
import { type Job, type JobId, JobId as JobIdSchema, type JobQueueName } from "@costline/core"
import { type Job as BullJob, DelayedError, Queue, UnrecoverableError, WaitingError, Worker } from "bullmq"
import {
  Cause,
  Clock,
  Duration,
  Effect,
  Queue as EffectQueue,
  Exit,
  FiberSet,
  Schedule,
  Schema,
  type Scope
} from "effect"
import { Redis } from "../redis/Redis.ts"
import type { CreateJob, JobRecord } from "./JobRepo.ts"
import type { Delivery, JobRunOutcome } from "./JobRunner.ts"

export const queueNames: ReadonlyArray<JobQueueName> = ["high", "default", "low"]

/** What a BullMQ job carries: one job's id, or the ids of a pack. */
type Envelope = { readonly jobId: string } | { readonly jobIds: ReadonlyArray<string> }

const decodeEnvelope = Schema.decodeUnknownOption(
  Schema.Union([Schema.Struct({ jobId: JobIdSchema }), Schema.Struct({ jobIds: Schema.Array(JobIdSchema) })])
)
const decodeJobId = Schema.decodeUnknownOption(JobIdSchema)

/**
 * The most jobs one BullMQ job carries. Big enough that BullMQ's per-job cost becomes small (1/50), small enough that
 * a pack is a short unit of work: several workers share a burst, and a pack holds its slot for a few jobs' time.
 */
export const PACK_SIZE = 50

/**
 * Assigns packs to jobs enqueued together: runs of the same queue and priority, in input order, PACK_SIZE at most; a
 * job left alone travels alone. The pack id goes into the job's row before it is stored.
 */
export const packJobs = (inputs: ReadonlyArray<CreateJob>): ReadonlyArray<CreateJob> => {
  const groups = new Map<string, Array<number>>()
  inputs.forEach((input, index) => {
    const key = `${input.queue} ${input.priority}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [index])
    else group.push(index)
  })
  const packed = [...inputs]
  for (const indexes of groups.values()) {
    for (let start = 0; start < indexes.length; start += PACK_SIZE) {
      const members = indexes.slice(start, start + PACK_SIZE)
      if (members.length < 2) continue
      const handoff = `pack_${crypto.randomUUID()}`
      for (const index of members) packed[index] = { ...inputs[index]!, handoff }
    }
  }
  return packed
}

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
  /** A job of a pack to be retried: queued alone on `queue`, to start after `delayMs` (its backoff). */
  readonly addAloneLater: (job: Job, queue: JobQueueName, priority: number, delayMs: number) => Effect.Effect<void>
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

  const jobOptions = (priority: number) => ({
    // BullMQ: 0 = no priority (taken first), 1 = most urgent of the prioritized jobs.
    ...(priority > 0 ? { priority } : {}),
    backoff: { type: "exponential", delay: backoffMs },
    // The background_jobs row is the record users read; Redis keeps finished jobs only briefly.
    removeOnComplete: { age: 3600, count: 1000 },
    removeOnFail: { age: 7 * 24 * 3600 }
  })

  const aloneJob = (job: Job, priority: number) => ({
    name: job.type as string,
    data: { jobId: job.id } as Envelope,
    opts: { ...jobOptions(priority), jobId: bullJobId(job.id), attempts: job.maxAttempts }
  })
  const bulkJob = (record: JobRecord) => aloneJob(record.job, record.priority)

  // A pack fails in BullMQ only when a member's attempt could not be recorded or the runner died; each retry of the
  // pack counts in that member's row, which fails for good after its own attempts, so one more than any member's
  // attempts is enough for the pack to finish.
  const packJob = (handoff: string, members: ReadonlyArray<JobRecord>) => ({
    name: "pack",
    data: { jobIds: members.map((record) => record.job.id) } as Envelope,
    opts: {
      ...jobOptions(members[0]!.priority),
      // Gone from Redis as soon as it ends: while BullMQ holds a pack id, handing the same id again adds nothing, and
      // a pack that ended with jobs still unfinished (its runner died too often) must be able to come back.
      removeOnComplete: true,
      removeOnFail: true,
      jobId: handoff,
      attempts: Math.max(...members.map((record) => record.job.maxAttempts)) + 1
    }
  })

  /** One BullMQ job per lone record, one per pack. */
  const bullJobs = (records: ReadonlyArray<JobRecord>) => {
    const packs = new Map<string, Array<JobRecord>>()
    const jobs: Array<ReturnType<typeof bulkJob> | ReturnType<typeof packJob>> = []
    for (const record of records) {
      if (record.handoff === null) {
        jobs.push(bulkJob(record))
        continue
      }
      const members = packs.get(record.handoff)
      if (members === undefined) packs.set(record.handoff, [record])
      else members.push(record)
    }
    for (const [handoff, members] of packs) jobs.push(packJob(handoff, members))
    return jobs
  }

  const redisFailure = (what: string) => (cause: unknown) =>
    new Error(`could not ${what}: Redis did not answer (${String(cause)})`, { cause })

  const addMany = Effect.fn("BullMQ.addMany")(function* (records: ReadonlyArray<JobRecord>) {
    const byQueue = new Map<Queue<Envelope>, Array<JobRecord>>()
    for (const record of records) {
      const queue = queueOf(record)
      const list = byQueue.get(queue)
      if (list === undefined) byQueue.set(queue, [record])
      else list.push(record)
    }
    for (const [queue, list] of byQueue) {
      const jobs = bullJobs(list)
      for (let start = 0; start < jobs.length; start += ADD_CHUNK) {
        const chunk = jobs.slice(start, start + ADD_CHUNK)
        yield* Effect.tryPromise({
          try: () => queue.addBulk(chunk),
          catch: redisFailure(`hand ${chunk.length} jobs to the BullMQ queue "${queue.name}"`)
        }).pipe(Effect.orDie)
      }
    }
  })

  // Answers 0 when the job is locked by a worker (running) or gone: the runner then skips or stops it. A job in a pack
  // stays there; the runner skips it when the pack reaches it.
  const remove = (record: JobRecord): Effect.Effect<void> =>
    Effect.tryPromise(() =>
      record.handoff === null ? queueOf(record).remove(bullJobId(record.job.id)) : Promise.resolve(0)
    ).pipe(
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

  const addAloneLater = Effect.fn("BullMQ.addAloneLater")(function* (
    job: Job,
    queue: JobQueueName,
    priority: number,
    delayMs: number
  ) {
    const alone = aloneJob(job, priority)
    const target = queues.get(queue) ?? queues.get("default")!
    yield* Effect.tryPromise({
      try: () => target.add(alone.name, alone.data, { ...alone.opts, delay: Math.max(0, Math.round(delayMs)) }),
      catch: redisFailure(`queue job ${job.id} again for its retry`)
    }).pipe(Effect.orDie)
  })

  return { addMany, replace, remove, publishCancel, addAloneLater }
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
  /** First retry delay of a job that leaves its pack to be retried; later ones double. Default 1 second (as the producer's). */
  readonly backoff?: Duration.Input | undefined
}

export interface Workers {
  /** Resolves once every worker's Redis connections are up. */
  readonly ready: Effect.Effect<void>
}

type Directive =
  | { readonly _tag: "done" }
  /** Not started because the worker is shutting down: back to the wait list, no attempt used. */
  | { readonly _tag: "handBack" }
  | { readonly _tag: "retry"; readonly message: string }
  | { readonly _tag: "fail"; readonly message: string }
  | { readonly _tag: "delayed" }

/** A job whose slot came free only after shutdown began: it is handed back instead of started. */
interface NotStarted {
  readonly _tag: "NotStarted"
}
const notStarted: NotStarted = { _tag: "NotStarted" }

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
  run: (jobId: JobId, delivery: Delivery) => Effect.Effect<JobRunOutcome, unknown, R>,
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
  const backoffMs = Duration.toMillis(Duration.fromInputUnsafe(options.backoff ?? "1 second"))
  // Retries of jobs that leave their pack are queued alone from here.
  const producer = yield* makeProducer({ backoff: Duration.millis(backoffMs) })
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
            // Queued alone at once, not when the whole pack is done: BullMQ's exponential backoff, first after
            // `backoff`, then doubling. Should Redis not take it, the pack is retried and the job with it.
            Effect.tap((outcome) =>
              outcome._tag === "RetryLater"
                ? producer.addAloneLater(
                    outcome.job,
                    name,
                    job.opts.priority ?? 0,
                    backoffMs * 2 ** Math.max(0, outcome.job.attempts - 1)
                  )
                : Effect.void
            ),
            Effect.exit,
            // The runner adds the job id.
            Effect.annotateLogs({ queue: name, pack: job.id ?? "?" })
          ),
        { concurrency: "unbounded" }
      ).pipe(
        Effect.flatMap((exits) =>
          Effect.gen(function* () {
            let unrecorded: unknown
            let died = false
            let handBack = false
            for (const exit of exits) {
              if (Exit.isSuccess(exit)) {
                if (exit.value._tag === "NotStarted") handBack = true
                continue
              }
              if (Cause.hasInterruptsOnly(exit.cause)) {
                return yield* Effect.interrupt
              } else if (Cause.hasDies(exit.cause)) {
                yield* Effect.logError("job runner died", Cause.squash(exit.cause))
                died = true
              } else {
                unrecorded = Cause.squash(exit.cause)
              }
            }
            if (unrecorded !== undefined) return yield* Effect.fail(unrecorded)
            // Shutting down with jobs of the pack not started: the pack goes back, they start in another worker (the
            // ones that ran are skipped there).
            if (handBack) return { _tag: "handBack" } as Directive
            return died
              ? ({ _tag: "retry", message: "the job runner failed unexpectedly on a job of the pack" } as Directive)
              : ({ _tag: "done" } as Directive)
          })
        )
      )

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
    ready: Effect.tryPromise(() => Promise.all(workers.map((worker) => worker.waitUntilReady()))).pipe(
      Effect.orDie,
      Effect.asVoid
    )
  }
})
