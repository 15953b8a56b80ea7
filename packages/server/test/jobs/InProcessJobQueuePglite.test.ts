// The embedded profile for real: the in-process queue on PGlite kept in a data directory. A job cut off when the whole
// stack stops is resumed when the stack starts again on the same directory.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { JobId } from "@costline/core"
import * as Database from "@costline/server/database/Database"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import type { ProcessorRegistry } from "@costline/server/jobs/JobProcessors"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { assert, it } from "@effect/vitest"
import { Deferred, Effect, Layer } from "effect"
import { awaitJob, insertPositions, insertProject, journal } from "./jobFixtures.ts"

/** The embedded stack on PGlite in `dataDir`, with the given extra processors. */
const embedded = (dataDir: string, extra: ProcessorRegistry = {}) =>
  JobQueue.layerInProcessWith({ concurrency: 2, backoff: "100 millis" }).pipe(
    Layer.provide(JobRunner.layer),
    Layer.provide(JobProcessors.layerWith(extra)),
    Layer.provideMerge(Layer.mergeAll(JobRepo.layer, ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerMemory)))),
    Layer.provideMerge(Database.layerPglite({ dataDir }))
  )

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "costline-jobs-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

it.live(
  "on PGlite: recalculates, and a job cut off by a stop is resumed after a restart on the same data directory",
  () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const started = yield* Deferred.make<void>()
      const stuck: ProcessorRegistry = {
        export_budget: () => Deferred.succeed(started, undefined).pipe(Effect.andThen(Effect.never))
      }

      // First run: a recalculation completes; an export hangs until the stack stops.
      const { exportId, projectId } = yield* Effect.gen(function* () {
        const projectId = yield* insertProject
        yield* insertPositions(projectId, [
          { key: "a", objectCode: "SO 01", total: "12.34" },
          { key: "b", objectCode: "SO 02", total: "0.66" }
        ])
        const queue = yield* JobQueue
        const recalculated = yield* awaitJob((yield* queue.enqueue({ type: "recalculate_budget", projectId })).id)
        assert.strictEqual(recalculated.status, "completed")
        assert.strictEqual((recalculated.result as { total: string }).total, "13.00")
        assert.deepStrictEqual(
          (yield* journal(projectId)).map((event) => event.type),
          ["JobProgress", "JobProgress", "JobProgress", "JobCompleted"]
        )
        const exportJob = yield* queue.enqueue({ type: "export_budget", projectId })
        yield* Deferred.await(started)
        return { exportId: exportJob.id as JobId, projectId }
      }).pipe(Effect.provide(embedded(dir, stuck)))

      // Second run on the same files: the export resumes without being enqueued again.
      const resumed = yield* Effect.gen(function* () {
        yield* JobQueue
        const job = yield* awaitJob(exportId)
        const events = yield* journal(projectId)
        return { job, events }
      }).pipe(Effect.provide(embedded(dir, { export_budget: () => Effect.succeed({ rows: 2 }) })))

      assert.strictEqual(resumed.job.status, "completed")
      assert.strictEqual(resumed.job.attempts, 1, "the cut-off attempt does not count")
      assert.deepStrictEqual(resumed.job.result, { rows: 2 })
      assert.deepStrictEqual(
        resumed.events.map((event) => event.seq),
        resumed.events.map((_, index) => index + 1)
      )
      assert.strictEqual(resumed.events.at(-1)?.type, "JobCompleted")
    }),
  60_000
)
