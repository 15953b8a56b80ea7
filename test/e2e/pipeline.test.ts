// The pipeline upload → parse → enrich → audit end to end on the real rd-valcha budget, in both profiles: embedded
// (server in-process on PGlite, jobs on its in-process queue, versions through the actors) and production (fresh
// PostgreSQL database, Redis prefix, server and worker as separate OS processes sharing the blob directory).
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fixturesAvailable, readFixture } from "../support/fixtures.ts"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"
import { type RunningProcess, type RunningServer, startServer, startWorker } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { runPipeline } from "./pipeline.ts"

const realData = fixturesAvailable("boq/rd-valcha.unixml.xml")
const budget = () => ({
  file: readFixture("boq/rd-valcha.unixml.xml")!,
  fileName: "rd-valcha.unixml.xml",
  positionCount: 298
})

describe.skipIf(!realData)("pipeline, embedded profile (in-process, PGlite)", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await startInProcessServer()
  }, 60_000)
  afterAll(() => server?.stop())

  it("upload → parse → enrich → audit with events in order; export, audit request, corrupt file, access", async () => {
    const { uploadToAuditedMs } = await runPipeline(server.url, { ...budget(), exportThroughJob: false })
    console.info(`embedded: upload to audited in ${uploadToAuditedMs} ms`)
  }, 120_000)
})

describe.skipIf(!realData)("pipeline, production profile (PostgreSQL, Redis, server and worker processes)", () => {
  let database: TestDatabaseHandle
  let server: RunningServer
  let worker: RunningProcess
  let dataDir: string
  const redisPrefix = uniqueRedisPrefix()

  beforeAll(async () => {
    database = await createTestDatabase()
    dataDir = await mkdtemp(join(tmpdir(), "costline-pipeline-"))
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: `e2e-secret-${crypto.randomUUID()}`,
      // Server and worker see the same blobs (uploads, exports).
      COSTLINE_DATA_DIR: dataDir,
      // Small enough that the 298 positions are exported through a job in the worker.
      EXPORT_DIRECT_LIMIT: "100"
    }
    server = await startServer(env)
    worker = await startWorker(env)
  }, 120_000)

  afterAll(async () => {
    await Promise.all([server?.stop(), worker?.stop()])
    await database?.drop()
    await deleteRedisKeys(redisPrefix)
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  it("upload → parse → enrich → audit with events in order; export through a job, download, corrupt file", async () => {
    const { uploadToAuditedMs } = await runPipeline(server.url, { ...budget(), exportThroughJob: true })
    console.info(`production: upload to audited in ${uploadToAuditedMs} ms`)
    // The jobs ran in the worker process.
    expect(worker.output()).toMatch(/parse_document|parse:/)
  }, 180_000)
})
