// The registry of job processors by job type; the same registry serves the BullMQ worker and the in-process queue.
// Owns which type runs which function; does NOT own running them (JobRunner) or scheduling (JobQueue).
import type { JobType } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import type { SqlClient } from "effect/sql"
import { BudgetRepo } from "../budget/BudgetRepo.ts"
import type { ProjectEventLog } from "../events/ProjectEventLog.ts"
import type { JobProcessor } from "./JobProcessor.ts"
import { BudgetWriter } from "./processors/BudgetWriter.ts"
import type { ProcessorServices } from "./processors/ProcessorServices.ts"
import { makePipelineProcessors } from "./processors/pipelineProcessors.ts"
import { makeRecalculateBudget } from "./RecalculateBudget.ts"

export type ProcessorRegistry = Partial<Record<JobType, JobProcessor>>

export class JobProcessors extends Context.Service<
  JobProcessors,
  {
    /** None for a type nobody registered: the runner fails such a job permanently. */
    readonly get: (type: string) => Option.Option<JobProcessor>
    readonly types: ReadonlyArray<JobType>
  }
>()("@costline/server/JobProcessors") {
  static readonly make = (registry: ProcessorRegistry): JobProcessors["Service"] => {
    const entries = new Map(Object.entries(registry).filter(([, processor]) => processor !== undefined))
    return JobProcessors.of({
      get: (type) => Option.fromNullishOr(entries.get(type)),
      // The keys come from a ProcessorRegistry, whose keys are JobTypes; Object.entries only widens them to string.
      types: [...entries.keys()] as Array<JobType>
    })
  }

  /**
   * The foundation set: recalculate_budget only, committing with BudgetRepo directly. For queues under test that need
   * no documents, blobs or actors; processes use `layerPipeline`.
   */
  static readonly builtIn: Effect.Effect<ProcessorRegistry, never, SqlClient.SqlClient | BudgetWriter> = Effect.gen(
    function* () {
      return { recalculate_budget: yield* makeRecalculateBudget }
    }
  )

  private static readonly foundation = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
    layer.pipe(Layer.provide(BudgetWriter.layerDirect), Layer.provide(BudgetRepo.layer))

  static readonly layer: Layer.Layer<JobProcessors, never, SqlClient.SqlClient | ProjectEventLog> =
    JobProcessors.foundation(Layer.effect(JobProcessors, Effect.map(JobProcessors.builtIn, JobProcessors.make)))

  /** The foundation processors plus (or replaced by) `extra`; for tests and for slices that add job types. */
  static readonly layerWith = (
    extra: ProcessorRegistry
  ): Layer.Layer<JobProcessors, never, SqlClient.SqlClient | ProjectEventLog> =>
    JobProcessors.foundation(
      Layer.effect(
        JobProcessors,
        Effect.map(JobProcessors.builtIn, (builtIn) => JobProcessors.make({ ...builtIn, ...extra }))
      )
    )

  /** Every processor: the pipeline (parse → enrich → audit), export, recalculate and housekeeping. */
  static readonly layerPipeline: Layer.Layer<JobProcessors, never, ProcessorServices> = Layer.effect(
    JobProcessors,
    Effect.map(makePipelineProcessors, JobProcessors.make)
  )

  /** Every processor plus (or replaced by) `extra`. */
  static readonly layerPipelineWith = (
    extra: ProcessorRegistry
  ): Layer.Layer<JobProcessors, never, ProcessorServices> =>
    Layer.effect(
      JobProcessors,
      Effect.map(makePipelineProcessors, (all) => JobProcessors.make({ ...all, ...extra }))
    )
}
