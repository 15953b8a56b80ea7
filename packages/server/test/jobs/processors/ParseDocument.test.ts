// parse_document against real PostgreSQL and a real blob directory: a real KROS budget becomes version 1 with its 298
// positions and the document records how it went; a re-run (after a crash at any point) makes no second version; a
// corrupt file fails for good with a message that says why, and makes no version; once the import has committed, a
// cancel or a late failure cannot leave the document pending or failed beside its version; a job that fails for good
// while importing (a second timeout) leaves its document failed, not pending.
import { type DocumentId, type JobId, type ProjectId, parseBudget } from "@costline/core"
import { BudgetRepo } from "@costline/server/budget/BudgetRepo"
import { DocumentRepo } from "@costline/server/documents/DocumentRepo"
import { JobProcessors } from "@costline/server/jobs/JobProcessors"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRunner } from "@costline/server/jobs/JobRunner"
import { BudgetWriter } from "@costline/server/jobs/processors/BudgetWriter"
import { FollowUpJobs } from "@costline/server/jobs/processors/FollowUpJobs"
import { makeParseDocument } from "@costline/server/jobs/processors/ParseDocument"
import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Fiber, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import { fixturesAvailable, readFixture } from "../../../../../test/support/fixtures.ts"
import { awaitJob } from "../jobFixtures.ts"
import {
  contextFor,
  csvBudget,
  currentVersion,
  enqueued,
  fakeJob,
  newProject,
  processorLayer,
  runProcessor,
  storeDocument
} from "./processorHarness.ts"

const realData = fixturesAvailable("boq/rd-valcha.unixml.xml")

const parseJob = (projectId: ProjectId, documentId: DocumentId) =>
  Effect.gen(function* () {
    const processor = yield* makeParseDocument
    return yield* runProcessor(processor, {
      id: `parse:${documentId}`,
      type: "parse_document",
      projectId,
      payload: { documentId }
    })
  })

const documentOf = (documentId: DocumentId) =>
  Effect.gen(function* () {
    const documents = yield* DocumentRepo
    return Option.getOrThrow(yield* Effect.orDie(documents.find(documentId))).document
  })

/** A new project with a stored, not yet parsed, one-position CSV document. */
const oneLineDocument = Effect.gen(function* () {
  const { projectId, userId } = yield* newProject
  const documentId = yield* storeDocument(projectId, userId, csvBudget([["1", "Beton", "m3", "2", "100"]]), "one.csv")
  return { projectId, documentId }
})

/** Interrupts the fiber it runs in, as cancelling the job does, at that point of the processor. */
const interruptHere = Effect.withFiber((fiber) => {
  fiber.interruptUnsafe()
  return Effect.void
})

/** Runs parse_document in a fiber of its own, as the runner does (an interrupt is that fiber's); answers its exit. */
const parseInOwnFiber = (
  processor: Effect.Success<typeof makeParseDocument>,
  projectId: ProjectId,
  documentId: DocumentId
) =>
  Effect.forkChild(
    runProcessor(processor, { id: `parse:${documentId}`, type: "parse_document", projectId, payload: { documentId } })
  ).pipe(Effect.flatMap(Fiber.await))

const versionsOf = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    return yield* sql<{ version: number; trigger_type: string; document_id: string | null }>`
      SELECT version, trigger_type, document_id FROM budget_versions WHERE project_id = ${projectId} ORDER BY version`
  }).pipe(Effect.orDie)

