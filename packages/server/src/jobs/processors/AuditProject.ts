// The audit_project processor: runs the built-in experts on one version's positions, one expert per progress step,
// resolves their opinions with the project's policy (core auditPositions), and stores opinions and resolutions
// (AuditStore), which also moves the project's green/amber/red counts while the version is the head.
import {
  type AuditContext,
  AuditPolicy,
  AuditProjectPayload,
  auditPositions,
  builtinExperts,
  defaultAuditPolicy,
  type Expert,
  type ExpertError,
  type ExpertOpinion,
  type ProjectId,
  type ReferencePriceBand
} from "@costline/core"
import { Effect, Option, Result, Schema } from "effect"
import { SqlClient } from "effect/sql"
import { BudgetRepo } from "../../budget/BudgetRepo.ts"
import { PermanentJobFailure, retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"
import { JobRepo } from "../JobRepo.ts"
import { makeAuditStore } from "./AuditStore.ts"
import { decodePayload } from "./decodePayload.ts"
import { awaitPredecessor } from "./PipelineJobs.ts"
import { ReferenceData } from "./ReferenceData.ts"

export interface AuditProjectResult {
  readonly version: number
  readonly positionCount: number
  readonly opinionCount: number
  readonly conflictCount: number
  readonly counts: { readonly green: number; readonly amber: number; readonly red: number }
  readonly needsReview: number
  /** Experts that failed or whose output was partly dropped; the others still decided. */
  readonly failures: ReadonlyArray<{ readonly expert: string; readonly reason: string }>
  /** False when the budget had moved on before the results were stored: the project's counts were left alone. */
  readonly countsUpdated: boolean
  /** TSKP edition used, or null when the classifier was not available. */
  readonly tskp: string | null
  readonly referencePrices: number
}

const decodePolicy = Schema.decodeUnknownOption(AuditPolicy)

export const makeAuditProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const budgets = yield* BudgetRepo
  const reference = yield* ReferenceData
  const jobs = yield* JobRepo
  const store = yield* makeAuditStore
  const experts: ReadonlyArray<Expert> = builtinExperts
  const totalSteps = experts.length + 2

  /** The project's own policy (projects.settings.auditPolicy) when it has a valid one, else the default. */
  const policyOf = (projectId: ProjectId) =>
    sql<{ readonly policy: unknown }>`
      SELECT settings -> 'auditPolicy' AS policy FROM projects WHERE id = ${projectId}`.pipe(
      Effect.map((rows) => Option.getOrElse(decodePolicy(rows[0]?.policy), () => defaultAuditPolicy)),
      retryOnSqlError("reading the audit policy")
    )

  const processor: JobProcessor = Effect.fn("AuditProject")(function* (context: JobContext) {
    const { job } = context
    const payload = yield* decodePayload(AuditProjectPayload, context.payload, "audit_project")
    const projectId = job.projectId
    if (projectId === null) {
      return yield* new PermanentJobFailure({ message: "audit_project needs a project: enqueue it with a projectId" })
    }
    yield* awaitPredecessor(payload.after).pipe(Effect.provideService(JobRepo, jobs))

    yield* context.reportProgress({ progress: 0.05, message: "loading positions", step: 1, totalSteps })
    const versionNumber =
      payload.version ??
      (yield* sql<{ readonly current_version: number }>`
        SELECT current_version FROM projects WHERE id = ${projectId}`.pipe(
        Effect.map((rows) => Number(rows[0]?.current_version ?? 0)),
        retryOnSqlError("reading the head version")
      ))
    const found = yield* budgets.readVersion(projectId, versionNumber)
    if (Option.isNone(found) || versionNumber === 0) {
      return yield* new PermanentJobFailure({
        message: `project ${projectId} has no version ${versionNumber} to audit (import a budget first)`
      })
    }
    const head = found.value
    const positions = head.positions

    const tskp = yield* reference.tskp
    const items = yield* reference
      .catalogItems(positions.map((position) => position.code))
      .pipe(retryOnSqlError("reading reference prices"))
    const referencePrices = new Map<string, ReferencePriceBand>()
    const usualUnits = new Map<string, string>()
    for (const [code, item] of items) {
      if (item.band !== null) referencePrices.set(code, item.band)
      if (item.unit !== "") usualUnits.set(code, item.unit)
    }
    const auditContext: AuditContext = {
      tskp: Option.getOrUndefined(tskp),
      referencePrices,
      usualUnits,
      rounding: head.settings.rounding
    }
    const policy = yield* policyOf(projectId)

    // Each expert runs on its own step so progress says who is judging; auditPositions then gets their recorded
    // answers (failures included) and does what it always does with them: conflicts, resolutions, failure report.
    const recorded: Array<Expert> = []
    for (const [index, expert] of experts.entries()) {
      yield* context.reportProgress({
        progress: 0.1 + (0.75 * index) / experts.length,
        message: `${expert.role} expert (${expert.name}) judging ${positions.length} positions`,
        step: index + 2,
        totalSteps
      })
      const outcome = yield* Effect.result(expert.run(positions, auditContext))
      const answer: Effect.Effect<ReadonlyArray<ExpertOpinion>, ExpertError> = Result.isSuccess(outcome)
        ? Effect.succeed(outcome.success)
        : Effect.fail(outcome.failure)
      recorded.push({ role: expert.role, name: expert.name, run: () => answer })
    }
    const audit = yield* auditPositions(positions, recorded, auditContext, { policy })

    yield* context.reportProgress({
      progress: 0.9,
      message: `storing ${audit.opinions.length} opinions and ${audit.resolutions.length} resolutions`,
      step: totalSteps,
      totalSteps
    })
    const stored = yield* store
      .replace({
        projectId,
        version: versionNumber,
        opinions: audit.opinions,
        resolutions: audit.resolutions,
        createdBy: null
      })
      .pipe(retryOnSqlError("storing the audit results"))

    const result: AuditProjectResult = {
      version: versionNumber,
      positionCount: positions.length,
      opinionCount: audit.opinions.length,
      conflictCount: audit.conflicts.length,
      counts: { green: stored.counts.green, amber: stored.counts.amber, red: stored.counts.red },
      needsReview: audit.resolutions.filter((resolution) => resolution.needsReview).length,
      failures: audit.failures.map((failure) => ({ expert: failure.expert, reason: failure.reason })),
      countsUpdated: stored.countsUpdated,
      tskp: Option.match(tskp, { onNone: () => null, onSome: (classifier) => classifier.edition ?? "unknown edition" }),
      referencePrices: referencePrices.size
    }
    return result
  })
  return processor
})
