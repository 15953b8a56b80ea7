// `packages/worker/src/main.ts` as a separate OS process against a fresh PostgreSQL database and a Redis prefix of its
// own: the test enqueues through JobQueue.layerBullMQ, the worker runs the job, serves /health and /metrics, and
// exits 0 on SIGTERM. Also: a missing DATABASE_URL stops it at once with a one-line message.
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import type { JobId } from "@costline/core"
import { EventBus } from "@costline/server/events/EventBus"
import { ProjectEventLog } from "@costline/server/events/ProjectEventLog"
import { JobQueue } from "@costline/server/jobs/JobQueue"
import { JobRepo } from "@costline/server/jobs/JobRepo"
import { Redis } from "@costline/server/redis/Redis"
import { assert, layer } from "@effect/vitest"
import { Deferred, type Duration, Effect, Layer, Schedule } from "effect"
import { TestDatabase } from "../../../test/support/TestDatabase.ts"
import { awaitJob, insertPositions, insertProject, journal } from "../../server/test/jobs/jobFixtures.ts"
import { redisUrl, testRedis, uniquePrefix } from "../../server/test/jobs/redisFixture.ts"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const nodeBinary = `${root}node_modules/.bin/node`

interface WorkerProcess {
  readonly child: ChildProcess
  readonly stdout: Array<string>
  readonly stderr: Array<string>
  /** Resolves with the exit code (or the signal's name) once the process has exited and its output is all read. */
  readonly exited: Deferred.Deferred<number | string>
}

/** Starts the worker; the scope kills it if the test has not already stopped it. */
const startWorker = (env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.gen(function* () {
      const exited = yield* Deferred.make<number | string>()
      const stdout: Array<string> = []
      const stderr: Array<string> = []
      const child = spawn(nodeBinary, ["packages/worker/src/main.ts"], {
        cwd: root,
        // Only what the worker needs: no DATABASE_URL of the developer's shell leaks in.
        env: { PATH: process.env.PATH ?? "", ...env },
        stdio: ["ignore", "pipe", "pipe"]
      })
      const collect = (into: Array<string>) => {
        let partial = ""
        return (chunk: Buffer) => {
          const lines = (partial + chunk.toString("utf8")).split("\n")
          partial = lines.pop() ?? ""
          into.push(...lines)
        }
      }
      child.stdout?.on("data", collect(stdout))
      child.stderr?.on("data", collect(stderr))
      // "close", not "exit": only then has everything the process wrote been read.
      child.on("close", (code, signal) => Deferred.doneUnsafe(exited, Effect.succeed(code ?? signal ?? "unknown")))
      return { child, stdout, stderr, exited } satisfies WorkerProcess
    }),
    (worker) =>
      worker.child.exitCode === null && worker.child.signalCode === null
        ? Effect.sync(() => worker.child.kill("SIGKILL"))
        : Effect.void
  )

const jsonLines = (lines: ReadonlyArray<string>) =>
  lines.flatMap((line) => {
    if (!line.startsWith("{")) return []
    const parsed: unknown = JSON.parse(line)
    return [parsed as { message: string; level: string; annotations: Record<string, unknown> }]
  })

/** Waits until a JSON log line has `message` (by prefix), or dies with what the worker printed. */
const awaitLog = (worker: WorkerProcess, message: string, timeout: Duration.Input = "30 seconds") =>
  Effect.suspend(() => {
    const found = jsonLines(worker.stdout).find((line) => line.message.startsWith(message))
    return found === undefined ? Effect.fail("not yet" as const) : Effect.succeed(found)
  }).pipe(
    Effect.retry({ schedule: Schedule.spaced("50 millis"), while: () => worker.child.exitCode === null }),
    Effect.timeoutOrElse({ duration: timeout, orElse: () => Effect.fail("timeout" as const) }),
    Effect.catch(() =>
      Effect.die(
        new Error(
          `worker never logged "${message}"; exit ${worker.child.exitCode}\nstdout:\n${worker.stdout.join("\n")}\nstderr:\n${worker.stderr.join("\n")}`
        )
      )
    )
  )

const get = (port: number, path: string) =>
  Effect.tryPromise(() =>
    fetch(`http://127.0.0.1:${port}${path}`).then((response) =>
      response.text().then((body) => ({ status: response.status, body }))
    )
  ).pipe(Effect.orDie)

const prefix = uniquePrefix("worker")

const Events = ProjectEventLog.layer.pipe(Layer.provide(EventBus.layerRedis))

