// The one interface every auditor plugs in through — built-in rule sets, an LLM, a human firm — and its error.
import { Effect, Schema } from "effect"
import type { ExpertOpinion } from "../contracts/ExpertOpinion.ts"
import { ExpertRole } from "../contracts/ExpertOpinion.ts"
import type { Position } from "../contracts/Position.ts"
import type { AuditContext } from "./AuditContext.ts"

/** An expert could not give its opinions (its service was down, its answer did not decode…). */
export class ExpertError extends Schema.TaggedError<ExpertError>()("ExpertError", {
  expert: Schema.String,
  role: ExpertRole,
  message: Schema.String
}) {}

/**
 * `run` judges a batch of positions and returns at most the opinions it has: an expert may stay silent on a
 * position outside its field (the concrete expert on earthworks). Opinions for positions not in the batch, or
 * that do not decode as ExpertOpinion, are dropped by auditPositions and reported as failures.
 * Built-in experts are pure and synchronous inside; external ones may do I/O (hence Effect and `R`).
 */
export interface Expert<R = never> {
  readonly role: ExpertRole
  readonly name: string
  readonly run: (
    positions: ReadonlyArray<Position>,
    context: AuditContext
  ) => Effect.Effect<ReadonlyArray<ExpertOpinion>, ExpertError, R>
}

/** Wraps a pure, synchronous judging function as an Expert. */
export const makeRuleExpert = (
  role: ExpertRole,
  name: string,
  judge: (positions: ReadonlyArray<Position>, context: AuditContext) => ReadonlyArray<ExpertOpinion>
): Expert => ({ role, name, run: (positions, context) => Effect.sync(() => judge(positions, context)) })

// The experts core ships. Their opinions are valid ExpertOpinion values by construction (a test checks every one of
// them on the real budgets), so auditPositions does not check each of their opinions against the schema again —
// at 100k positions that check cost as much as the experts. Every other expert's opinions are checked.
const builtIn = new WeakSet<Expert>()

/** Marks one of core's own experts (see above); not for experts defined outside core. */
export const markBuiltIn = (expert: Expert): Expert => {
  builtIn.add(expert)
  return expert
}

export const isBuiltIn = (expert: Expert<unknown>): boolean => builtIn.has(expert as Expert)
