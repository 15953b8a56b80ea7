// The production profile's job guarantees with real processes: the server (in-process, production config) serves the
// jobs API; workers are separate `npm run worker` processes. (1) With the prefix's Redis keys deleted, GET /jobs/:id
// still answers from background_jobs, and a worker's sweep hands the job to BullMQ again so it completes. (2) kill -9 of
// the worker running a job: once its lock expires, the other worker takes the job over and completes it — one
// JobCompleted, the result from the survivor, nothing lost, nothing doubled; the same for a pack of jobs, whose jobs
// done before the kill are not run again.

import { once } from "node:events"
import type { JobId, ProjectId } from "@costline/core"
import { AppConfig, parseConfig } from "@costline/server/config/AppConfig"
import * as Database from "@costline/server/database/Database"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import * as BullMQJobs from "@costline/server/jobs/BullMQJobs"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { Redis as RedisService } from "@costline/server/redis/Redis"
import { Effect, Layer, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"
import { type RunningProcess, startWorker } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { signUp } from "../support/signUp.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { readUntil } from "../support/waitUntil.ts"

interface Job {
  readonly id: string
  readonly status: string
  readonly attempts: number
  readonly step: number
  readonly result: unknown
}

let database: TestDatabaseHandle
let server: InProcessServer
let env: Record<string, string>
let token: string
let projectId: ProjectId
const prefix = uniqueRedisPrefix()
const workers: Array<RunningProcess> = []
let runtime: ManagedRuntime.ManagedRuntime<JobQueue | JobRepo | SqlClient.SqlClient | RedisService, unknown>

const api = async (path: string, init: RequestInit = {}) => {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }
  })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
}

const waitFor = async (jobId: string, done: (job: Job) => boolean, ms = 30_000) => {
  const response = await readUntil(
    `job ${jobId}`,
    () => api(`/api/v1/jobs/${jobId}`),
    (current) => current.status === 200 && done(current.body as Job),
    { timeoutMs: ms, intervalMs: 50 }
  )
  return response.body as Job
}

