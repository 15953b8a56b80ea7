// Uploads through DocumentCommands on the production path (real PostgreSQL, a blob directory, BullMQ on real Redis with
// no worker, so the parse job stays queued): what the upload writes, what it refuses before writing, idempotence by
// content, and the all-or-nothing rule when the job cannot be queued.
import { mkdtemp, readdir, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { JobId, ProjectId, UserId } from "@costline/core"
import { BlobStore, sha256Hex } from "@costline/server/blobs/BlobStore"
import { AppConfig, parseConfig } from "@costline/server/config/AppConfig"
import { DocumentCommands } from "@costline/server/documents/DocumentCommands"
import { DocumentRepo } from "@costline/server/documents/DocumentRepo"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import * as BullMQJobs from "@costline/server/jobs/BullMQJobs"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { ProjectAccess } from "@costline/server/projects/ProjectAccess"
import { ProjectRepo } from "@costline/server/projects/ProjectRepo"
import { Redis } from "@costline/server/redis/Redis"
import { assert, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Layer, Option, Stream } from "effect"
import { SqlClient } from "effect/sql"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"
import { cleanupKeys, redisUrl, uniquePrefix } from "../jobs/redisFixture.ts"
import { fileForm, insertProject, insertUser, multipartParts } from "./documentFixtures.ts"

const MAX_UPLOAD_BYTES = 4096

/** Production-profile config on the test database and a fresh blob directory (removed afterwards). */
const Config = Layer.effect(
  AppConfig,
  Effect.gen(function* () {
    const database = yield* TestDatabase
    const blobDir = yield* Effect.acquireRelease(
      Effect.promise(() => mkdtemp(join(tmpdir(), "costline-documents-"))),
      (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
    )
    return yield* parseConfig({
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      REDIS_PREFIX: uniquePrefix("documents"),
      JWT_SECRET: "test-secret-test-secret-test-secret-0123",
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES),
      BLOB_DIR: blobDir
    }).pipe(Effect.orDie)
  })
)

const Services = Layer.mergeAll(
  BlobStore.layer,
  DocumentRepo.layer,
  JobRepo.layer,
  ProjectAccess.layer.pipe(Layer.provide(ProjectRepo.layer)),
  JobQueue.layerBullMQ.pipe(
    Layer.provide(JobRepo.layer),
    Layer.provide(ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis)))
  )
)

const Live = DocumentCommands.layer.pipe(
  Layer.provideMerge(Services),
  Layer.provideMerge(cleanupKeys.pipe(Layer.provideMerge(Redis.layer))),
  Layer.provideMerge(Config),
  Layer.provideMerge(TestDatabase.layerMigrated)
)

const csv = (rows: number, seed = crypto.randomUUID()) =>
  `kód;popis;MJ;množství;cena\n${Array.from({ length: rows }, (_, i) => `${seed}-${i};Položka ${i};m2;1;10`).join("\n")}\n`

const blobFiles = Effect.gen(function* () {
  const config = yield* AppConfig
  const entries = yield* Effect.promise(() => readdir(config.blobDir, { recursive: true, withFileTypes: true }))
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name)
})

const documentCount = (projectId: ProjectId) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* sql<{ n: number }>`
      SELECT count(*)::int AS n FROM project_documents WHERE project_id = ${projectId}`
    return row!.n
  }).pipe(Effect.orDie)

const owned = Effect.gen(function* () {
  const owner = yield* insertUser("owner")
  const projectId = yield* insertProject(owner)
  return { owner, projectId }
})

const upload = (projectId: ProjectId, userId: UserId, form: FormData) =>
  Effect.gen(function* () {
    const documents = yield* DocumentCommands
    return yield* documents.upload(projectId, userId, yield* multipartParts(form))
  })

