// The recurring housekeeping jobs in the embedded profile (PGlite): the server schedules cleanup (hourly) and
// analytics_refresh (daily) when it starts, runs them on its in-process queue, and a restart within the same window
// does not run them again (one job id per window).
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseConfig } from "@costline/server/config/AppConfig"
import { serverLayer } from "@costline/server/ServerLayer"
import { Context, Effect, Exit, Layer, Logger, References, Scope } from "effect"
import { SqlClient } from "effect/sql"
import { afterAll, expect, it } from "vitest"

const dataDir = await mkdtemp(join(tmpdir(), "costline-recurring-"))
afterAll(() => rm(dataDir, { recursive: true, force: true }))

/** Starts the embedded server on `dataDir`, waits until both housekeeping jobs ended, returns their rows, stops. */
const startAndReadJobs = async () => {
  const config = await Effect.runPromise(parseConfig({ HOST: "127.0.0.1", PORT: "0", COSTLINE_DATA_DIR: dataDir }))
  const scope = Effect.runSync(Scope.make())
  try {
    const context = await Effect.runPromise(
      Layer.buildWithScope(serverLayer(config), scope).pipe(
        Effect.provide(Logger.layer([Logger.consoleJson])),
        Effect.provideService(References.MinimumLogLevel, "Warn")
      )
    )
    const sql = Context.get(context, SqlClient.SqlClient)
    const read = () =>
      Effect.runPromise(
        sql<{ id: string; type: string; status: string; attempts: number; result: unknown }>`
          SELECT id, type, status, attempts - uncounted_attempts AS attempts, result FROM background_jobs
          WHERE type IN ('cleanup', 'analytics_refresh') ORDER BY type, id`
      )
    const deadline = Date.now() + 30_000
    let rows = await read()
    while (!(rows.length >= 2 && rows.every((row) => row.status === "completed")) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100))
      rows = await read()
    }
    return rows
  } finally {
    await Effect.runPromise(Scope.close(scope, Exit.void))
  }
}

it("schedules and runs cleanup and analytics_refresh once per window, across a restart", async () => {
  const first = await startAndReadJobs()
  expect(first.map((row) => [row.type, row.status, row.attempts])).toEqual([
    ["analytics_refresh", "completed", 1],
    ["cleanup", "completed", 1]
  ])
  expect(first[0]!.id).toMatch(/^analytics_refresh:\d{4}-\d{2}-\d{2}$/)
  expect(first[1]!.id).toMatch(/^cleanup:\d{4}-\d{2}-\d{2}T\d{2}$/)
  expect(first[0]!.result).toEqual({ views: [{ name: "project_analytics", rows: 0 }] })
  expect(first[1]!.result).toMatchObject({ kbCache: 0, projectEvents: 0, sessions: 0, retentionDays: 90 })

  // Unless the hour turned meanwhile, the restart finds this window's jobs and runs nothing new.
  const hour = new Date().toISOString().slice(0, 13)
  const second = await startAndReadJobs()
  if (new Date().toISOString().slice(0, 13) === hour) expect(second).toEqual(first)
}, 120_000)