const Infrastructure = Layer.mergeAll(
  JobRepo.layer,
  Events,
  JobQueue.layerBullMQ.pipe(Layer.provide(JobRepo.layer), Layer.provide(Events))
).pipe(Layer.provideMerge(testRedis(prefix)), Layer.provideMerge(TestDatabase.layerMigrated))

layer(Infrastructure, { excludeTestServices: true, timeout: "90 seconds" })("worker process", (it) => {
  it.effect(
    "runs a job enqueued through BullMQ, serves /health and /metrics, and exits 0 on SIGTERM",
    () =>
      Effect.gen(function* () {
        const database = yield* TestDatabase
        const redis = yield* Redis
        assert.strictEqual(redis.prefix, prefix)
        const worker = yield* startWorker({
          DATABASE_URL: database.url,
          REDIS_URL: redisUrl,
          REDIS_PREFIX: prefix,
          WORKER_HEALTH_PORT: "0",
          WORKER_HEALTH_HOST: "127.0.0.1",
          SHUTDOWN_TIMEOUT_MS: "5000"
        })
        const listening = yield* awaitLog(worker, "health server listening")
        const port = Number(listening.annotations.port)
        assert.isAbove(port, 0)
        yield* awaitLog(worker, "worker ready")

        const health = yield* get(port, "/health")
        assert.strictEqual(health.status, 200)
        assert.deepStrictEqual(JSON.parse(health.body), { status: "ok" })

        const projectId = yield* insertProject
        yield* insertPositions(projectId, [
          { key: "a", objectCode: "SO 01", total: "19.99" },
          { key: "b", objectCode: "SO 01", total: "0.01" }
        ])
        const queue = yield* JobQueue
        const jobId = `recalculate:${projectId}:2` as JobId
        yield* queue.enqueue({ type: "recalculate_budget", projectId, jobId })
        const job = yield* awaitJob(jobId, ["completed", "failed"], "30 seconds")
        assert.strictEqual(job.status, "completed")
        assert.strictEqual((job.result as { total: string }).total, "20.00")
        assert.deepStrictEqual(
          (yield* journal(projectId)).map((event) => [event.seq, event.type]),
          [
            [1, "JobProgress"],
            [2, "JobProgress"],
            [3, "JobProgress"],
            [4, "JobCompleted"]
          ]
        )

        // The job's log lines carry its id. The worker logs the end after its transaction commits, and writes its log
        // lines at the end of that turn: the row can be read as completed before the line arrives.
        const completedLine = yield* awaitLog(worker, "job completed (attempt 1 of 3")
        assert.strictEqual(completedLine.annotations.jobId, jobId)

        const metrics = yield* get(port, "/metrics")
        assert.strictEqual(metrics.status, 200)
        assert.include(metrics.body, 'costline_worker_jobs_processed_total{type="recalculate_budget"} 1')
        assert.include(metrics.body, "costline_worker_jobs_active 0")
        // The process's own metrics follow: GC pauses by kind, event-loop delay, CPU.
        assert.include(metrics.body, "# TYPE nodejs_gc_duration_seconds histogram")
        assert.match(metrics.body, /^nodejs_eventloop_lag_p99_seconds \d/m)
        // The event-loop probe counts from the start: a worker up for a while has fired it many times.
        const probes = Number(metrics.body.match(/^costline_worker_event_loop_delay_seconds_count (\d+)$/m)?.[1])
        assert.isAbove(probes, 0)
        assert.match(metrics.body, /^costline_worker_event_loop_delay_seconds_bucket\{le="0.002"\} \d+$/m)
        assert.match(metrics.body, /^process_cpu_seconds_total \d/m)

        worker.child.kill("SIGTERM")
        const code = yield* Deferred.await(worker.exited).pipe(Effect.timeout("20 seconds"), Effect.orDie)
        assert.strictEqual(code, 0, `stderr:\n${worker.stderr.join("\n")}`)
        const messages = jsonLines(worker.stdout).map((line) => line.message)
        assert.isTrue(messages.some((message) => message.startsWith("shutting down")))
        assert.strictEqual(messages.at(-1), "worker stopped")
      }),
    90_000
  )

  it.effect("stops with one line on stderr when DATABASE_URL is missing", () =>
    Effect.gen(function* () {
      const worker = yield* startWorker({ REDIS_URL: redisUrl })
      const code = yield* Deferred.await(worker.exited).pipe(Effect.timeout("20 seconds"), Effect.orDie)
      assert.strictEqual(code, 78)
      const lines = worker.stderr.filter((line) => line !== "")
      assert.strictEqual(lines.length, 1)
      assert.match(lines[0]!, /^costline-worker: DATABASE_URL is missing/)
    })
  )
})
