// The production profile's actor cluster with real processes: two servers on one PostgreSQL database split the shards
// between their runners; the worker, a cluster client, hands each parsed document to the project's actor on whichever
// server owns it (the actor logs the import; the worker never writes a version itself). With no server up, the
// worker's import fails as retryable and the job succeeds once a server is back.
import { mkdtemp, rm } from "node:fs/promises"
import { type AddressInfo, createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import * as Database from "@costline/server/database/Database"
import { Effect, ManagedRuntime } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningProcess, type RunningServer, startServer, startWorker } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { signUp } from "../support/signUp.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { waitUntil } from "../support/waitUntil.ts"

interface JobRow {
  readonly status: string
  readonly attempts: number
  readonly error: { readonly message?: string } | null
}

let database: TestDatabaseHandle
let dataDir: string
let env: Record<string, string>
let token: string
const redisPrefix = uniqueRedisPrefix()
const processes: Array<RunningProcess> = []
/** The test's own connection to the database. */
let runtime: ManagedRuntime.ManagedRuntime<SqlClient.SqlClient, unknown>

const sql = <A extends object>(query: (sql: SqlClient.SqlClient) => Effect.Effect<ReadonlyArray<A>, unknown>) =>
  runtime.runPromise(Effect.flatMap(SqlClient.SqlClient, query))

const launchServer = async () => {
  const server = await startServer(env)
  processes.push(server)
  return server
}

const launchWorker = async (extra: Record<string, string> = {}) => {
  const worker = await startWorker({ ...env, ...extra })
  processes.push(worker)
  await waitUntil("worker ready", async () => (worker.output().includes("worker ready") ? true : undefined), 30_000)
  return worker
}

const api = (server: RunningServer, path: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } })

const createProject = async (server: RunningServer, name: string) => {
  const response = await api(server, "/api/v1/projects", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name })
  })
  expect(response.status).toBe(201)
  return ((await response.json()) as { id: string }).id
}

const uploadCsv = async (server: RunningServer, projectId: string, label: string) => {
  const form = new FormData()
  const csv = `kód;popis;MJ;množství;jednotková cena\n${label}-1;Beton C 25/30;m3;12,5;2 850\n`
  form.append("file", new Blob([new TextEncoder().encode(csv)]), `${label}.csv`)
  const response = await api(server, `/api/v1/projects/${projectId}/documents`, { method: "POST", body: form })
  expect(response.status, await response.clone().text()).toBe(202)
  return ((await response.json()) as { document: { id: string }; job: { id: string } }).document.id
}

const parseJob = async (documentId: string) =>
  (
    await sql<JobRow>(
      (db) =>
        db`SELECT status, attempts - uncounted_attempts AS attempts, error FROM background_jobs
          WHERE id = ${`parse:${documentId}`}`
    )
  )[0]

const awaitParsed = (documentId: string, timeoutMs = 60_000) =>
  waitUntil(
    `parse job of ${documentId} finished`,
    async () => {
      const job = await parseJob(documentId)
      return job !== undefined && ["completed", "failed"].includes(job.status) ? job : undefined
    },
    timeoutMs
  )

/** A server's runner address, from the runner's "Listening on" line (host and the port the OS picked). */
const runnerPort = (server: RunningProcess) => {
  const port = server.output().match(/Listening on: [^"]*:(\d+)"/)?.[1]
  expect(port, server.output()).toBeDefined()
  return port!
}

const importLine = (documentId: string) => `project actor imported document ${documentId}`

beforeAll(async () => {
  database = await createTestDatabase({ migrate: true })
  dataDir = await mkdtemp(join(tmpdir(), "costline-cluster-"))
  env = {
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: `cluster-e2e-${crypto.randomUUID()}`,
    // Servers and workers see the same blobs.
    COSTLINE_DATA_DIR: dataDir
  }
  runtime = ManagedRuntime.make(Database.layerPostgres({ url: database.url, maxConnections: 2 }))
}, 60_000)

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await runtime?.dispose()
  await database?.drop()
  await deleteRedisKeys(redisPrefix)
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
}, 120_000)

