// How job processors write budget versions. The processes write through the project's actor (ActorBudgetWriter: the
// embedded server's own runner, the worker as a cluster client of the servers' runners), the project's only writer.
// layerDirect commits the actor's decision with BudgetRepo instead, for the foundation job registry
// (JobProcessors.layer) and processor tests that run without a cluster; BudgetRepo.commit checks the version it was
// based on under the project's row lock, so even then two writers can never both append version N+1.
import type { BudgetSettings, BudgetVersion, ChangeError, Position, ProjectId, UserId } from "@costline/core"
import { Context, Effect, Layer, Schema } from "effect"
import { BudgetRepo, type ChangeSetInput, type VersionConflict } from "../../budget/BudgetRepo.ts"
import { decideImport } from "../../budget/decideImport.ts"

/** The project's actor did not take the command or did not answer in time; the same command may succeed later. */
export class BudgetWriteUnavailable extends Schema.TaggedError<BudgetWriteUnavailable>()("BudgetWriteUnavailable", {
  projectId: Schema.String,
  message: Schema.String
}) {}

export interface ImportInput {
  readonly documentId: string
  readonly positions: ReadonlyArray<Position>
  readonly settings: BudgetSettings
  readonly requestedBy: UserId | null
}

/** A change set against the version its author saw (BudgetRepo's). */
export type ChangeInput = ChangeSetInput

/** Attempts of a direct write that lost the race for the next version before it gives up (with VersionConflict). */
const DIRECT_ATTEMPTS = 5

export class BudgetWriter extends Context.Service<
  BudgetWriter,
  {
    /** The positions of a document become the next version; null when they change nothing. */
    readonly importPositions: (
      projectId: ProjectId,
      input: ImportInput
    ) => Effect.Effect<BudgetVersion | null, BudgetWriteUnavailable>
    /** A change set against `expectedVersion`; VersionConflict when the budget moved on. */
    readonly applyChanges: (
      projectId: ProjectId,
      input: ChangeInput
    ) => Effect.Effect<BudgetVersion, ChangeError | VersionConflict | BudgetWriteUnavailable>
  }
>()("@costline/server/BudgetWriter") {
  /**
   * Commits with BudgetRepo directly, without a cluster (the foundation registry, processor tests): the decision is the
   * actor's, taken on the head as read, and the commit is refused (VersionConflict) if another writer got there first.
   * An import then decides again on the new head; a change set returns the conflict to its caller, like the actor.
   */
  static readonly layerDirect: Layer.Layer<BudgetWriter, never, BudgetRepo> = Layer.effect(
    BudgetWriter,
    Effect.gen(function* () {
      const budgets = yield* BudgetRepo

      const importOnce = (projectId: ProjectId, input: ImportInput) =>
        Effect.gen(function* () {
          const current = yield* budgets.readHead(projectId)
          const decision = yield* decideImport(current, input.positions, input.settings)
          if (decision === null) return null
          return yield* budgets.commit({
            projectId,
            expectedVersion: current.version,
            trigger: decision.trigger,
            createdBy: input.requestedBy,
            documentId: input.documentId,
            result: decision.result
          })
        })

      const importPositions = (
        projectId: ProjectId,
        input: ImportInput,
        attempt = 1
      ): Effect.Effect<BudgetVersion | null, BudgetWriteUnavailable> =>
        importOnce(projectId, input).pipe(
          Effect.catchTag("VersionConflict", (conflict) =>
            attempt < DIRECT_ATTEMPTS
              ? importPositions(projectId, input, attempt + 1)
              : Effect.fail(
                  new BudgetWriteUnavailable({
                    projectId,
                    message: `the budget kept changing while document ${input.documentId} was imported (${conflict.message})`
                  })
                )
          )
        )

      return BudgetWriter.of({
        importPositions: (projectId, input) => importPositions(projectId, input),
        applyChanges: (projectId, input) => budgets.applyChangeSet(projectId, input)
      })
    })
  )
}
