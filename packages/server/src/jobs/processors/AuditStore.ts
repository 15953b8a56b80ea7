// Stores an audit run in audit_results: the experts' opinions and the policy's resolutions of one version, replacing
// those of an earlier run of the same version (so a job re-run after a crash leaves one set), and moves the project's
// green/amber/red counts to them while that version is still the head. Overrides (a person's decisions) are never
// touched here.
import type {
  AuditResolution,
  DecimalString,
  ExpertOpinion,
  ProjectEventBody,
  ProjectId,
  StatusCounts,
  UserId
} from "@costline/core"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { ProjectEventLog } from "../../events/ProjectEventLog.ts"

export interface StoreAudit {
  readonly projectId: ProjectId
  readonly version: number
  readonly opinions: ReadonlyArray<ExpertOpinion>
  readonly resolutions: ReadonlyArray<AuditResolution>
  readonly createdBy: UserId | null
}

export interface StoredAudit {
  readonly counts: StatusCounts
  /** False when the budget had moved past the audited version: the counts describe the head, so they stay. */
  readonly countsUpdated: boolean
}

/** The role recorded on resolution rows: the project's policy decided them, not one expert. */
export const RESOLUTION_ROLE = "policy"

// 13 columns a row; PostgreSQL takes at most 65,535 parameters per statement.
const INSERT_BATCH = 2_000

interface ProjectRow {
  readonly id: string
  readonly name: string
  readonly description: string | null
  readonly owner_id: string
  readonly current_version: number
  readonly last_event_seq: string | number
  readonly total_cost: string | null
  readonly green_count: number
  readonly amber_count: number
  readonly red_count: number
  readonly unaudited_count: number
  readonly created_at: Date | string
  readonly updated_at: Date | string
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString()

const money = (value: string | null): DecimalString => {
  const [whole, fraction = ""] = (value ?? "0").split(".")
  return `${whole}.${fraction.padEnd(2, "0")}` as DecimalString
}

// The ProjectUpdated event carries the project as every member sees it (ProjectRepo's mapping, without the role).
// last_event_seq is the seq this event is about to take: the row is read before the event is appended.
const projectUpdated = (row: ProjectRow): ProjectEventBody => ({
  _tag: "ProjectUpdated",
  project: {
    id: row.id as ProjectId,
    name: row.name,
    description: row.description ?? "",
    ownerId: row.owner_id as UserId,
    currentVersion: Number(row.current_version),
    lastEventSeq: Number(row.last_event_seq) + 1,
    totalCost: money(row.total_cost),
    statusCounts: {
      green: Number(row.green_count),
      amber: Number(row.amber_count),
      red: Number(row.red_count),
      unaudited: Number(row.unaudited_count)
    },
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at)
  }
})

export const countsOf = (resolutions: ReadonlyArray<AuditResolution>, positionCount: number): StatusCounts => {
  const counts = { green: 0, amber: 0, red: 0, unaudited: 0 }
  for (const resolution of resolutions) {
    if (resolution.status === "GREEN") counts.green++
    else if (resolution.status === "AMBER") counts.amber++
    else counts.red++
  }
  counts.unaudited = Math.max(0, positionCount - resolutions.length)
  return counts
}

export const makeAuditStore = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const events = yield* ProjectEventLog

  const insertRows = (rows: ReadonlyArray<Record<string, unknown>>) =>
    Effect.gen(function* () {
      for (let start = 0; start < rows.length; start += INSERT_BATCH) {
        const batch = rows.slice(start, start + INSERT_BATCH)
        // sql.insert wants a non-empty tuple; the loop only runs for non-empty batches.
        if (batch.length > 0) yield* sql`INSERT INTO audit_results ${sql.insert(batch as [Record<string, unknown>])}`
      }
    })

  const replace = (input: StoreAudit): Effect.Effect<StoredAudit, SqlError> =>
    sql.withTransaction(
      Effect.gen(function* () {
        const { projectId, version } = input
        // The project's row lock orders this write with commits (which move the head) and with other audit runs.
        const locked = yield* sql<{ readonly current_version: number }>`
          SELECT current_version FROM projects WHERE id = ${projectId} FOR UPDATE`
        const isHead = locked[0] !== undefined && Number(locked[0].current_version) === version
        const revisions = yield* sql<{ readonly id: string | number; readonly position_key: string }>`
          SELECT id, position_key FROM positions
          WHERE project_id = ${projectId} AND valid_from <= ${version} AND (valid_to IS NULL OR valid_to > ${version})`
        const revisionOf = new Map(revisions.map((row) => [row.position_key, String(row.id)]))

        yield* sql`
          DELETE FROM audit_results
          WHERE project_id = ${projectId} AND version = ${version} AND kind IN ('opinion', 'resolution')`
        const base = (positionKey: string) => ({
          project_id: projectId,
          version,
          position_key: positionKey,
          position_revision_id: revisionOf.get(positionKey) ?? null,
          created_by: input.createdBy
        })
        yield* insertRows(
          input.opinions.map((opinion) => ({
            ...base(opinion.positionKey),
            kind: "opinion",
            role: opinion.role,
            verdict: opinion.verdict,
            confidence: opinion.confidence,
            reasoning: opinion.reasoning,
            issues: JSON.stringify(opinion.issues),
            // The expert's name and the fingerprint of what it judged have no columns of their own.
            evidence: JSON.stringify({
              expert: opinion.expert,
              positionFingerprint: opinion.positionFingerprint,
              facts: opinion.evidence
            }),
            conflicts_with: JSON.stringify(opinion.conflictsWith),
            rationale: null,
            needs_review: false
          }))
        )
        yield* insertRows(
          input.resolutions.map((resolution) => ({
            ...base(resolution.positionKey),
            kind: "resolution",
            role: RESOLUTION_ROLE,
            verdict: resolution.status,
            // The column is NOT NULL; a resolution no rule decided has no confidence (kept as null in evidence).
            confidence: resolution.confidence ?? 0,
            reasoning: resolution.rule,
            issues: "[]",
            evidence: JSON.stringify({
              rule: resolution.rule,
              confidence: resolution.confidence,
              positionFingerprint: resolution.positionFingerprint,
              decidedBy: resolution.decidedBy,
              dissent: resolution.dissent,
              opinionCount: resolution.opinionCount,
              staleOpinionCount: resolution.staleOpinionCount
            }),
            conflicts_with: null,
            rationale: resolution.rationale,
            needs_review: resolution.needsReview
          }))
        )

        const counts = countsOf(input.resolutions, revisions.length)
        if (!isHead) return { counts, countsUpdated: false }
        const updated = yield* sql<ProjectRow>`
          UPDATE projects SET green_count = ${counts.green}, amber_count = ${counts.amber}, red_count = ${counts.red},
            unaudited_count = ${counts.unaudited}, updated_at = now()
          WHERE id = ${projectId}
          RETURNING id, name, description, owner_id, current_version, last_event_seq, total_cost::text AS total_cost,
            green_count, amber_count, red_count, unaudited_count, created_at, updated_at`
        if (updated[0] !== undefined) yield* events.append(projectId, projectUpdated(updated[0]))
        return { counts, countsUpdated: true }
      })
    )

  return { replace }
})
