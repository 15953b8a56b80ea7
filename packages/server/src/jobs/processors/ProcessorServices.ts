// What the pipeline's processors run on, and the layer that assembles it for a process: the server (embedded profile,
// writing through the project's actor, enqueueing through its own in-process queue) or the worker (production,
// writing through the actors on the servers' runners, enqueueing to BullMQ).
import { Layer } from "effect"
import type { SqlClient } from "effect/sql"
import { BlobStore } from "../../blobs/BlobStore.ts"
import { BudgetRepo } from "../../budget/BudgetRepo.ts"
import { DocumentRepo } from "../../documents/DocumentRepo.ts"
import type { ProjectEventLog } from "../../events/ProjectEventLog.ts"
import type { JobRepo } from "../JobRepo.ts"
import type { BudgetWriter } from "./BudgetWriter.ts"
import type { FollowUpJobs } from "./FollowUpJobs.ts"
import { ReferenceData } from "./ReferenceData.ts"

export type ProcessorServices =
  | SqlClient.SqlClient
  | ProjectEventLog
  | JobRepo
  | BudgetRepo
  | BudgetWriter
  | BlobStore
  | DocumentRepo
  | FollowUpJobs
  | ReferenceData

/**
 * The processors' services on top of the process's infrastructure (SqlClient, ProjectEventLog, JobRepo, and AppConfig
 * for the blob directory), given how this process writes versions and enqueues follow-up jobs.
 */
export const layer = <RW, RF>(options: {
  readonly writer: Layer.Layer<BudgetWriter, never, RW>
  readonly followUps: Layer.Layer<FollowUpJobs, never, RF>
}) =>
  Layer.mergeAll(options.writer, options.followUps, BlobStore.layer, DocumentRepo.layer, ReferenceData.layer).pipe(
    Layer.provideMerge(BudgetRepo.layer)
  )
