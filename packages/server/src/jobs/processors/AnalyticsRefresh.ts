// The analytics_refresh processor (low queue, daily): recomputes the analytics views (migration 0011) without
// blocking their readers.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import { retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"

export interface AnalyticsRefreshResult {
  readonly views: ReadonlyArray<{ readonly name: string; readonly rows: number }>
}

const VIEWS = ["project_analytics"] as const

export const makeAnalyticsRefresh = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  const processor: JobProcessor = Effect.fn("AnalyticsRefresh")(function* (context: JobContext) {
    const views: Array<{ readonly name: string; readonly rows: number }> = []
    for (const [index, name] of VIEWS.entries()) {
      yield* context.reportProgress({
        progress: index / VIEWS.length,
        message: `refreshing ${name}`,
        step: index + 1,
        totalSteps: VIEWS.length
      })
      // CONCURRENTLY: readers keep the old rows until the new ones are ready (needs the view's unique index).
      yield* sql`REFRESH MATERIALIZED VIEW CONCURRENTLY ${sql(name)}`.pipe(retryOnSqlError(`refreshing ${name}`))
      const counted = yield* sql<{ readonly rows: string | number }>`SELECT count(*) AS rows FROM ${sql(name)}`.pipe(
        retryOnSqlError(`counting ${name}`)
      )
      views.push({ name, rows: Number(counted[0]?.rows ?? 0) })
    }
    const result: AnalyticsRefreshResult = { views }
    return result
  })
  return processor
})
