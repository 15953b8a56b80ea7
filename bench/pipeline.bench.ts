// Upload → audited on the real rd-valcha.unixml.xml budget (issue target: ≤ 3 s), in the embedded profile (one
// process) and the production profile (server + one worker process, PostgreSQL, Redis). Each round uses a new
// project; the clock runs from the start of the upload request until the audit job of the new version completes.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { readFixture } from "../test/support/fixtures.ts"
import { startWorker } from "../test/support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../test/support/redisKeys.ts"
import { createTestDatabase } from "../test/support/TestDatabase.ts"
import { median } from "./support/measure.ts"
import { seedProject, startTarget, type Target } from "./support/targets.ts"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const TARGET_MS = 3_000
const budget = readFixture("boq/rd-valcha.unixml.xml")
if (budget === undefined) {
  process.stdout.write("SKIPPED pipeline bench: boq/rd-valcha.unixml.xml not found in COSTLINE_FIXTURES_DIR\n")
  process.exit(0)
}

const uploadToAudited = async (target: Target): Promise<number> => {
  const { token, projectId } = await seedProject(target.url)
  const headers = { authorization: `Bearer ${token}` }
  const form = new FormData()
  form.append("file", new Blob([new Uint8Array(budget)]), "rd-valcha.unixml.xml")
  const started = performance.now()
  const upload = await fetch(`${target.url}/api/v1/projects/${projectId}/documents`, {
    method: "POST",
    headers,
    body: form
  })
  if (upload.status !== 202) throw new Error(`upload answered ${upload.status}: ${await upload.text()}`)
  const deadline = started + 60_000
  while (performance.now() < deadline) {
    const response = await fetch(`${target.url}/api/v1/projects/${projectId}/jobs?limit=50`, { headers })
    const page = (await response.json()) as { items: ReadonlyArray<{ type: string; status: string }> }
    const audit = page.items.find((job) => job.type === "audit_project")
    if (audit?.status === "completed") return performance.now() - started
    if (page.items.some((job) => job.status === "failed")) throw new Error(`a job failed: ${JSON.stringify(page)}`)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`${target.name}: not audited within 60 s`)
}

const database = await createTestDatabase({ migrate: true })
const redisPrefix = uniqueRedisPrefix()
const dataDir = await mkdtemp(join(tmpdir(), "costline-bench-"))
const blobDir = await mkdtemp(join(tmpdir(), "costline-bench-blobs-"))
const production = {
  DATABASE_URL: database.url,
  REDIS_URL: testRedisUrl,
  REDIS_PREFIX: redisPrefix,
  JWT_SECRET: `bench-secret-${crypto.randomUUID()}`,
  BLOB_DIR: blobDir
}
const stops: Array<() => Promise<unknown>> = []
try {
  const embedded = await startTarget("embedded (one process, PGlite)", "packages/server/src/main.ts", {
    COSTLINE_DATA_DIR: dataDir
  })
  stops.push(embedded.stop)
  const server = await startTarget("production (server + worker)", "packages/server/src/main.ts", production)
  stops.push(server.stop)
  const worker = await startWorker(production)
  stops.push(worker.stop)

  const results = new Map<Target, Array<number>>([
    [embedded, []],
    [server, []]
  ])
  // One discarded warm-up each, then alternating rounds.
  for (const target of [embedded, server]) await uploadToAudited(target)
  for (let round = 1; round <= ROUNDS; round++) {
    for (const target of round % 2 === 1 ? [embedded, server] : [server, embedded]) {
      const ms = await uploadToAudited(target)
      results.get(target)!.push(ms)
      process.stdout.write(`round ${round} ${target.name}: ${ms.toFixed(0)} ms\n`)
    }
  }
  process.stdout.write(`\nrd-valcha.unixml.xml upload → audited, median of ${ROUNDS} (target ≤ ${TARGET_MS} ms)\n`)
  for (const [target, samples] of results) {
    const value = median(samples)
    process.stdout.write(
      `  ${target.name.padEnd(32)} ${value.toFixed(0).padStart(6)} ms   ${(TARGET_MS / value).toFixed(2)}x under the target\n`
    )
  }
} finally {
  for (const stop of stops.reverse()) await stop()
  await database.drop()
  await deleteRedisKeys(redisPrefix)
  await rm(dataDir, { recursive: true, force: true })
  await rm(blobDir, { recursive: true, force: true })
}