layer(processorLayer(), { excludeTestServices: true, timeout: "120 seconds" })("parse_document", (it) => {
  it.effect.skipIf(!realData)("rd-valcha.unixml.xml becomes version 1 with 298 positions, linked to its document", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const bytes = readFixture("boq/rd-valcha.unixml.xml")!
      const documentId = yield* storeDocument(projectId, userId, bytes, "rd-valcha.unixml.xml")

      const { result, progress } = yield* parseJob(projectId, documentId)
      assert.deepInclude(result as object, {
        documentId,
        format: "unixml",
        positionCount: 298,
        version: 1,
        committed: true
      })
      assert.strictEqual((result as { next: string }).next, `enrich:${projectId}:1`)
      assert.deepStrictEqual(
        progress.map((update) => update.step),
        [1, 2, 3, 4]
      )

      const head = yield* (yield* BudgetRepo).readHead(projectId)
      assert.strictEqual(head.version, 1)
      assert.strictEqual(head.positions.length, 298)
      const expected = yield* Effect.orDie(parseBudget(bytes))
      assert.deepStrictEqual(head.positions, expected.positions)
      assert.deepStrictEqual(yield* versionsOf(projectId), [
        { version: 1, trigger_type: "initial", document_id: documentId }
      ])

      const document = yield* documentOf(documentId)
      assert.strictEqual(document.parseStatus, "parsed")
      assert.isNotNull(document.parsedAt)
      assert.strictEqual(document.versionCreated, 1)
      assert.deepStrictEqual(document.importProblems, expected.problems)

      // The next step of the pipeline: enrich version 1, after this job.
      assert.deepStrictEqual(
        (yield* enqueued).map((options) => [options.type, options.jobId, options.payload]),
        [["enrich_positions", `enrich:${projectId}:1`, { version: 1, after: `parse:${documentId}` }]]
      )
    })
  )

  it.effect("re-running the job, or running it after a crash at any point, makes no second version", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const bytes = csvBudget([
        ["121151113", "Sejmutí ornice", "m2", "120", "25,50"],
        ["131251100", "Hloubení jam", "m3", "42,5", "310"]
      ])
      const documentId = yield* storeDocument(projectId, userId, bytes, "small.csv")

      const first = yield* parseJob(projectId, documentId)
      assert.deepInclude(first.result as object, { version: 1, committed: true, positionCount: 2 })

      // Completed but re-delivered: the document is parsed, nothing is parsed or imported again.
      const again = yield* parseJob(projectId, documentId)
      assert.deepInclude(again.result as object, { version: 1, committed: false })
      assert.strictEqual(yield* currentVersion(projectId), 1)

      // Crashed after the commit, before the document was marked parsed; meanwhile someone edited the budget.
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE project_documents SET parse_status = 'parsing', parsed_at = NULL WHERE id = ${documentId}`.pipe(
        Effect.orDie
      )
      const head = yield* (yield* BudgetRepo).readHead(projectId)
      yield* (yield* BudgetWriter).applyChanges(projectId, {
        expectedVersion: 1,
        changes: [{ _tag: "RemovePosition", positionKey: head.positions[1]!.positionKey }],
        trigger: "user_edit",
        requestedBy: userId
      })
      const afterCrash = yield* parseJob(projectId, documentId)
      // The document's version is still 1 and the edit (version 2) is not undone by a second import.
      assert.deepInclude(afterCrash.result as object, { version: 1, committed: false, positionCount: 2 })
      assert.strictEqual(yield* currentVersion(projectId), 2)
      assert.deepStrictEqual(
        (yield* versionsOf(projectId)).map((row) => row.trigger_type),
        ["initial", "user_edit"]
      )
      assert.strictEqual((yield* documentOf(documentId)).parseStatus, "parsed")

      // Each of the three runs asked for the same follow-up job id, so the queue keeps one job.
      const followUps = (yield* enqueued).filter((options) => options.projectId === projectId)
      assert.strictEqual(followUps.length, 3)
      assert.deepStrictEqual([...new Set(followUps.map((options) => options.jobId))], [`enrich:${projectId}:1`])
    })
  )

  it.effect("the same positions in a second document change nothing: no version, no follow-up", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const rows = [["121151113", "Sejmutí ornice", "m2", "120", "25,50"]] as const
      const first = yield* storeDocument(projectId, userId, csvBudget(rows), "a.csv")
      yield* parseJob(projectId, first)
      const before = (yield* enqueued).length
      // Same rows, different bytes (a trailing newline): another document, same budget.
      const second = yield* storeDocument(projectId, userId, new Uint8Array([...csvBudget(rows), 10]), "b.csv")
      const { result } = yield* parseJob(projectId, second)
      assert.deepInclude(result as object, { version: null, committed: false, next: null })
      assert.strictEqual(yield* currentVersion(projectId), 1)
      assert.strictEqual((yield* enqueued).length, before)
      assert.strictEqual((yield* documentOf(second)).parseStatus, "parsed")
    })
  )

  it.effect(
    "a cancel landing just after the import committed still leaves the document parsed beside its version",
    () =>
      Effect.gen(function* () {
        const { projectId, documentId } = yield* oneLineDocument
        // The interrupt (what cancelling the job does) arrives as the processor goes to record the parse result.
        const real = yield* DocumentRepo
        const interruptedAtRecord = DocumentRepo.of({
          ...real,
          markParsed: (id, problems) => Effect.andThen(interruptHere, real.markParsed(id, problems))
        })
        const processor = yield* makeParseDocument.pipe(Effect.provideService(DocumentRepo, interruptedAtRecord))
        const exit = yield* parseInOwnFiber(processor, projectId, documentId)
        assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
        assert.strictEqual((yield* documentOf(documentId)).parseStatus, "parsed")
        assert.deepStrictEqual(
          (yield* versionsOf(projectId)).map((row) => [row.version, row.document_id]),
          [[1, documentId]]
        )
      })
  )

  it.effect("a cancel landing after the import committed but before its answer arrived: the document is parsed", () =>
    Effect.gen(function* () {
      const { projectId, documentId } = yield* oneLineDocument
      // The actor commits; the interrupt lands while its answer is on the way.
      const real = yield* BudgetWriter
      const answerLost = BudgetWriter.of({
        ...real,
        importPositions: (project, input) => Effect.tap(real.importPositions(project, input), () => interruptHere)
      })
      const processor = yield* makeParseDocument.pipe(Effect.provideService(BudgetWriter, answerLost))
      const exit = yield* parseInOwnFiber(processor, projectId, documentId)
      assert.isTrue(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause))
      assert.strictEqual((yield* documentOf(documentId)).parseStatus, "parsed")
      assert.strictEqual(yield* currentVersion(projectId), 1)
    })
  )

  it.effect(
    "a failure after the document was recorded parsed, in the job's last attempt, does not mark it failed",
    () =>
      Effect.gen(function* () {
        const { projectId, documentId } = yield* oneLineDocument
        const unreachableQueue = FollowUpJobs.of({
          enqueue: () => Effect.die(new Error("Redis did not answer")),
          bind: () => Effect.void
        })
        const processor = yield* makeParseDocument.pipe(Effect.provideService(FollowUpJobs, unreachableQueue))
        const lastAttempt = {
          ...fakeJob({ id: `parse:${documentId}` as JobId, type: "parse_document", projectId }),
          attempts: 3,
          maxAttempts: 3
        }
        const exit = yield* Effect.exit(processor(contextFor(lastAttempt, { documentId })))
        assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
        assert.strictEqual((yield* documentOf(documentId)).parseStatus, "parsed")
        assert.strictEqual(yield* currentVersion(projectId), 1)
      })
  )

  it.effect("an import that times out twice fails the job for good, and the document with it (real runner)", () =>
    Effect.gen(function* () {
      const { projectId, documentId } = yield* oneLineDocument
      // The actor never answers: each attempt runs into the time limit while importing.
      const real = yield* BudgetWriter
      const stuck = BudgetWriter.of({ ...real, importPositions: () => Effect.never })
      const processor = yield* makeParseDocument.pipe(Effect.provideService(BudgetWriter, stuck))
      yield* Effect.gen(function* () {
        const queue = yield* JobQueue
        const job = yield* queue.enqueue({
          type: "parse_document",
          projectId,
          payload: { documentId },
          maxAttempts: 5
        })
        const ended = yield* awaitJob(job.id, ["failed", "completed", "cancelled"], "15 seconds")
        assert.strictEqual(ended.status, "failed")
        assert.strictEqual(ended.attempts, 2, "a second timeout in a row is final, with attempts left")
        assert.strictEqual((yield* documentOf(documentId)).parseStatus, "failed", "the document follows its job")
        assert.strictEqual(yield* currentVersion(projectId), 0)
      }).pipe(
        Effect.provide(
          JobQueue.layerInProcessWith({ concurrency: 1, backoff: "50 millis" }).pipe(
            Layer.provideMerge(JobRunner.layerWith({ timeouts: { parse_document: "300 millis" } })),
            Layer.provide(JobProcessors.layerWith({ parse_document: processor }))
          )
        )
      )
    })
  )

  it.effect("a corrupt file fails for good with a clear message: document failed, no version, no follow-up", () =>
    Effect.gen(function* () {
      const { projectId, userId } = yield* newProject
      const corrupt = new TextEncoder().encode('<?xml version="1.0"?><unixml><stavba><objekty><objekt>')
      const documentId = yield* storeDocument(projectId, userId, corrupt, "broken.xml")
      const before = (yield* enqueued).length

      const failure = yield* Effect.flip(parseJob(projectId, documentId))
      assert.strictEqual(failure._tag, "PermanentJobFailure")
      assert.match(failure.message, /^"broken\.xml" could not be imported \(malformed\): /)
      assert.strictEqual(yield* currentVersion(projectId), 0)
      assert.strictEqual((yield* documentOf(documentId)).parseStatus, "failed")
      assert.strictEqual((yield* enqueued).length, before)
    })
  )

  it.effect("a document that does not exist fails for good", () =>
    Effect.gen(function* () {
      const { projectId } = yield* newProject
      const missing = crypto.randomUUID() as DocumentId
      const failure = yield* Effect.flip(parseJob(projectId, missing))
      assert.strictEqual(failure._tag, "PermanentJobFailure")
      assert.include(failure.message, `document ${missing} does not exist`)
    })
  )
})
