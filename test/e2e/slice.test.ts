// The foundation slice end to end through the SDK over a real WebSocket, in both profiles:
// embedded (server in-process on PGlite) and production (fresh PostgreSQL database, Redis prefix, server and one
// worker as separate OS processes).
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"
import { type RunningProcess, type RunningServer, startServer, startWorker } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { runSlice } from "./slice.ts"

describe("embedded profile (in-process, PGlite)", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await startInProcessServer()
  })
  afterAll(() => server?.stop())

  it("registers, logs in, creates a project, streams job progress in order and reads the result", async () => {
    await runSlice(server.url)
  })
})

describe("production profile (PostgreSQL, Redis, server and worker processes)", () => {
  let database: TestDatabaseHandle
  let server: RunningServer
  let worker: RunningProcess
  const redisPrefix = uniqueRedisPrefix()

  beforeAll(async () => {
    database = await createTestDatabase()
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: `e2e-secret-${crypto.randomUUID()}`
    }
    // The server migrates the fresh database; the worker starts after it.
    server = await startServer(env)
    worker = await startWorker(env)
  })

  afterAll(async () => {
    await Promise.all([server?.stop(), worker?.stop()])
    await database?.drop()
    await deleteRedisKeys(redisPrefix)
  })

  it("registers, logs in, creates a project, streams job progress in order and reads the result", async () => {
    await runSlice(server.url)
    // The job ran in the worker process, not in the server.
    expect(worker.output()).toMatch(/recalculate_budget|jobId/)
  })

  it("stops gracefully on SIGTERM with exit code 0", async () => {
    expect(await worker.stop()).toBe(0)
    expect(await server.stop()).toBe(0)
  })
})
