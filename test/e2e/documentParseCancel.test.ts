// A parse that ends without a result must not leave its document `parsing`, in both profiles (embedded: server and
// jobs in-process on PGlite; production: PostgreSQL, Redis, the jobs in a separate worker process). (1) Cancelled
// while it runs: the parse is held on its file read by a named pipe in place of the stored blob, the job is
// cancelled, and the document is `pending` again once the job is `cancelled`. (2) Cancelled while queued after a
// failed attempt (the blob path is a directory, so reading it fails for now): `pending` as well. Either way a retry
// of the job (POST /jobs/:id/retry) parses the document normally once its file is back.
import { execFileSync } from "node:child_process"
import { createHash } from "node:crypto"
import { constants } from "node:fs"
import { mkdir, mkdtemp, open, rm, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"
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
}
interface Document {
  readonly id: string
  readonly parseStatus: string
  readonly versionCreated?: number
}

const csvBytes = (label: string) =>
  new TextEncoder().encode(`kód;popis;MJ;množství;jednotková cena\n${label}-1;Beton C 25/30;m3;12,5;2 850\n`)

/** Where BlobStore keeps the bytes whose SHA-256 is `key` (two levels of fan-out). */
const blobPath = (blobDir: string, bytes: Uint8Array) => {
  const key = createHash("sha256").update(bytes).digest("hex")
  return join(blobDir, key.slice(0, 2), key.slice(2, 4), key)
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Writes `bytes` into the named pipe a parse is blocked on, which lets its file read finish. Non-blocking, so a pipe
 * no one reads fails (ENXIO) instead of hanging the test; retried for a moment while the reader opens it.
 */
const feedPipe = async (path: string, bytes: Uint8Array) => {
  for (let tries = 0; ; tries++) {
    try {
      const pipe = await open(path, constants.O_WRONLY | constants.O_NONBLOCK)
      try {
        await pipe.write(bytes)
      } finally {
        await pipe.close()
      }
      return
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENXIO" || tries >= 100) throw error
      await sleep(50)
    }
  }
}

/** Upload, cancel and retry over HTTP against a server whose blob directory the test can reach. */
const scenarios = (context: () => { readonly url: string; readonly blobDir: string }) => {
  const newAccountWithProject = async () => {
    const { accessToken } = await signUp(context().url)
    const api = (path: string, init: RequestInit = {}) =>
      fetch(`${context().url}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${accessToken}`, ...init.headers }
      })
    const created = await api("/api/v1/projects", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Cancelled parse" })
    })
    expect(created.status).toBe(201)
    const { id: projectId } = (await created.json()) as { id: string }
    return { api, projectId }
  }

  const session = async () => {
    const { api, projectId } = await newAccountWithProject()
    const upload = async (bytes: Uint8Array<ArrayBuffer>) => {
      const form = new FormData()
      form.append("file", new Blob([bytes]), "rozpočet.csv")
      const response = await api(`/api/v1/projects/${projectId}/documents`, { method: "POST", body: form })
      expect(response.status, await response.clone().text()).toBe(202)
      return (await response.json()) as { document: Document; job: Job }
    }
    const job = async (id: string) => (await (await api(`/api/v1/jobs/${encodeURIComponent(id)}`)).json()) as Job
    const document = async (id: string) => (await (await api(`/api/v1/documents/${id}`)).json()) as Document
    const until = <A>(what: string, read: () => Promise<A>, done: (value: A) => boolean, ms = 30_000) =>
      readUntil(what, read, done, { timeoutMs: ms, intervalMs: 50 })
    /** The job once it has ended (completed, failed or cancelled). */
    const ended = (what: string, id: string) =>
      until(
        what,
        () => job(id),
        (current) => ["cancelled", "completed", "failed"].includes(current.status)
      )
    const cancel = (id: string) => api(`/api/v1/jobs/${encodeURIComponent(id)}`, { method: "DELETE" })
    const retry = (id: string) => api(`/api/v1/jobs/${encodeURIComponent(id)}/retry`, { method: "POST" })
    return { upload, job, document, until, ended, cancel, retry }
  }

  /** After a cancel left the document pending: the file back in place, a retry parses it into version 1. */
  const retryParses = async (
    client: Awaited<ReturnType<typeof session>>,
    jobId: string,
    documentId: string,
    path: string,
    bytes: Uint8Array
  ) => {
    await rm(path, { recursive: true, force: true })
    await writeFile(path, bytes)
    const retried = await client.retry(jobId)
    expect(retried.status, await retried.clone().text()).toBe(202)
    const done = await client.ended("the retried parse", jobId)
    expect(done.status).toBe("completed")
    expect(await client.document(documentId)).toMatchObject({ parseStatus: "parsed", versionCreated: 1 })
  }

  it("cancelled while it runs: the document goes back to pending, and a retry parses it", async () => {
    const client = await session()
    const bytes = csvBytes(`running-${crypto.randomUUID()}`)
    // The blob is a named pipe before the upload stores it (the store keeps a file already at the key): the parse
    // marks the document parsing, then waits on the read until the test writes into the pipe.
    const path = blobPath(context().blobDir, bytes)
    await mkdir(dirname(path), { recursive: true })
    execFileSync("mkfifo", [path])

    const { document, job } = await client.upload(bytes)
    expect(document.parseStatus).toBe("pending")
    await client.until(
      "the parse to hold on its read",
      () => client.document(document.id),
      (current) => current.parseStatus === "parsing"
    )
    expect((await client.job(job.id)).status).toBe("running")

    const cancelled = await client.cancel(job.id)
    expect(cancelled.status, await cancelled.clone().text()).toBe(200)
    // In-process the cancel interrupts the parse at once; a worker notices it at the parse's next progress report,
    // once its read is done. The pipe is fed either way, so no read is left hanging.
    await feedPipe(path, bytes)
    const ended = await client.ended("the cancel", job.id)
    expect(ended.status).toBe("cancelled")
    // The attempt puts the document back before the runner records the job cancelled.
    expect((await client.document(document.id)).parseStatus).toBe("pending")

    await retryParses(client, job.id, document.id, path, bytes)
  }, 90_000)

  it("cancelled while queued after a failed attempt: the document is pending, and a retry parses it", async () => {
    const client = await session()
    const bytes = csvBytes(`queued-${crypto.randomUUID()}`)
    // A directory at the blob's key: reading it fails (EISDIR), a failure the job retries after a backoff.
    const path = blobPath(context().blobDir, bytes)
    await mkdir(path, { recursive: true })

    const { document, job } = await client.upload(bytes)
    const waiting = await client.until(
      "the job to wait for its second attempt",
      () => client.job(job.id),
      (current) =>
        (current.status === "queued" && current.attempts >= 1) ||
        ["cancelled", "completed", "failed"].includes(current.status)
    )
    expect(waiting.status).toBe("queued")
    expect((await client.document(document.id)).parseStatus).toBe("pending")

    const cancelled = await client.cancel(job.id)
    expect(cancelled.status, await cancelled.clone().text()).toBe(200)
    const ended = await client.ended("the cancel", job.id)
    expect(ended.status).toBe("cancelled")
    expect((await client.document(document.id)).parseStatus).toBe("pending")

    await retryParses(client, job.id, document.id, path, bytes)
  }, 90_000)
}

describe("a cancelled parse, embedded profile (in-process server and jobs, PGlite)", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await startInProcessServer()
  }, 60_000)
  afterAll(() => server?.stop())

  scenarios(() => ({ url: server.url, blobDir: server.config.blobDir }))
})

describe("a cancelled parse, production profile (PostgreSQL, Redis, worker process)", () => {
  let database: TestDatabaseHandle
  let server: InProcessServer
  let worker: RunningProcess
  let dataDir: string
  const redisPrefix = uniqueRedisPrefix()

  beforeAll(async () => {
    database = await createTestDatabase()
    dataDir = await mkdtemp(join(tmpdir(), "costline-parse-cancel-"))
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: `cancel-${crypto.randomUUID()}`,
      // Server and worker see the same blobs.
      COSTLINE_DATA_DIR: dataDir
    }
    server = await startInProcessServer(env)
    worker = await startWorker(env)
  }, 120_000)

  afterAll(async () => {
    await worker?.stop()
    await server?.stop()
    await database?.drop()
    await deleteRedisKeys(redisPrefix)
    if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
  })

  scenarios(() => ({ url: server.url, blobDir: server.config.blobDir }))
})
