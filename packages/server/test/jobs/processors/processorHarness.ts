// What the processor tests share: the processors' services on a fresh PostgreSQL database (writing with BudgetRepo's
// conflict check, blobs in a temporary directory, the real TSKP file when present), a FollowUpJobs that records what
// would be enqueued, a JobContext that records progress, and rows to hang the work on.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import {
  type BudgetSettings,
  type DecimalString,
  type DocumentId,
  defaultBudgetSettings,
  type Job,
  type JobId,
  type JobType,
  type Position,
  type ProjectId,
  type UserId
} from "@costline/core"
import { BlobStore } from "@costline/server/blobs/BlobStore"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { DocumentRepo } from "@costline/server/documents/DocumentRepo"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { attemptEnd, jobFate } from "@costline/server/jobs/AttemptEnd"
import type { JobContext, ProgressUpdate } from "@costline/server/jobs/JobProcessor"
import type { EnqueueOptions } from "@costline/server/jobs/JobQueue"
import { type JobRecord, JobRepo } from "@costline/server/jobs/JobRepo"
import { BudgetWriter } from "@costline/server/jobs/processors/BudgetWriter"
import { FollowUpJobs } from "@costline/server/jobs/processors/FollowUpJobs"
import { ReferenceData } from "@costline/server/jobs/processors/ReferenceData"
import { Context, Duration, Effect, Layer, Ref } from "effect"
import { SqlClient } from "effect/sql"
import { fixturesDir } from "../../../../../test/support/fixtures.ts"
import { TestDatabase } from "../../../../../test/support/TestDatabase.ts"

export const tskpPath = join(fixturesDir, "catalog", "tskp-tridnik.xml")

/** What the processor under test asked to enqueue next, in order. */
export class EnqueuedFollowUps extends Context.Service<EnqueuedFollowUps, Ref.Ref<ReadonlyArray<EnqueueOptions>>>()(
  "test/EnqueuedFollowUps"
) {}

const blobDirectory = Layer.unwrap(
  Effect.acquireRelease(
    Effect.promise(() => mkdtemp(join(tmpdir(), "costline-processor-blobs-"))),
    (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
  ).pipe(Effect.map((dir) => BlobStore.layerDirectory(dir)))
)

const recordingFollowUps = Layer.effect(
  FollowUpJobs,
  Effect.gen(function* () {
    const enqueued = yield* EnqueuedFollowUps
    return FollowUpJobs.of({
      enqueue: (options) =>
        Ref.update(enqueued, (list) => [...list, options]).pipe(
          Effect.as(
            fakeJob({ id: options.jobId ?? ("follow-up" as JobId), type: options.type, projectId: options.projectId })
          )
        ),
      bind: () => Effect.void
    })
  })
).pipe(Layer.provideMerge(Layer.effect(EnqueuedFollowUps, Ref.make<ReadonlyArray<EnqueueOptions>>([]))))

/** Every service a processor needs, on a fresh migrated database; `tskp` false hides the TSKP file. */
export const processorLayer = (options: { readonly tskp?: boolean } = {}) =>
  Layer.mergeAll(
    BudgetWriter.layerDirect,
    recordingFollowUps,
    blobDirectory,
    DocumentRepo.layer,
    ReferenceData.layerWith({ tskpPath: options.tskp === false ? join(tmpdir(), "no-such-tskp.xml") : tskpPath })
  ).pipe(
    Layer.provideMerge(BudgetRepo.layer),
    Layer.provideMerge(JobRepo.layer),
    Layer.provideMerge(ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerMemory))),
    Layer.provideMerge(TestDatabase.layerMigrated)
  )

export const fakeJob = (input: {
  readonly id: JobId
  readonly type: JobType
  readonly projectId: ProjectId | null
}): Job => ({
  id: input.id,
  projectId: input.projectId,
  type: input.type,
  status: "running",
  progress: 0,
  message: "",
  step: 0,
  totalSteps: 0,
  attempts: 1,
  maxAttempts: 3,
  result: null,
  error: null,
  createdAt: new Date(0).toISOString(),
  startedAt: new Date(0).toISOString(),
  finishedAt: null
})

/**
 * A runner's context for `job`: progress goes to `progress`, and `fateOf` follows the runner's own rule for an
 * attempt that an interrupt stops as a cancel does (the processor tests interrupt to stand for a cancel).
 */
