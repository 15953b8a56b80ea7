// How Costline's jobs look in BullMQ: the queues `high`, `default`, `low` under the deployment's Redis prefix, the
// BullMQ job id of a job, the envelope a BullMQ job carries (only job ids travel through Redis), the packs jobs enqueued
// together travel in, and the pub/sub channel cancel requests travel on. BullMQProducer and BullMQWorkers are the only
// modules that talk to BullMQ.
//
// Jobs enqueued together travel in packs: one BullMQ job carries up to PACK_SIZE of them (same queue and priority), so
// a bulk enqueue costs BullMQ (Redis scripts, locks, the worker's fetch loop) per pack rather than per job — that
// per-job cost was most of the CPU time of a no-op job. Each job in a pack still has its own row, attempt, fencing,
// progress, cancel and time limit (the runner's); a job of a pack that must be retried leaves the pack and is queued
// alone with its backoff. A pack's id is written in its jobs' rows (`handoff`), so handing the same rows again after a
// loss re-adds the same pack id, which BullMQ ignores while it holds the pack.
import { type JobId, JobId as JobIdSchema, type JobQueueName } from "@costline/core"
import { Schema } from "effect"
import type { CreateJob } from "./JobRepo.ts"

export const queueNames: ReadonlyArray<JobQueueName> = ["high", "default", "low"]

/** What a BullMQ job carries: one job's id, or the ids of a pack. */
export type Envelope = { readonly jobId: string } | { readonly jobIds: ReadonlyArray<string> }

export const decodeEnvelope = Schema.decodeUnknownOption(
  Schema.Union([Schema.Struct({ jobId: JobIdSchema }), Schema.Struct({ jobIds: Schema.Array(JobIdSchema) })])
)
export const decodeJobId = Schema.decodeUnknownOption(JobIdSchema)

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
