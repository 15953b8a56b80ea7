// A production deployment's first start: two servers and a worker launched at the same moment on a brand-new, empty
// PostgreSQL database. Each applies the migrations and creates the actor cluster's tables on start; they must not trip
// over each other (no process exits, none stays unready), and the first document then goes through the whole path:
// server → BullMQ → worker → the project's actor on a server.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, expect, it } from "vitest"
import { type RunningProcess, type RunningServer, startServer, startWorker } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { signUp } from "../support/signUp.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { waitUntil } from "../support/waitUntil.ts"

let database: TestDatabaseHandle
let dataDir: string
const redisPrefix = uniqueRedisPrefix()
const processes: Array<RunningProcess> = []

beforeAll(async () => {
  database = await createTestDatabase({ migrate: false })
  dataDir = await mkdtemp(join(tmpdir(), "costline-fresh-"))
}, 60_000)

afterAll(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await database?.drop()
  await deleteRedisKeys(redisPrefix)
  if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true })
}, 120_000)

it("two servers and a worker started together on an empty database all come up, and a document is parsed", async () => {
  const env = {
    DATABASE_URL: database.url,
    REDIS_URL: testRedisUrl,
    REDIS_PREFIX: redisPrefix,
    JWT_SECRET: `fresh-start-${crypto.randomUUID()}`,
    COSTLINE_DATA_DIR: dataDir
  }
  const started = await Promise.allSettled([startServer(env), startServer(env), startWorker(env)])
  for (const outcome of started) if (outcome.status === "fulfilled") processes.push(outcome.value)
  for (const outcome of started)
    expect(outcome.status, String((outcome as PromiseRejectedResult).reason)).toBe("fulfilled")
  const [a, b] = processes as [RunningServer, RunningServer, RunningProcess]
  const worker = processes[2]!
  await waitUntil("worker ready", async () => (worker.output().includes("worker ready") ? true : undefined), 60_000)
  for (const server of [a, b]) {
    const ready = await waitUntil(
      "server ready",
      async () => {
        const response = await fetch(`${server.url}/ready`)
        return response.status === 200 ? response.status : undefined
      },
      60_000
    )
    expect(ready).toBe(200)
  }

  const token = (await signUp(a.url)).accessToken
  const authorized = { authorization: `Bearer ${token}` }
  const created = await fetch(`${b.url}/api/v1/projects`, {
    method: "POST",
    headers: { ...authorized, "content-type": "application/json" },
    body: JSON.stringify({ name: "First project" })
  })
  expect(created.status).toBe(201)
  const projectId = ((await created.json()) as { id: string }).id
  const form = new FormData()
  const csv = "kód;popis;MJ;množství;jednotková cena\nF-1;Beton C 25/30;m3;12,5;2 850\n"
  form.append("file", new Blob([new TextEncoder().encode(csv)]), "first.csv")
  const uploaded = await fetch(`${a.url}/api/v1/projects/${projectId}/documents`, {
    method: "POST",
    headers: authorized,
    body: form
  })
  expect(uploaded.status, await uploaded.clone().text()).toBe(202)
  const documentId = ((await uploaded.json()) as { document: { id: string } }).document.id

  const parsed = await waitUntil(
    "document parsed",
    async () => {
      const response = await fetch(`${b.url}/api/v1/documents/${documentId}`, { headers: authorized })
      const document = (await response.json()) as { parseStatus: string }
      return document.parseStatus === "parsed" || document.parseStatus === "failed" ? document : undefined
    },
    60_000
  )
  expect(parsed.parseStatus).toBe("parsed")
  // The migrations were applied once, by whichever process took the migrations table's lock first.
  const appliers = processes.filter((process) => process.output().includes("Applied migrations"))
  expect(appliers.length).toBe(1)
  for (const process of processes) expect(process.child.exitCode, process.output()).toBeNull()
}, 180_000)
