// Hands jobs to BullMQ for the workers: adds them (alone or in packs) to their queues, replaces a finished job's BullMQ
// job for a retry, takes a cancelled job off its queue, and publishes cancel requests. Only the job ids travel.
import type { Job, JobId, JobQueueName } from "@costline/core"
import { Queue } from "bullmq"
import { Duration, Effect, Schedule, type Scope } from "effect"
import { spanWhenTracing } from "../config/spanWhenTracing.ts"
import { Redis } from "../redis/Redis.ts"
import { bullJobId, cancelChannel, type Envelope, queueNames } from "./BullMQJobs.ts"
import type { JobRecord } from "./JobRepo.ts"

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
  /**
   * A job of a pack to be retried: queued alone on `queue`, to start after its backoff (BullMQ's exponential one: the
   * first retry after `backoff`, then doubling with each attempt).
   */
  readonly addAloneLater: (job: Job, queue: JobQueueName, priority: number) => Effect.Effect<void>
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

  const addMany = Effect.fnUntraced(function* (records: ReadonlyArray<JobRecord>) {
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
        // A single job is added on its own: addBulk wraps even one job in MULTI / EXEC, more work for Redis and one
        // more reply to wait for on the path of every lone enqueue.
        const only = chunk.length === 1 ? chunk[0]! : undefined
        yield* Effect.tryPromise({
          try: (): Promise<unknown> =>
            only === undefined ? queue.addBulk(chunk) : queue.add(only.name, only.data, only.opts),
          catch: redisFailure(`hand ${chunk.length} jobs to the BullMQ queue "${queue.name}"`)
        }).pipe(Effect.orDie)
      }
    }
  }, spanWhenTracing("BullMQ.addMany"))

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

  const addAloneLater = Effect.fn("BullMQ.addAloneLater")(function* (job: Job, queue: JobQueueName, priority: number) {
    const alone = aloneJob(job, priority)
    const target = queues.get(queue) ?? queues.get("default")!
    const delay = Math.round(backoffMs * 2 ** Math.max(0, job.attempts - 1))
    yield* Effect.tryPromise({
      try: () => target.add(alone.name, alone.data, { ...alone.opts, delay }),
      catch: redisFailure(`queue job ${job.id} again for its retry`)
    }).pipe(Effect.orDie)
  })

  return { addMany, replace, remove, publishCancel, addAloneLater }
})
