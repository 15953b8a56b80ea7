// Every processor of the pipeline and housekeeping, by job type; JobProcessors registers them.
import { Effect } from "effect"
import type { ProcessorRegistry } from "../JobProcessors.ts"
import { makeRecalculateBudget } from "../RecalculateBudget.ts"
import { makeAnalyticsRefresh } from "./AnalyticsRefresh.ts"
import { makeAuditProject } from "./AuditProject.ts"
import { jobRetentionDaysConfig, makeCleanup, retentionDaysConfig } from "./Cleanup.ts"
import { makeEnrichPositions } from "./EnrichPositions.ts"
import { makeExportBudget } from "./ExportBudget.ts"
import { makeParseDocument } from "./ParseDocument.ts"
import type { ProcessorServices } from "./ProcessorServices.ts"

export const makePipelineProcessors: Effect.Effect<ProcessorRegistry, never, ProcessorServices> = Effect.gen(
  function* () {
    // A bad EVENT_RETENTION_DAYS is an operator's mistake the process should refuse to start with.
    const retentionDays = yield* Effect.orDie(retentionDaysConfig)
    const jobRetentionDays = yield* Effect.orDie(jobRetentionDaysConfig)
    return {
      parse_document: yield* makeParseDocument,
      enrich_positions: yield* makeEnrichPositions,
      audit_project: yield* makeAuditProject,
      export_budget: yield* makeExportBudget,
      recalculate_budget: yield* makeRecalculateBudget,
      analytics_refresh: yield* makeAnalyticsRefresh,
      cleanup: yield* makeCleanup({ retentionDays, jobRetentionDays })
    }
  }
)
