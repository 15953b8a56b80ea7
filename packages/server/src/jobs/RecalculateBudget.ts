// The recalculate_budget processor: recomputes a project's head totals per object (SO) exactly and compares them with
// the total stored on the head version. It reads only; writing versions is the project actor's job (single writer).
import type { JobId } from "@costline/core"
import { BigDecimal, Effect } from "effect"
import { SqlClient } from "effect/sql"
import { PermanentJobFailure, retryOnSqlError } from "./JobFailure.ts"
import type { JobContext, JobProcessor } from "./JobProcessor.ts"

export interface ObjectTotal {
  readonly objectCode: string
  readonly positionCount: number
  /** Decimal string with two decimals. */
  readonly total: string
}

export interface RecalculateBudgetResult {
  /** The head version the totals were computed for. */
  readonly version: number
  readonly positionCount: number
  /** Decimal string with two decimals, e.g. "1250.00"; "0.00" for an empty budget. */
  readonly total: string
  /** Per object code, ordered by code. */
  readonly objects: ReadonlyArray<ObjectTotal>
  /** budget_versions.total of the head version; null when that version has no row (an empty project). */
  readonly storedTotal: string | null
  /** Whether the stored total equals the recomputed one. */
  readonly matches: boolean
}

const TOTAL_SCALE = 2

/** Exact fixed-point text: rounds half away from zero to `scale` decimals and keeps trailing zeros. */
export const formatFixed = (value: BigDecimal.BigDecimal, scale: number): string => {
  const rounded = BigDecimal.scale(BigDecimal.round(value, { scale, mode: "half-from-zero" }), scale)
  const negative = rounded.value < 0n
  const digits = (negative ? -rounded.value : rounded.value).toString().padStart(scale + 1, "0")
  const point = digits.length - scale
  const text = scale > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : digits
  return negative ? `-${text}` : text
}

const decimal = (text: string, jobId: JobId): Effect.Effect<BigDecimal.BigDecimal, PermanentJobFailure> => {
  const parsed = BigDecimal.fromString(text)
  return parsed._tag === "Some"
    ? Effect.succeed(parsed.value)
    : Effect.fail(new PermanentJobFailure({ message: `job ${jobId}: a stored total is not a decimal number: ${text}` }))
}

interface HeadRow {
  readonly current_version: number
  readonly object_code: string | null
  readonly total: string | null
}

export const makeRecalculateBudget: Effect.Effect<JobProcessor, never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  return Effect.fn("RecalculateBudget")(function* (context: JobContext) {
    const { job } = context
    const projectId = job.projectId
    if (projectId === null) {
      return yield* new PermanentJobFailure({
        message: "recalculate_budget needs a project: enqueue it with a projectId"
      })
    }

    yield* context.reportProgress({ progress: 0.1, message: "loading positions", step: 1, totalSteps: 3 })
    // One statement, so the version number and the head rows come from the same snapshot.
    const rows = yield* sql<HeadRow>`
      SELECT p.current_version, pos.object_code, pos.total::text AS total
      FROM projects p
      LEFT JOIN positions pos ON pos.project_id = p.id AND pos.valid_to IS NULL
      WHERE p.id = ${projectId}`.pipe(retryOnSqlError("loading positions"))
    const first = rows[0]
    if (first === undefined) {
      return yield* new PermanentJobFailure({ message: `project ${projectId} does not exist (deleted?)` })
    }
    const version = Number(first.current_version)
    const positions = rows.filter((row) => row.total !== null)

    yield* context.reportProgress({
      progress: 0.4,
      message: `recomputing totals of ${positions.length} positions`,
      step: 2,
      totalSteps: 3
    })
    const perObject = new Map<string, { count: number; total: BigDecimal.BigDecimal }>()
    let total = BigDecimal.fromBigInt(0n)
    for (const row of positions) {
      const amount = yield* decimal(row.total ?? "0", job.id)
      const code = row.object_code ?? ""
      const entry = perObject.get(code) ?? { count: 0, total: BigDecimal.fromBigInt(0n) }
      perObject.set(code, { count: entry.count + 1, total: BigDecimal.sum(entry.total, amount) })
      total = BigDecimal.sum(total, amount)
    }
    const objects = [...perObject.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([objectCode, entry]) => ({
        objectCode,
        positionCount: entry.count,
        total: formatFixed(entry.total, TOTAL_SCALE)
      }))

    yield* context.reportProgress({
      progress: 0.8,
      message: "comparing with the stored version total",
      step: 3,
      totalSteps: 3
    })
    const stored = yield* sql<{ readonly total: string }>`
      SELECT total::text AS total FROM budget_versions WHERE project_id = ${projectId} AND version = ${version}`.pipe(
      retryOnSqlError("reading the version total")
    )
    const storedRow = stored[0]
    const storedTotal = storedRow === undefined ? null : yield* decimal(storedRow.total, job.id)

    const result: RecalculateBudgetResult = {
      version,
      positionCount: positions.length,
      total: formatFixed(total, TOTAL_SCALE),
      objects,
      storedTotal: storedTotal === null ? null : formatFixed(storedTotal, TOTAL_SCALE),
      matches: storedTotal === null ? positions.length === 0 : BigDecimal.equals(storedTotal, total)
    }
    return result
  })
})
