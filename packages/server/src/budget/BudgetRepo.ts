// Budget versions and their positions as revision rows: a version with k changed positions writes O(k) rows, and any
// version reads back exactly (valid_from <= v < valid_to). Owns the SQL of versions; the order of commits is the
// project actor's, and what a change means is core's (applyChanges, diffVersions).
import {
  type ApplyChangesResult,
  applyChanges,
  type BudgetHead,
  type BudgetSettings,
  type BudgetVersion,
  type Change,
  type ChangeError,
  defaultBudgetSettings,
  makeBudgetVersion,
  type ProjectId,
  type TriggerType,
  type UserId
} from "@costline/core"
import { Clock, Context, DateTime, Effect, Layer, Option, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { ProjectEventLog } from "../events/ProjectEventLog.ts"
import { fromRow, POSITION_COLUMNS, type PositionRow, toRow } from "./PositionRows.ts"

/** Another commit got there first: re-read the head and try again. */
export class VersionConflict extends Schema.TaggedError<VersionConflict>()(
  "VersionConflict",
  { projectId: Schema.String, expectedVersion: Schema.Number, currentVersion: Schema.Number, message: Schema.String },
  { httpApiStatus: 409 }
) {}

const versionConflict = (projectId: ProjectId, expectedVersion: number, currentVersion: number) =>
  new VersionConflict({
    projectId,
    expectedVersion,
    currentVersion,
    message: `the budget is at version ${currentVersion}, not ${expectedVersion}; reload it and apply the change again`
  })

/** A change set against the version its author saw. */
export interface ChangeSetInput {
  readonly expectedVersion: number
  readonly changes: ReadonlyArray<Change>
  readonly trigger: TriggerType
  readonly requestedBy: UserId | null
}

export interface CommitInput {
  readonly projectId: ProjectId
  readonly expectedVersion: number
  readonly trigger: TriggerType
  readonly createdBy: UserId | null
  readonly documentId?: string | undefined
  readonly result: ApplyChangesResult
}

// PostgreSQL takes at most 65,535 parameters per statement; 21 columns a row.
const INSERT_BATCH = 2_000
const CLOSE_BATCH = 10_000

export class BudgetRepo extends Context.Service<
  BudgetRepo,
  {
    readonly readHead: (projectId: ProjectId) => Effect.Effect<BudgetHead>
    /** None when the project has no such version. */
    readonly readVersion: (projectId: ProjectId, version: number) => Effect.Effect<Option.Option<BudgetHead>>
    /** Writes the version, its changed rows and its VersionCreated event in one transaction. */
    readonly commit: (input: CommitInput) => Effect.Effect<BudgetVersion, VersionConflict>
    /** Applies a change set to the head (core applyChanges) and commits it, if the head is still `expectedVersion`. */
    readonly applyChangeSet: (
      projectId: ProjectId,
      input: ChangeSetInput
    ) => Effect.Effect<BudgetVersion, ChangeError | VersionConflict>
  }
>()("@costline/server/BudgetRepo") {
  static readonly layer = Layer.effect(
    BudgetRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const events = yield* ProjectEventLog
      const columns = sql.literal(POSITION_COLUMNS)

      const settingsOf = (projectId: ProjectId, version: number) =>
        sql<{ settings: BudgetSettings | null }>`
          SELECT summary -> 'settings' AS settings FROM budget_versions
          WHERE project_id = ${projectId} AND version = ${version}`.pipe(
          Effect.map((rows) => rows[0]?.settings ?? defaultBudgetSettings)
        )

      const readHead = Effect.fn("BudgetRepo.readHead")(function* (projectId: ProjectId) {
        const project = yield* sql<{ current_version: number }>`
          SELECT current_version FROM projects WHERE id = ${projectId}`
        const version = Number(project[0]?.current_version ?? 0)
        const rows = yield* sql<PositionRow>`
          SELECT ${columns} FROM positions
          WHERE project_id = ${projectId} AND valid_to IS NULL ORDER BY id`
        return { version, settings: yield* settingsOf(projectId, version), positions: rows.map(fromRow) }
      }, Effect.orDie)

      const readVersion = Effect.fn("BudgetRepo.readVersion")(function* (projectId: ProjectId, version: number) {
        const exists = yield* sql<{ version: number }>`
          SELECT version FROM budget_versions WHERE project_id = ${projectId} AND version = ${version}`
        if (exists.length === 0 && version !== 0) return Option.none<BudgetHead>()
        const rows = yield* sql<PositionRow>`
          SELECT ${columns} FROM positions
          WHERE project_id = ${projectId} AND valid_from <= ${version} AND (valid_to IS NULL OR valid_to > ${version})
          ORDER BY id`
        return Option.some({ version, settings: yield* settingsOf(projectId, version), positions: rows.map(fromRow) })
      }, Effect.orDie)

      const commit = Effect.fn("BudgetRepo.commit")(
        function* (input: CommitInput) {
          const { projectId, expectedVersion, result } = input
          const version = expectedVersion + 1
          const createdAt = DateTime.formatIso(DateTime.makeUnsafe(yield* Clock.currentTimeMillis))
          const budgetVersion = makeBudgetVersion({
            result,
            parent: expectedVersion === 0 ? null : expectedVersion,
            trigger: input.trigger,
            createdBy: input.createdBy,
            createdAt
          })
          const diff = result.diff
          const changedKeys = new Set<string>([
            ...diff.removed.map((position) => position.positionKey),
            ...diff.modified.map((entry) => entry.positionKey),
            ...diff.moved.map((entry) => entry.positionKey)
          ])
          const written = new Set<string>([
            ...diff.added.map((position) => position.positionKey),
            ...diff.modified.map((entry) => entry.positionKey),
            ...diff.moved.map((entry) => entry.positionKey)
          ])
          const newRows = result.head.positions
            .filter((position) => written.has(position.positionKey))
            .map((position) => ({
              ...toRow(position),
              project_id: projectId,
              valid_from: version,
              source_document_id: input.documentId ?? null
            }))
          const counts = { green: 0, amber: 0, red: 0, unaudited: 0 }
          for (const position of result.head.positions) counts[position.status]++

          return yield* sql.withTransaction(
            Effect.gen(function* () {
              const current = yield* sql<{ current_version: number }>`
              SELECT current_version FROM projects WHERE id = ${projectId} FOR UPDATE`
              const currentVersion = Number(current[0]?.current_version ?? -1)
              if (currentVersion !== expectedVersion) {
                return yield* versionConflict(projectId, expectedVersion, currentVersion)
              }
              yield* sql`
              INSERT INTO budget_versions (project_id, version, parent_version, trigger_type, created_by, created_at,
                total, summary, change_summary, delta_cost, document_id)
              VALUES (${projectId}, ${version}, ${budgetVersion.parent}, ${input.trigger}, ${input.createdBy},
                ${createdAt}, ${budgetVersion.totals.total},
                ${JSON.stringify({ settings: budgetVersion.settings, totals: budgetVersion.totals })}::jsonb,
                ${JSON.stringify(budgetVersion.changeSummary)}::jsonb, ${budgetVersion.deltaCost},
                ${input.documentId ?? null})`
              const keys = [...changedKeys]
              for (let start = 0; start < keys.length; start += CLOSE_BATCH) {
                yield* sql`
                UPDATE positions SET valid_to = ${version}
                WHERE project_id = ${projectId} AND valid_to IS NULL
                  AND position_key IN ${sql.in(keys.slice(start, start + CLOSE_BATCH))}`
              }
              for (let start = 0; start < newRows.length; start += INSERT_BATCH) {
                const batch = newRows.slice(start, start + INSERT_BATCH)
                if (batch.length > 0) yield* sql`INSERT INTO positions ${sql.insert(batch as [(typeof batch)[0]])}`
              }
              yield* sql`
              UPDATE projects SET current_version = ${version}, total_cost = ${budgetVersion.totals.total},
                green_count = ${counts.green}, amber_count = ${counts.amber}, red_count = ${counts.red},
                unaudited_count = ${counts.unaudited}, updated_at = ${createdAt}
              WHERE id = ${projectId}`
              yield* events.append(projectId, { _tag: "VersionCreated", version: budgetVersion })
              return budgetVersion
            })
          )
        },
        Effect.catchTag("SqlError", Effect.die)
      )

      const applyChangeSet = Effect.fn("BudgetRepo.applyChangeSet")(function* (
        projectId: ProjectId,
        input: ChangeSetInput
      ) {
        const head = yield* readHead(projectId)
        // Refused before any work: a stale change set would be applied to positions its author never saw.
        if (head.version !== input.expectedVersion) {
          return yield* versionConflict(projectId, input.expectedVersion, head.version)
        }
        const result = yield* applyChanges(head, input.changes)
        return yield* commit({
          projectId,
          expectedVersion: head.version,
          trigger: input.trigger,
          createdBy: input.requestedBy,
          result
        })
      })

      return BudgetRepo.of({ readHead, readVersion, commit, applyChangeSet })
    })
  )
}
