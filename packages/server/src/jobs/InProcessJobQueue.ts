// The embedded profile's job runner: an in-memory priority queue of job ids and a few fibers running them with the
// same JobRunner as the BullMQ worker. The database row is the durable state: on start, jobs still queued or running
// there are picked up again, so a restart loses nothing. Retries wait an exponential backoff, like BullMQ's.
import type { JobId, JobQueueName } from "@costline/core"
import { Duration, Effect, Order, type Scope, TxPriorityQueue } from "effect"
import type { JobRecord } from "./JobRepo.ts"
import { JobRepo } from "./JobRepo.ts"
import { JobRunner } from "./JobRunner.ts"

export interface InProcessOptions {
  /** Jobs running at once; default 2 (the embedded profile shares its process with the server). */
  readonly concurrency?: number | undefined
  /** First retry delay; later ones double. Default 1 second. */
  readonly backoff?: Duration.Input | undefined
}

interface Entry {
  readonly id: JobId
  readonly rank: number
  readonly priority: number
  readonly seq: number
}

const rank: Record<JobQueueName, number> = { high: 0, default: 1, low: 2 }

// high before default before low; within a queue BullMQ's rule (0 = unprioritized first, then 1, 2, …), then FIFO.
const order: Order.Order<Entry> = Order.combineAll([
  Order.mapInput(Order.Number, (entry: Entry) => entry.rank),
  Order.mapInput(Order.Number, (entry: Entry) => entry.priority),
  Order.mapInput(Order.Number, (entry: Entry) => entry.seq)
])

export interface InProcessQueue {
  /** Queues a job that is `queued` in the database; a job already waiting here is not queued twice. */
  readonly submit: (record: JobRecord) => Effect.Effect<void>
}

export const make = Effect.fnUntraced(function* (
  options: InProcessOptions = {}
): Effect.fn.Return<InProcessQueue, never, JobRepo | JobRunner | Scope.Scope> {
  const repo = yield* JobRepo
  const runner = yield* JobRunner
  const scope = yield* Effect.scope
  const concurrency = Math.max(1, Math.trunc(options.concurrency ?? 2))
  const backoffMs = Duration.toMillis(Duration.fromInputUnsafe(options.backoff ?? "1 second"))
  const pending = yield* TxPriorityQueue.empty(order)
  const waiting = new Set<JobId>()
  let seq = 0

  const offer = (entry: Omit<Entry, "seq">): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (waiting.has(entry.id)) return Effect.void
      waiting.add(entry.id)
      seq += 1
      return TxPriorityQueue.offer(pending, { ...entry, seq })
    })

  const submit = (record: JobRecord) =>
    offer({ id: record.job.id, rank: rank[record.queue] ?? rank.default, priority: record.priority })

  const later = (entry: Entry, delayMs: number) =>
    Effect.sleep(Duration.millis(delayMs)).pipe(Effect.andThen(offer(entry)), Effect.forkIn(scope), Effect.asVoid)

  const runOne = (entry: Entry) =>
    runner.run(entry.id).pipe(
      Effect.flatMap((outcome) => {
        switch (outcome._tag) {
          case "RetryLater":
            return later(entry, backoffMs * 2 ** Math.max(0, outcome.job.attempts - 1))
          // Only with a runner's liveness set, which this queue (the only process running its jobs) does not use.
          case "RunningElsewhere":
            return later(entry, outcome.recheckAfterMs)
          default:
            return Effect.void
        }
      }),
      // The database did not answer while recording the attempt: the row is unchanged, try again after a pause.
      Effect.catch((error) =>
        Effect.logWarning("job attempt not recorded, retrying", error).pipe(Effect.andThen(later(entry, backoffMs)))
      ),
      // A bug; rerunning at once would loop. The row stays as it is and the next start picks it up again.
      Effect.catchDefect((defect) => Effect.logError("job runner died", defect)),
      Effect.annotateLogs({ jobId: entry.id })
    )

  const loop = TxPriorityQueue.take(pending).pipe(
    Effect.tap((entry) => Effect.sync(() => waiting.delete(entry.id))),
    Effect.flatMap(runOne),
    Effect.forever
  )
  for (let i = 0; i < concurrency; i++) yield* Effect.forkIn(loop, scope)

  // Jobs a previous run left behind: queued ones never started, running ones were cut off by the stop.
  const unfinished = yield* repo.listUnfinished.pipe(Effect.orDie)
  for (const record of unfinished) yield* submit(record)
  if (unfinished.length > 0) yield* Effect.logInfo(`resuming ${unfinished.length} unfinished jobs`)

  return { submit }
})
