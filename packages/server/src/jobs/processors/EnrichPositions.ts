// The enrich_positions processor: fills what positions of the head lack from reference data — a missing description
// from catalog_items (exact code) or else the TSKP class the code belongs to, a missing unit from catalog_items — and
// commits that as one version (trigger recalculation) only when something was filled. Then queues the audit of the
// resulting head. Reference price bands are not position fields: the audit reads them from catalog_items; the result
// says how many positions have one.
import {
  checkTskpCode,
  EnrichPositionsPayload,
  type Position,
  type ProjectId,
  type TskpClassifier
} from "@costline/core"
import { Effect, Option } from "effect"
import { BudgetRepo } from "../../budget/BudgetRepo.ts"
import { PermanentJobFailure, RetryableJobFailure, retryOnSqlError } from "../JobFailure.ts"
import type { JobContext, JobProcessor } from "../JobProcessor.ts"
import { JobRepo } from "../JobRepo.ts"
import { BudgetWriter } from "./BudgetWriter.ts"
import { decodePayload } from "./decodePayload.ts"
import { FollowUpJobs } from "./FollowUpJobs.ts"
import { awaitPredecessor, enqueueAudit } from "./PipelineJobs.ts"
import { type CatalogItem, ReferenceData } from "./ReferenceData.ts"

export interface EnrichPositionsResult {
  /** The head when the job ran. */
  readonly baseVersion: number
  /** The version to audit: the enriched one, or the base when nothing was filled. */
  readonly version: number
  readonly committed: boolean
  readonly descriptionsFilled: number
  readonly unitsFilled: number
  /** Positions whose code has a reference price band in catalog_items. */
  readonly priceBands: number
  /** TSKP edition used, or null when the classifier was not available. */
  readonly tskp: string | null
  readonly next: string | null
}

export interface Enrichment {
  readonly positions: ReadonlyArray<Position>
  readonly descriptionsFilled: number
  readonly unitsFilled: number
  readonly priceBands: number
}

/** What the reference data adds to `positions`; only empty fields are filled, nothing is overwritten. */
export const enrich = (
  positions: ReadonlyArray<Position>,
  items: ReadonlyMap<string, CatalogItem>,
  tskp: TskpClassifier | undefined
): Enrichment => {
  let descriptionsFilled = 0
  let unitsFilled = 0
  let priceBands = 0
  const enriched = positions.map((position) => {
    const item = items.get(position.code)
    if (item?.band != null) priceBands++
    let next = position
    if (position.description.trim() === "") {
      const fromCatalog = item?.description.trim() ?? ""
      const check = fromCatalog === "" && tskp !== undefined ? checkTskpCode(tskp, position.code) : undefined
      const description = fromCatalog !== "" ? fromCatalog : check?._tag === "Classified" ? check.item.name.trim() : ""
      if (description !== "") {
        next = { ...next, description }
        descriptionsFilled++
      }
    }
    if (position.unit.trim() === "" && item !== undefined && item.unit !== "") {
      next = { ...next, unit: item.unit }
      unitsFilled++
    }
    return next
  })
  return { positions: enriched, descriptionsFilled, unitsFilled, priceBands }
}

/** Attempts when an edit lands between reading the head and committing the enrichment. */
const CONFLICT_ATTEMPTS = 3

export const makeEnrichPositions = Effect.gen(function* () {
  const budgets = yield* BudgetRepo
  const reference = yield* ReferenceData
  const writer = yield* BudgetWriter
  const followUps = yield* FollowUpJobs
  const jobs = yield* JobRepo

  const enrichHead = (context: JobContext, projectId: ProjectId, attempt: number) =>
    Effect.gen(function* () {
      const head = yield* budgets.readHead(projectId)
      const tskp = yield* reference.tskp
      const items = yield* reference
        .catalogItems(head.positions.map((position) => position.code))
        .pipe(retryOnSqlError("reading the catalogue"))
      yield* context.reportProgress({
        progress: 0.4,
        message: `looking up ${head.positions.length} positions`,
        step: 2,
        totalSteps: 3
      })
      const enrichment = enrich(head.positions, items, Option.getOrUndefined(tskp))
      const changed = enrichment.descriptionsFilled + enrichment.unitsFilled > 0
      const summary = {
        baseVersion: head.version,
        descriptionsFilled: enrichment.descriptionsFilled,
        unitsFilled: enrichment.unitsFilled,
        priceBands: enrichment.priceBands,
        tskp: Option.match(tskp, {
          onNone: () => null,
          onSome: (classifier) => classifier.edition ?? "unknown edition"
        })
      }
      if (!changed || head.version === 0) return { ...summary, version: head.version, committed: false }

      yield* context.reportProgress({
        progress: 0.7,
        message: `filling ${enrichment.descriptionsFilled} descriptions and ${enrichment.unitsFilled} units`,
        step: 3,
        totalSteps: 3
      })
      // RestoreVersion keeps every other field verbatim: a total the file stated stays, so the audit still sees it.
      const version = yield* writer
        .applyChanges(projectId, {
          expectedVersion: head.version,
          changes: [{ _tag: "RestoreVersion", version: head.version, positions: [...enrichment.positions] }],
          trigger: "recalculation",
          requestedBy: null
        })
        .pipe(
          Effect.catchTags({
            VersionConflict: (conflict) =>
              attempt < CONFLICT_ATTEMPTS
                ? Effect.fail({ _tag: "Again" } as const)
                : Effect.fail(new RetryableJobFailure({ message: conflict.message })),
            ChangeError: (error) =>
              Effect.fail(
                new PermanentJobFailure({ message: `the enriched positions were refused: ${error.message}` })
              ),
            BudgetWriteUnavailable: (error) => Effect.fail(new RetryableJobFailure({ message: error.message }))
          })
        )
      return { ...summary, version: version.version, committed: true }
    })

  const run = (
    context: JobContext,
    projectId: ProjectId,
    attempt = 1
  ): Effect.Effect<Omit<EnrichPositionsResult, "next">, PermanentJobFailure | RetryableJobFailure> =>
    enrichHead(context, projectId, attempt).pipe(Effect.catchTag("Again", () => run(context, projectId, attempt + 1)))

  const processor: JobProcessor = Effect.fn("EnrichPositions")(function* (context: JobContext) {
    const { job } = context
    const payload = yield* decodePayload(EnrichPositionsPayload, context.payload, "enrich_positions")
    const projectId = job.projectId
    if (projectId === null) {
      return yield* new PermanentJobFailure({
        message: "enrich_positions needs a project: enqueue it with a projectId"
      })
    }
    yield* awaitPredecessor(payload.after).pipe(Effect.provideService(JobRepo, jobs))
    yield* context.reportProgress({
      progress: 0.05,
      message: "loading positions and reference data",
      step: 1,
      totalSteps: 3
    })
    // The head, not payload.version: an edit since the job was queued is enriched too, and a re-run after a crash
    // finds its own enrichment committed and nothing left to fill.
    const outcome = yield* run(context, projectId)
    const next =
      outcome.version === 0
        ? null
        : (yield* enqueueAudit(followUps.enqueue, { projectId, version: outcome.version, after: job.id })).id
    const result: EnrichPositionsResult = { ...outcome, next }
    return result
  })
  return processor
})