export const contextFor = (job: Job, payload: unknown, progress: Array<ProgressUpdate> = []): JobContext => {
  const record: JobRecord = {
    job,
    queue: "default",
    priority: 0,
    payload,
    cancelRequested: false,
    errorCode: null,
    handoff: null,
    fence: job.attempts
  }
  return {
    job,
    payload,
    reportProgress: (update) => Effect.sync(() => void progress.push(update)),
    fateOf: (cause) => jobFate(attemptEnd(record, Duration.minutes(5), "cancelled", cause))
  }
}

/** Runs a processor once as a runner would, collecting its progress updates. */
export const runProcessor = <E>(
  processor: (context: JobContext) => Effect.Effect<unknown, E>,
  input: {
    readonly id: string
    readonly type: JobType
    readonly projectId: ProjectId | null
    readonly payload: unknown
  }
) =>
  Effect.gen(function* () {
    const progress: Array<ProgressUpdate> = []
    const job = fakeJob({ id: input.id as JobId, type: input.type, projectId: input.projectId })
    const result = yield* processor(contextFor(job, input.payload, progress))
    return { result, progress }
  })

export const newProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [user] = yield* sql<{ id: string }>`
    INSERT INTO users (email, password_hash, full_name)
    VALUES (${`processor-${crypto.randomUUID()}@example.com`}, 'x', 'Processor Tester') RETURNING id`
  const [project] = yield* sql<{ id: string }>`
    INSERT INTO projects (name, owner_id) VALUES ('Rodinný dům Valcha', ${user!.id}) RETURNING id`
  return { projectId: project!.id as ProjectId, userId: user!.id as UserId }
}).pipe(Effect.orDie)

/** Stores the bytes and their document row, as the upload does. */
export const storeDocument = (projectId: ProjectId, userId: UserId, bytes: Uint8Array, fileName: string) =>
  Effect.gen(function* () {
    const blobs = yield* BlobStore
    const documents = yield* DocumentRepo
    const stored = yield* blobs.put(bytes)
    const { record } = yield* documents.insert({
      projectId,
      fileName,
      contentType: "application/octet-stream",
      sizeBytes: stored.size,
      sha256: stored.key,
      blobKey: stored.key,
      format: "unixml",
      uploadedBy: userId
    })
    return record.document.id as DocumentId
  }).pipe(Effect.orDie)

export const currentVersion = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<{ current_version: number }>`SELECT current_version FROM projects WHERE id = ${projectId}`
    return Number(rows[0]?.current_version ?? -1)
  }).pipe(Effect.orDie)

export const enqueued = Effect.flatMap(EnqueuedFollowUps, Ref.get)

/** A priced position; override what a test is about. */
export const position = (key: string, overrides: Partial<Position> = {}): Position => ({
  positionKey: key,
  objectCode: "SO 01",
  objectName: "Dům",
  sectionCode: "1",
  number: key,
  code: "121151113",
  catalog: "CS ÚRS 2023 01",
  description: "Sejmutí ornice strojně",
  unit: "m2",
  quantity: "10.000" as DecimalString,
  unitPrice: "25.50" as DecimalString,
  total: "255.00" as DecimalString,
  takeoff: [],
  note: "",
  kind: "work",
  source: "uploaded",
  status: "unaudited",
  confidence: null,
  ...overrides
})

/** A small synthetic CSV budget (code, description, unit, quantity, unit price), as core's table import reads it. */
export const csvBudget = (rows: ReadonlyArray<readonly [string, string, string, string, string]>) =>
  new TextEncoder().encode(["Kód;Popis;MJ;Množství;J.cena", ...rows.map((row) => row.join(";"))].join("\n"))

/** Commits `positions` verbatim as the project's next version, as an import of a (dummy) document would. */
export const importVerbatim = (
  projectId: ProjectId,
  userId: UserId,
  positions: ReadonlyArray<Position>,
  settings: BudgetSettings = defaultBudgetSettings
) =>
  Effect.gen(function* () {
    const documentId = yield* storeDocument(
      projectId,
      userId,
      new TextEncoder().encode(crypto.randomUUID()),
      "positions.csv"
    )
    const version = yield* (yield* BudgetWriter).importPositions(projectId, {
      documentId,
      positions,
      settings,
      requestedBy: userId
    })
    return version!
  }).pipe(Effect.orDie)
