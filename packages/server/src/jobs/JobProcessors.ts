// The registry of job processors by job type; the same registry serves the BullMQ worker and the in-process queue.
// Owns which type runs which function; does NOT own running them (JobRunner) or scheduling (JobQueue).
import type { JobType } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import type { SqlClient } from "effect/sql"
import type { JobProcessor } from "./JobProcessor.ts"
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

  /** Every processor this build implements (the foundation slice: recalculate_budget). */
  static readonly builtIn: Effect.Effect<ProcessorRegistry, never, SqlClient.SqlClient> = Effect.gen(function* () {
    return { recalculate_budget: yield* makeRecalculateBudget }
  })

  static readonly layer: Layer.Layer<JobProcessors, never, SqlClient.SqlClient> = Layer.effect(
    JobProcessors,
    Effect.map(JobProcessors.builtIn, JobProcessors.make)
  )

  /** The built-in processors plus (or replaced by) `extra`; for tests and for slices that add job types. */
  static readonly layerWith = (extra: ProcessorRegistry): Layer.Layer<JobProcessors, never, SqlClient.SqlClient> =>
    Layer.effect(
      JobProcessors,
      Effect.map(JobProcessors.builtIn, (builtIn) => JobProcessors.make({ ...builtIn, ...extra }))
    )
}
