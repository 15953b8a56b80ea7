// BudgetWriter through the project's actor, for processes that host the cluster (the server; the embedded profile runs
// its jobs there). Kept apart from BudgetWriter.ts because the actor module imports the job queue, which imports the
// processors: only the process wiring (PipelineLayers) may import this.
import { Effect, Layer } from "effect"
import type { Sharding } from "effect/cluster"
import { ProjectActor } from "../../actors/ProjectActor.ts"
import { BudgetWriter, BudgetWriteUnavailable } from "./BudgetWriter.ts"

export const layer: Layer.Layer<BudgetWriter, never, Sharding.Sharding> = Layer.effect(
  BudgetWriter,
  Effect.gen(function* () {
    const actorFor = yield* ProjectActor.client
    // Cluster delivery errors: the actor did not take the command, so the same command may succeed later.
    const unavailable = (projectId: string) => (error: { readonly _tag: string }) =>
      new BudgetWriteUnavailable({
        projectId,
        message: `the project's actor could not take the command (${error._tag}); try again`
      })
    return BudgetWriter.of({
      importPositions: (projectId, input) =>
        actorFor(projectId)
          .ImportPositions({ ...input, positions: [...input.positions] })
          .pipe(Effect.mapError(unavailable(projectId))),
      applyChanges: (projectId, input) =>
        actorFor(projectId)
          .ApplyChanges({ ...input, changes: [...input.changes] })
          .pipe(
            Effect.catchTags({
              MailboxFull: (error) => Effect.fail(unavailable(projectId)(error)),
              AlreadyProcessingMessage: (error) => Effect.fail(unavailable(projectId)(error)),
              PersistenceError: (error) => Effect.fail(unavailable(projectId)(error)),
              EntityNotAssignedToRunner: (error) => Effect.fail(unavailable(projectId)(error))
            })
          )
    })
  })
)
