// BudgetWriter through the project's actor, wherever the processors run: in the embedded server (its own runner) and in
// the worker (a cluster client sending to the servers' runners). Kept apart from BudgetWriter.ts because the actor
// module imports the job queue, which imports the processors: only the process wiring (PipelineLayers) may import this.
import { Duration, Effect, Layer } from "effect"
import type { Sharding } from "effect/cluster"
import { ProjectActor } from "../../actors/ProjectActor.ts"
import { BudgetWriter, BudgetWriteUnavailable } from "./BudgetWriter.ts"

export interface ActorBudgetWriterOptions {
  /**
   * How long one command may wait for the actor's answer. A send to an entity nobody hosts (no server up) retries
   * until a runner takes the shard, and one to a runner that went away retries until the shard moves: without a
   * bound, the job would hang. Default 60 seconds.
   */
  readonly timeout?: Duration.Input | undefined
}

export const layerWith = (
  options: ActorBudgetWriterOptions = {}
): Layer.Layer<BudgetWriter, never, Sharding.Sharding> =>
  Layer.effect(
    BudgetWriter,
    Effect.gen(function* () {
      const actorFor = yield* ProjectActor.client
      const timeout = Duration.fromInputUnsafe(options.timeout ?? "60 seconds")
      const unavailable = (projectId: string, reason: string) =>
        new BudgetWriteUnavailable({
          projectId,
          message: `the project's actor could not take the command (${reason}); try again`
        })
      // The command was not taken or not answered in time (the send is then interrupted, which interrupts the command
      // if it still runs): the same command may succeed later. Trouble reaching a runner (none up yet, one that went
      // away) never surfaces here: the cluster retries it until the shard has an owner, so only the timeout ends it. A
      // defect (the actor's handler died) stays a defect, which the job runner retries as well.
      const bounded =
        (projectId: string) =>
        <A, E>(send: Effect.Effect<A, E>): Effect.Effect<A, E | BudgetWriteUnavailable> =>
          Effect.timeoutOrElse(send, {
            duration: timeout,
            orElse: () =>
              Effect.fail(unavailable(projectId, `no answer within ${Duration.format(timeout)}; is a server running?`))
          })
      const notTaken = (projectId: string) => (error: { readonly _tag: string }) =>
        Effect.fail(unavailable(projectId, error._tag))
      return BudgetWriter.of({
        importPositions: (projectId, input) =>
          actorFor(projectId)
            .ImportPositions({ ...input, positions: [...input.positions] })
            .pipe(
              Effect.mapError((error) => unavailable(projectId, error._tag)),
              bounded(projectId)
            ),
        applyChanges: (projectId, input) =>
          actorFor(projectId)
            .ApplyChanges({ ...input, changes: [...input.changes] })
            .pipe(
              Effect.catchTags({
                MailboxFull: notTaken(projectId),
                AlreadyProcessingMessage: notTaken(projectId),
                PersistenceError: notTaken(projectId),
                EntityNotAssignedToRunner: notTaken(projectId)
              }),
              bounded(projectId)
            )
      })
    })
  )

/** The default: answers within 60 seconds. */
export const layer: Layer.Layer<BudgetWriter, never, Sharding.Sharding> = layerWith()
