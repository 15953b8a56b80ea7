// The recalculate_budget processor: recomputes a project's head totals per object (SO) exactly, compares them with
// the total stored on the head version, and re-prices every position whose stored total is not round(quantity × unit
// price) by the budget's own rounding settings — as one new version (trigger recalculation) through BudgetWriter, only
// when there is such a position.
import {
  BudgetSettings,
  type Change,
  computeTotal,
  defaultBudgetSettings,
  type JobId,
  type ProjectId
} from "@costline/core"
import { BigDecimal, Effect, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { PermanentJobFailure, RetryableJobFailure, retryOnSqlError } from "./JobFailure.ts"
import type { JobContext, JobProcessor } from "./JobProcessor.ts"
import { BudgetWriter } from "./processors/BudgetWriter.ts"

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
  /** Positions whose total was not round(quantity × unit price) by the budget's rounding, and were re-priced. */
  readonly repriced: number
  /** The version the re-pricing committed; null when every total was right. */
  readonly newVersion: number | null
  /** That version's total; null when no version was committed. */
  readonly newTotal: string | null
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
  readonly settings: unknown
  readonly position_key: string | null
  readonly object_code: string | null
  readonly quantity: string | null
  readonly unit_price: string | null
  readonly total: string | null
}

const decodeSettings = Schema.decodeUnknownOption(BudgetSettings)

/** Keys of the positions whose stored total differs from round(quantity × unit price) under `settings`. */
export const mispriced = (rows: ReadonlyArray<HeadRow>, settings: BudgetSettings): ReadonlyArray<string> =>
  rows.flatMap((row) => {
    if (row.position_key === null || row.total === null || row.quantity === null || row.unit_price === null) return []
    const expected = BigDecimal.fromString(computeTotal(row.quantity, row.unit_price, settings.rounding))
    const stored = BigDecimal.fromString(row.total)
    return Option.isSome(expected) && Option.isSome(stored) && BigDecimal.equals(expected.value, stored.value)
      ? []
      : [row.position_key]
  })

export const makeRecalculateBudget: Effect.Effect<JobProcessor, never, SqlClient.SqlClient | BudgetWriter> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const writer = yield* BudgetWriter

    /** One change set that re-prices `keys` (an empty patch: applyChanges re-prices every position it touches). */
    const reprice = (projectId: ProjectId, version: number, keys: ReadonlyArray<string>) =>
      writer
        .applyChanges(projectId, {
          expectedVersion: version,
          changes: keys.map((positionKey): Change => ({ _tag: "UpdatePosition", positionKey, patch: {} })),
          trigger: "recalculation",
          requestedBy: null
        })
        .pipe(
          Effect.catchTags({
            // An edit landed between the read and the commit: the next attempt recalculates the new head.
            VersionConflict: (conflict) =>
              Effect.fail(
                new RetryableJobFailure({ message: `the budget changed while recalculating: ${conflict.message}` })
              ),
            ChangeError: (error) =>
              Effect.fail(new PermanentJobFailure({ message: `a position could not be re-priced: ${error.message}` })),
            BudgetWriteUnavailable: (error) => Effect.fail(new RetryableJobFailure({ message: error.message }))
          })
        )

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
      SELECT p.current_version, v.summary -> 'settings' AS settings, pos.position_key, pos.object_code,
        pos.quantity::text AS quantity, pos.unit_price::text AS unit_price, pos.total::text AS total
      FROM projects p
      LEFT JOIN budget_versions v ON v.project_id = p.id AND v.version = p.current_version
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

      const settings = Option.getOrElse(decodeSettings(first.settings), () => defaultBudgetSettings)
      const keys = mispriced(positions, settings)
      let committed: { readonly version: number; readonly total: string } | null = null
      if (keys.length > 0) {
        yield* context.reportProgress({
          progress: 0.9,
          message: `re-pricing ${keys.length} positions whose total is not quantity × unit price`,
          step: 3,
          totalSteps: 3
        })
        const created = yield* reprice(projectId, version, keys)
        committed = { version: created.version, total: created.totals.total }
      }

      const result: RecalculateBudgetResult = {
        version,
        positionCount: positions.length,
        total: formatFixed(total, TOTAL_SCALE),
        objects,
        storedTotal: storedTotal === null ? null : formatFixed(storedTotal, TOTAL_SCALE),
        matches: storedTotal === null ? positions.length === 0 : BigDecimal.equals(storedTotal, total),
        repriced: keys.length,
        newVersion: committed?.version ?? null,
        newTotal: committed?.total ?? null
      }
      return result
    })
  }
)
