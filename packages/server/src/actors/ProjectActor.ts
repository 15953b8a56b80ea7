// The per-project actor: every command on a project goes through it, one at a time per project (cluster entity).
// Owns the order of commands; does NOT own storage (repositories), the meaning of changes (core) or the delivery of
// events (ProjectHub).
import {
  BudgetSettings,
  BudgetVersion,
  Change,
  ChangeError,
  Job,
  Position,
  type ProjectId,
  SubscriptionItem,
  TriggerType,
  UserId
} from "@costline/core"
import { Effect, Schema } from "effect"
import { Entity } from "effect/cluster"
import { Rpc } from "effect/rpc"
import { BudgetRepo, VersionConflict } from "../budget/BudgetRepo.ts"
import { decideImport } from "../budget/decideImport.ts"
import { ProjectHub } from "../events/ProjectHub.ts"
import { JobQueue } from "../jobs/JobQueue.ts"

export const Recalculate = Rpc.make("Recalculate", {
  payload: { requestedBy: UserId },
  success: Job
})

/** A change set against the version the caller saw; refused with VersionConflict when the budget moved on. */
export const ApplyChanges = Rpc.make("ApplyChanges", {
  payload: {
    expectedVersion: Schema.Int,
    changes: Schema.Array(Change),
    trigger: TriggerType,
    requestedBy: Schema.NullOr(UserId)
  },
  success: BudgetVersion,
  error: Schema.Union([ChangeError, VersionConflict])
})

/** The positions parsed from a document become the next version, verbatim; null when nothing changed. */
export const ImportPositions = Rpc.make("ImportPositions", {
  payload: {
    documentId: Schema.String,
    positions: Schema.Array(Position),
    settings: BudgetSettings,
    requestedBy: Schema.NullOr(UserId)
  },
  success: Schema.NullOr(BudgetVersion)
})

/** Forked: a subscription must not hold the mailbox while it streams. */
export const Subscribe = Rpc.make("Subscribe", {
  payload: { afterSeq: Schema.optionalKey(Schema.Int) },
  success: SubscriptionItem,
  stream: true
})

export const ProjectActor = Entity.make("Project", [Recalculate, ApplyChanges, ImportPositions, Subscribe])

export const ProjectActorLayer = ProjectActor.toLayer(
  Effect.gen(function* () {
    const address = yield* Entity.CurrentAddress
    const projectId = address.entityId as string as ProjectId
    const jobs = yield* JobQueue
    const hub = yield* ProjectHub
    const budgets = yield* BudgetRepo

    return ProjectActor.of({
      Recalculate: ({ payload }) =>
        jobs.enqueue({
          type: "recalculate_budget",
          projectId,
          payload: {},
          createdBy: payload.requestedBy
        }),
      ApplyChanges: ({ payload }) => budgets.applyChangeSet(projectId, payload),
      ImportPositions: ({ payload }) =>
        Effect.gen(function* () {
          const current = yield* budgets.readHead(projectId)
          const decision = yield* decideImport(current, payload.positions, payload.settings)
          if (decision === null) return null
          const version = yield* budgets
            .commit({
              projectId,
              expectedVersion: current.version,
              trigger: decision.trigger,
              createdBy: payload.requestedBy,
              documentId: payload.documentId,
              result: decision.result
            })
            // Every import goes through this actor, the project's only writer, so the head cannot have moved.
            .pipe(Effect.orDie)
          // Where a document became a version (which server, for which worker): operators follow an upload by it.
          yield* Effect.logInfo(`project actor imported document ${payload.documentId} as version ${version.version}`)
          return version
        }).pipe(Effect.annotateLogs({ projectId, documentId: payload.documentId })),
      Subscribe: ({ payload }) => Rpc.fork(hub.subscribe(projectId, payload.afterSeq))
    })
  }),
  {
    maxIdleTime: "5 minutes",
    // A defect (a bug, a lost database) fails the one command that hit it; by default the cluster would restart the
    // entity and replay the command forever.
    disableFatalDefects: true
  }
)
