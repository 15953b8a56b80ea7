// Benchmark peer: a raw BullMQ Worker process on queue "default" under REDIS_PREFIX, with WORKER_CONCURRENCY slots
// and a no-op processor — what our worker process is compared with. Prints one JSON line per second with the number
// of completed jobs, and for jobs whose data carries `sentAt` (epoch ms) it keeps the enqueue → start latency.
//
// With MIRROR_DATABASE_URL, a job whose data says `mirror: true` also keeps a row in `bench_mirror_jobs` (which the
// producer inserted before adding the job), written the least a job system with a PostgreSQL record of its jobs can
// write: marked running before the job starts (one statement, not waiting for the WAL flush) and completed, durably,
// when it ends. It is what our runner writes for a job, hand-written with `pg`.
import { Worker } from "bullmq"
import { Redis } from "ioredis"
import pg from "pg"
import { observePauses } from "../support/gcPauses.ts"
import { observeDelay } from "../support/loopDelay.ts"

const prefix = process.env.REDIS_PREFIX ?? "bench"
const concurrency = Number(process.env.WORKER_CONCURRENCY ?? 1)
const connection = new Redis(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", { maxRetriesPerRequest: null })

const gc = observePauses()
const loop = observeDelay()
let completed = 0
const latencies: Array<number> = []
const now = () => performance.timeOrigin + performance.now()

const mirror = process.env.MIRROR_DATABASE_URL
  ? new pg.Pool({ connectionString: process.env.MIRROR_DATABASE_URL, max: 4 })
  : undefined

const worker = new Worker(
  "default",
  async (job) => {
    const data = job.data as { sentAt?: number; mirror?: boolean }
    const mirrored = mirror !== undefined && data.mirror === true
    if (mirrored) {
      await mirror.query(
        `UPDATE bench_mirror_jobs SET status = 'running', attempts = attempts + 1, started_at = now()
         FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed_commit WHERE id = $1`,
        [job.id]
      )
    }
    if (data.sentAt !== undefined) latencies.push(now() - data.sentAt)
    if (mirrored) {
      await mirror.query("UPDATE bench_mirror_jobs SET status = 'completed', finished_at = now() WHERE id = $1", [
        job.id
      ])
    }
    return null
  },
  { connection, prefix, concurrency, autorun: true }
)
worker.on("completed", () => {
  completed += 1
})
worker.on("error", (error) => process.stderr.write(`worker error: ${error.message}\n`))

const report = () => process.stdout.write(`${JSON.stringify({ completed, at: now() })}\n`)
const timer = setInterval(report, 1000)

process.on("message", (message: unknown) => {
  if (message === "completed") process.send?.({ completed, at: now() })
  if (message === "latencies") process.send?.({ latencies: latencies.splice(0) })
  if (message === "gc") process.send?.(gc.read())
  if (message === "loop") process.send?.(loop.read())
})

const stop = () => {
  clearInterval(timer)
  void worker
    .close()
    .then(() => Promise.all([connection.quit(), mirror?.end()]))
    .then(() => process.exit(0))
}
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
await worker.waitUntilReady()
process.stdout.write(`${JSON.stringify({ ready: true })}\n`)