layer(Live, { timeout: "60 seconds" })("DocumentCommands", (it) => {
  it.effect("stores the file, writes a pending row and queues parse:<id> on BullMQ with the document id", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const content = csv(3)
      const result = yield* upload(projectId, owner, fileForm(content, "C:\\exports\\rozpočet.csv"))
      assert.isTrue(result.created)
      const { document, job } = result
      const bytes = new TextEncoder().encode(content)
      assert.strictEqual(document.fileName, "rozpočet.csv")
      assert.strictEqual(document.contentType, "text/csv")
      assert.strictEqual(document.format, "csv")
      assert.strictEqual(document.sizeBytes, bytes.byteLength)
      assert.strictEqual(document.sha256, sha256Hex(bytes))
      assert.strictEqual(document.parseStatus, "pending")
      assert.strictEqual(document.uploadedBy, owner)

      const stored = yield* (yield* BlobStore).get(document.sha256)
      assert.deepStrictEqual(
        Option.map(stored, (b) => new TextDecoder().decode(b)),
        Option.some(content)
      )

      assert.strictEqual(job.id, `parse:${document.id}`)
      assert.strictEqual(job.type, "parse_document")
      assert.strictEqual(job.projectId, projectId)
      assert.strictEqual(job.status, "queued")
      const sql = yield* SqlClient.SqlClient
      const [row] = yield* sql<{ payload: unknown; created_by: string; queue: string }>`
        SELECT payload, created_by, queue FROM background_jobs WHERE id = ${job.id}`
      assert.deepStrictEqual(row, { payload: { documentId: document.id }, created_by: owner, queue: "default" })
      // Handed to BullMQ under the encoded deterministic id; only the job id travels through Redis.
      const redis = yield* Redis
      const data = yield* Effect.promise(() =>
        redis.client.hget(`${redis.prefix}:default:${BullMQJobs.bullJobId(job.id as JobId)}`, "data")
      )
      assert.deepStrictEqual(JSON.parse(data ?? "null"), { jobId: job.id })
    })
  )

  it.effect("the same bytes again give the existing document and its job, not a second of either", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const content = csv(2)
      const first = yield* upload(projectId, owner, fileForm(content, "a.csv"))
      const second = yield* upload(projectId, owner, fileForm(content, "renamed.csv"))
      assert.isFalse(second.created)
      assert.strictEqual(second.document.id, first.document.id)
      assert.strictEqual(second.document.fileName, "a.csv")
      assert.strictEqual(second.job.id, first.job.id)
      assert.strictEqual(yield* documentCount(projectId), 1)
      const sql = yield* SqlClient.SqlClient
      const [jobs] = yield* sql<{ n: number }>`
        SELECT count(*)::int AS n FROM background_jobs WHERE project_id = ${projectId}`
      assert.strictEqual(jobs!.n, 1)
    })
  )

  it.effect("concurrent uploads of the same bytes agree on one document and one job", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const content = csv(5)
      const results = yield* Effect.all(
        Array.from({ length: 4 }, () => upload(projectId, owner, fileForm(content, "same.csv"))),
        { concurrency: "unbounded" }
      )
      assert.strictEqual(new Set(results.map((r) => r.document.id)).size, 1)
      assert.strictEqual(new Set(results.map((r) => r.job.id)).size, 1)
      assert.strictEqual(results.filter((r) => r.created).length, 1)
      assert.strictEqual(yield* documentCount(projectId), 1)
    })
  )

  it.effect("an editor uploads; a viewer and a stranger get NotFound before a byte of the body is read", () =>
    Effect.gen(function* () {
      const owner = yield* insertUser("owner")
      const editor = yield* insertUser("editor")
      const viewer = yield* insertUser("viewer")
      const stranger = yield* insertUser("stranger")
      const projectId = yield* insertProject(owner, [
        [editor, "editor"],
        [viewer, "viewer"]
      ])
      const documents = yield* DocumentCommands
      // Pulling this body is a defect, which would not be the NotFound asserted below.
      const untouchable = Stream.die(new Error("the body was read"))
      for (const userId of [viewer, stranger]) {
        const error = yield* Effect.flip(documents.upload(projectId, userId, untouchable))
        assert.strictEqual(error._tag, "NotFound")
      }
      assert.strictEqual(yield* documentCount(projectId), 0)
      const byEditor = yield* upload(projectId, editor, fileForm(csv(1), "editor.csv"))
      assert.isTrue(byEditor.created)
      // Readers read.
      assert.strictEqual((yield* documents.get(byEditor.document.id, viewer)).id, byEditor.document.id)
      assert.strictEqual((yield* documents.list(projectId, viewer)).items.length, 1)
      assert.strictEqual((yield* Effect.flip(documents.get(byEditor.document.id, stranger)))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(documents.list(projectId, stranger)))._tag, "NotFound")
      assert.strictEqual((yield* Effect.flip(documents.content(byEditor.document.id, stranger)))._tag, "NotFound")
    })
  )

  it.effect("a file over MAX_UPLOAD_BYTES is PayloadTooLarge and keeps neither a row nor a blob", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const before = yield* blobFiles
      const error = yield* Effect.flip(upload(projectId, owner, fileForm("x".repeat(MAX_UPLOAD_BYTES + 1), "big.csv")))
      assert.strictEqual(error._tag, "PayloadTooLarge")
      assert.include(error.message, "MAX_UPLOAD_BYTES")
      assert.strictEqual(yield* documentCount(projectId), 0)
      assert.deepStrictEqual((yield* blobFiles).sort(), before.sort())
      // Exactly at the limit is accepted.
      const atLimit = yield* upload(projectId, owner, fileForm("y".repeat(MAX_UPLOAD_BYTES), "limit.csv"))
      assert.strictEqual(atLimit.document.sizeBytes, MAX_UPLOAD_BYTES)
    })
  )

  it.effect("a body without exactly one file part named file is InvalidRequest naming the part, nothing stored", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const before = yield* blobFiles
      const refused = (form: FormData) => Effect.flip(upload(projectId, owner, form))

      const none = yield* refused(new FormData())
      assert.deepStrictEqual([none._tag, none._tag === "InvalidRequest" ? none.field : ""], ["InvalidRequest", "file"])

      const extraFirst = new FormData()
      extraFirst.append("note", "hello")
      extraFirst.append("file", new Blob([csv(1)]), "a.csv")
      const extra = yield* refused(extraFirst)
      assert.strictEqual(extra._tag === "InvalidRequest" ? extra.field : extra._tag, "note")

      const textNotFile = new FormData()
      textNotFile.append("file", "kód;popis")
      const text = yield* refused(textNotFile)
      assert.strictEqual(text._tag === "InvalidRequest" ? text.field : text._tag, "file")

      const wrongName = new FormData()
      wrongName.append("document", new Blob([csv(1)]), "a.csv")
      const wrong = yield* refused(wrongName)
      assert.strictEqual(wrong._tag === "InvalidRequest" ? wrong.field : wrong._tag, "document")

      const empty = yield* refused(fileForm("", "empty.csv"))
      assert.strictEqual(empty._tag === "InvalidRequest" ? empty.field : empty._tag, "file")
      assert.include(empty.message, "empty")

      assert.strictEqual(yield* documentCount(projectId), 0)
      assert.deepStrictEqual((yield* blobFiles).sort(), before.sort())
    })
  )

  it.effect("when the parse job cannot be queued the upload fails and leaves no document row", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      // The real queue, except that enqueueing dies the way a lost Redis connection does.
      const redisDown = Layer.effect(
        JobQueue,
        Effect.map(JobQueue, (queue) =>
          JobQueue.of({
            ...queue,
            enqueue: () => Effect.die(new Error("could not hand the job to BullMQ: Redis is down"))
          })
        )
      )
      const exit = yield* upload(projectId, owner, fileForm(csv(2), "a.csv")).pipe(
        // fresh: the suite already built DocumentCommands.layer on the working queue, and layers are memoized.
        Effect.provide(Layer.fresh(DocumentCommands.layer).pipe(Layer.provide(redisDown))),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit) && Cause.hasDies(exit.cause))
      assert.strictEqual(yield* documentCount(projectId), 0)
      // Uploading again once the queue works succeeds from scratch.
      const retried = yield* upload(projectId, owner, fileForm(csv(2), "a.csv"))
      assert.isTrue(retried.created)
    })
  )

  it.effect("content streams the stored bytes back", () =>
    Effect.gen(function* () {
      const { owner, projectId } = yield* owned
      const bytes = new Uint8Array(3000).map((_, i) => 65 + (i % 26))
      const { document } = yield* upload(projectId, owner, fileForm(bytes, "letters.csv"))
      const download = yield* (yield* DocumentCommands).content(document.id, owner)
      assert.strictEqual(download.size, 3000)
      const chunks = yield* Stream.runCollect(download.content)
      assert.strictEqual(sha256Hex(Buffer.concat(chunks)), document.sha256)
    })
  )
})