describe("the actor cluster of the production profile", () => {
  let a: RunningServer
  let b: RunningServer
  let worker: RunningProcess
  /** A project whose actor the server imported for, by server. */
  const projectOf = new Map<RunningServer, string>()

  it("a cluster port in use stops the server at once with one line naming CLUSTER_PORT", async () => {
    const blocker = createServer()
    await new Promise<void>((resolve) => blocker.listen(0, "127.0.0.1", resolve))
    const port = (blocker.address() as AddressInfo).port
    try {
      const outcome = await startServer({ ...env, CLUSTER_PORT: String(port) }).then(
        (server) => {
          processes.push(server)
          return "started"
        },
        (error: Error) => error.message
      )
      expect(outcome).toContain("the process exited with 1")
      expect(outcome).toContain(`costline: The cluster runner could not listen on 127.0.0.1:${port}`)
      expect(outcome).toContain("Set CLUSTER_PORT to a free port")
    } finally {
      await new Promise((resolve) => blocker.close(resolve))
    }
  }, 60_000)

  it("two servers on one database split the shards between their runners", async () => {
    a = await launchServer()
    b = await launchServer()
    token = (await signUp(a.url)).accessToken
    const ports = [runnerPort(a), runnerPort(b)]
    expect(ports[0]).not.toBe(ports[1])

    // Every shard held, and by both runners: each got a share. PostgreSQL runners hold their shards as advisory
    // locks (number 1000000 + shard for the first shard group), one lock session per runner.
    const holders = await waitUntil(
      "shards spread over both runners",
      async () => {
        const rows = await sql<{ pid: number; shards: number }>(
          (db) => db`
            SELECT pid, count(*)::int AS shards FROM pg_locks
            WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND objid BETWEEN 1000001 AND 1000300
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            GROUP BY pid`
        )
        const total = rows.reduce((sum, row) => sum + row.shards, 0)
        return rows.length === 2 && total === 300 ? rows : undefined
      },
      45_000
    )
    for (const row of holders) expect(row.shards).toBeGreaterThan(50)
    const runners = await sql<{ address: string }>((db) => db`SELECT address FROM cluster_runners ORDER BY address`)
    expect(runners.map((row) => row.address.split(":").at(-1)).sort()).toEqual([...ports].sort())
  }, 120_000)

  it("the worker's import goes through the project's actor, on whichever server owns the project", async () => {
    worker = await launchWorker()
    // One project after another until each server's actor has imported at least one document (each project lands on
    // either server with about even odds): whoever owns the project imports, never the other server, never the worker.
    const importedBy = new Map<RunningServer, number>([
      [a, 0],
      [b, 0]
    ])
    for (let n = 0; n < 30 && [...importedBy.values()].some((count) => count === 0); n++) {
      const projectId = await createProject(a, `Cluster ${n}`)
      // Always uploaded through server a: the worker finds the owner, wherever it is.
      const documentId = await uploadCsv(a, projectId, `doc-${n}`)
      const job = await awaitParsed(documentId)
      expect(job.status, JSON.stringify(job)).toBe("completed")

      const owner = await waitUntil("an actor's log line", async () =>
        [a, b].find((server) => server.output().includes(importLine(documentId)))
      )
      const other = owner === a ? b : a
      expect(other.output()).not.toContain(importLine(documentId))
      expect(worker.output()).not.toContain(importLine(documentId))
      importedBy.set(owner, importedBy.get(owner)! + 1)
      projectOf.set(owner, projectId)

      const versions = await sql<{ version: number; trigger_type: string; document_id: string }>(
        (db) =>
          db`SELECT version, trigger_type, document_id FROM budget_versions WHERE project_id = ${projectId} ORDER BY version`
      )
      expect(versions[0]).toMatchObject({ version: 1, trigger_type: "initial", document_id: documentId })
    }
    expect(
      [...importedBy.values()].every((count) => count > 0),
      `imports per server: ${[...importedBy.values()]}`
    ).toBe(true)
  }, 180_000)

  it("a server that stops hands its shards over: its projects' next imports run on the other server", async () => {
    const moving = projectOf.get(b)!
    expect(await b.stop()).toBe(0)
    const documentId = await uploadCsv(a, moving, "after-handover")
    const job = await awaitParsed(documentId)
    expect(job.status, JSON.stringify(job)).toBe("completed")
    await waitUntil("server a's actor log line", async () =>
      a.output().includes(importLine(documentId)) ? true : undefined
    )
    expect(b.output()).not.toContain(importLine(documentId))
    const versions = await sql<{ version: number; document_id: string }>(
      (db) => db`SELECT version, document_id FROM budget_versions WHERE project_id = ${moving} ORDER BY version`
    )
    expect(versions.find((version) => version.document_id === documentId)).toBeDefined()
  }, 120_000)

  it("with no server up the import fails as retryable; the job completes once a server is back", async () => {
    const projectId = await createProject(a, "Waiting for a server")
    // No worker while the upload is queued, then no server either.
    expect(await worker.stop()).toBe(0)
    const documentId = await uploadCsv(a, projectId, "late")
    expect(await a.stop()).toBe(0)

    const lonely = await launchWorker({ WORKER_ACTOR_TIMEOUT_MS: "4000" })
    const failed = await waitUntil(
      "a first attempt that found no actor",
      async () => {
        const job = await parseJob(documentId)
        return job !== undefined && job.attempts >= 1 && job.error !== null ? job : undefined
      },
      30_000
    )
    expect(failed.status).not.toBe("failed")
    expect(failed.error?.message).toMatch(/actor could not take the command .*no answer within 4s/)

    const back = await launchServer()
    const job = await awaitParsed(documentId, 60_000)
    expect(job.status, JSON.stringify(job)).toBe("completed")
    expect(job.attempts).toBeGreaterThanOrEqual(2)
    await waitUntil("the actor's log line on the new server", async () =>
      back.output().includes(importLine(documentId)) ? true : undefined
    )
    expect(lonely.output()).not.toContain(importLine(documentId))

    expect(await lonely.stop()).toBe(0)
    expect(await back.stop()).toBe(0)
  }, 180_000)
})