const launchWorker = async (extra: Record<string, string>) => {
  const worker = await startWorker({ ...env, ...extra })
  workers.push(worker)
  const deadline = Date.now() + 30_000
  while (!worker.output().includes("worker ready")) {
    if (Date.now() > deadline || worker.child.exitCode !== null)
      throw new Error(`worker not ready:\n${worker.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return worker
}

/** Workers for the kill -9 tests: the test jobs, `concurrency` slots on the default queue only, a 1 s lock. */
const crashTestWorkerEnv = (concurrency: number) => ({
  // A first attempt's "job started" line is a debug line; it tells which worker runs the job.
  LOG_LEVEL: "debug",
  COSTLINE_TEST_PROCESSORS: "1",
  WORKER_LOCK_MS: "1000",
  WORKER_CONCURRENCY_HIGH: "0",
  WORKER_CONCURRENCY_DEFAULT: String(concurrency),
  WORKER_CONCURRENCY_LOW: "0",
  WORKER_SWEEP_MS: "0"
})

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true })
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: prefix,
    JWT_SECRET: `jobs-e2e-${crypto.randomUUID()}-${crypto.randomUUID()}`
  }
  server = await startInProcessServer(env)
  token = (await signUp(server.url)).accessToken
  projectId = (
    (await api("/api/v1/projects", { method: "POST", body: JSON.stringify({ name: "Crash test" }) })).body as {
      id: ProjectId
    }
  ).id

  // The test's own producer on the same database and prefix, for jobs with test payloads.
  const config = await Effect.runPromise(parseConfig(env))
  const base = Layer.mergeAll(
    Database.layerPostgres({ url: database.url, maxConnections: 2 }),
    RedisService.layer.pipe(Layer.provide(Layer.succeed(AppConfig, config)))
  )
  const events = ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis))
  runtime = ManagedRuntime.make(
    JobQueue.layerBullMQ.pipe(Layer.provideMerge(Layer.mergeAll(JobRepo.layer, events)), Layer.provideMerge(base))
  )
}, 120_000)

afterAll(async () => {
  for (const worker of workers) await worker.stop()
  await runtime?.dispose()
  await server?.stop()
  await deleteRedisKeys(prefix)
  await database?.drop()
}, 120_000)

describe("jobs in the production profile", () => {
  it("GET /jobs/:id answers from the database after the Redis keys are flushed; a worker's sweep re-queues the job", async () => {
    const accepted = await api(`/api/v1/projects/${projectId}/recalculate`, { method: "POST" })
    expect(accepted.status).toBe(202)
    const job = (accepted.body as { job: Job }).job
    const redis = new Redis(testRedisUrl)
    try {
      expect(await redis.exists(`${prefix}:default:${BullMQJobs.bullJobId(job.id as JobId)}`)).toBe(1)
      await deleteRedisKeys(prefix)
      expect(await redis.exists(`${prefix}:default:${BullMQJobs.bullJobId(job.id as JobId)}`)).toBe(0)
    } finally {
      await redis.quit()
    }

    const after = await api(`/api/v1/jobs/${job.id}`)
    expect(after.status).toBe(200)
    expect(after.body).toMatchObject({ id: job.id, status: "queued", attempts: 0 })
    const listed = await api(`/api/v1/projects/${projectId}/jobs`)
    expect((listed.body as { items: ReadonlyArray<Job> }).items.map((item) => item.id)).toContain(job.id)

    // BullMQ lost the job; the worker's sweep finds its row untouched and hands it over again.
    // WORKER_LOCK_MS also sets BullMQ's stalled-check interval, which it guards with a Redis key of that lifetime;
    // with the default 30 s the next test's workers could not check for stalled jobs for 30 s.
    const worker = await launchWorker({ WORKER_SWEEP_MS: "300", WORKER_SWEEP_AFTER_MS: "0", WORKER_LOCK_MS: "1000" })
    const done = await waitFor(job.id, (current) => current.status === "completed" || current.status === "failed")
    expect(done.status).toBe("completed")
    expect(done.attempts).toBe(1)
    expect(worker.output()).toContain("re-handed")
    expect(await worker.stop()).toBe(0)
  })

  it("kill -9 of the worker running a job: the other worker takes it over after the lock expires and completes it once", async () => {
    const workerEnv = crashTestWorkerEnv(1)
    const [a, b] = await Promise.all([launchWorker(workerEnv), launchWorker(workerEnv)])
    const job = await runtime.runPromise(
      Effect.flatMap(JobQueue, (queue) =>
        queue.enqueue({
          type: "export_budget",
          projectId,
          payload: { test: { kind: "steps", steps: 8, stepMs: 250 } }
        })
      )
    )
    // Midway through: the row says step 3 of 8.
    await waitFor(job.id, (current) => current.status === "running" && current.step >= 3)
    const running = [a!, b!].find((worker) => worker.output().includes(job.id))
    expect(running, "one of the workers logged the job").toBeDefined()
    const survivor = running === a ? b! : a!
    const killedPid = running!.child.pid
    running!.child.kill("SIGKILL")

    const done = await waitFor(job.id, (current) => current.status !== "running" && current.status !== "queued", 30_000)
    expect(done.status).toBe("completed")
    expect(done.attempts).toBe(2)
    expect(done.result).toMatchObject({ steps: 8, pid: survivor.child.pid, attempt: 2 })
    expect(killedPid).not.toBe(survivor.child.pid)
    expect(survivor.output()).toContain("attempt 2 of 3")

    const events = await runtime.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ type: string; payload: { jobId?: string; job?: { id: string }; step?: number } }>`
        SELECT type, payload FROM project_events WHERE project_id = ${projectId} ORDER BY seq`
      )
    )
    const mine = events.filter((event) => event.payload.jobId === job.id || event.payload.job?.id === job.id)
    expect(mine.filter((event) => event.type === "JobCompleted").length).toBe(1)
    expect(mine.at(-1)?.type).toBe("JobCompleted")
    // The second attempt starts over at step 1 (processors are idempotent), after the first reached step 3 or more.
    const steps = mine.filter((event) => event.type === "JobProgress").map((event) => event.payload.step ?? 0)
    const restart = steps.findIndex((step, index) => index > 0 && step < steps[index - 1]!)
    expect(restart, `steps ${JSON.stringify(steps)}`).toBeGreaterThan(0)
    expect(steps.slice(restart)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

    // BullMQ finished the job once, on the survivor.
    const redis = await runtime.runPromise(RedisService)
    const hash = await redis.client.hgetall(`${prefix}:default:${BullMQJobs.bullJobId(job.id)}`)
    expect(hash.finishedOn).toBeDefined()
    expect(hash.failedReason ?? "").toBe("")
  }, 90_000)

  it("kill -9 of the worker running a pack: the other worker finishes it; done jobs stay done, the rest run once more at most", async () => {
    // The previous tests' workers would compete for the pack.
    for (const worker of workers) await worker.stop()
    const workerEnv = crashTestWorkerEnv(2)
    const [a, b] = await Promise.all([launchWorker(workerEnv), launchWorker(workerEnv)])
    // Six jobs enqueued together travel as one pack, which one worker takes; it runs two at a time.
    const jobs = await runtime.runPromise(
      Effect.flatMap(JobQueue, (queue) =>
        queue.enqueueMany(
          Array.from({ length: 6 }, () => ({
            type: "export_budget" as const,
            projectId,
            payload: { test: { kind: "steps", steps: 4, stepMs: 250 } }
          }))
        )
      )
    )
    const rows = async () =>
      runtime.runPromise(
        Effect.flatMap(
          SqlClient.SqlClient,
          (sql) => sql<{ id: string; status: string; step: number; handoff: string | null }>`
            SELECT id, status, step, handoff FROM background_jobs WHERE id IN ${sql.in(jobs.map((job) => job.id))}`
        )
      )
    expect(new Set((await rows()).map((row) => row.handoff)).size).toBe(1)
    expect((await rows())[0]!.handoff).not.toBeNull()

    // Kill the pack's worker once some of its jobs are done and others are midway.
    const deadline = Date.now() + 30_000
    for (;;) {
      const current = await rows()
      const done = current.filter((row) => row.status === "completed").length
      const midway = current.filter((row) => row.status === "running" && row.step >= 2).length
      if (done >= 1 && midway >= 1) break
      if (Date.now() > deadline) throw new Error(`the pack did not get far enough: ${JSON.stringify(current)}`)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    const running = [a!, b!].find((worker) => jobs.some((job) => worker.output().includes(job.id)))
    expect(running, "one of the workers logged the pack's jobs").toBeDefined()
    const survivor = running === a ? b! : a!
    const killedPid = running!.child.pid
    const exited = once(running!.child, "exit")
    running!.child.kill("SIGKILL")
    // Read once the process is gone and a write it had sent just before has landed.
    await exited
    await new Promise((resolve) => setTimeout(resolve, 300))
    const before = new Map((await rows()).map((row) => [row.id, row.status]))

    const finished = await Promise.all(
      jobs.map((job) => waitFor(job.id, (current) => current.status !== "running" && current.status !== "queued"))
    )
    for (const job of finished) {
      expect(job.status).toBe("completed")
      const result = job.result as { pid: number; attempt: number }
      switch (before.get(job.id)) {
        // Done before the kill: not run again.
        case "completed":
          expect([result.pid, job.attempts]).toEqual([killedPid, 1])
          break
        // Cut off midway: its second attempt, on the survivor.
        case "running":
          expect([result.pid, job.attempts]).toEqual([survivor.child.pid, 2])
          break
        // Not started yet: its first attempt, on the survivor.
        default:
          expect([result.pid, job.attempts]).toEqual([survivor.child.pid, 1])
      }
    }
    expect([...before.values()]).toContain("queued")

    const completions = await runtime.runPromise(
      Effect.flatMap(
        SqlClient.SqlClient,
        (sql) => sql<{ id: string }>`
          SELECT payload->'job'->>'id' AS id FROM project_events
          WHERE project_id = ${projectId} AND type = 'JobCompleted'
            AND payload->'job'->>'id' IN ${sql.in(jobs.map((job) => job.id))}`
      )
    )
    expect(completions.map((row) => row.id).sort()).toEqual(jobs.map((job) => job.id).sort())
  }, 90_000)
})
