// @costline/core: the pure domain of Costline and the contracts every other package shares.
export * from "./contracts/ApiErrors.ts"
export * from "./contracts/Authentication.ts"
export * from "./contracts/Decimal.ts"
export * from "./contracts/HttpApi.ts"
export * from "./contracts/Ids.ts"
export * from "./contracts/Job.ts"
export * from "./contracts/Position.ts"
export * from "./contracts/Project.ts"
export * from "./contracts/ProjectEvent.ts"
export * from "./contracts/Rpcs.ts"
export * from "./contracts/User.ts"
// Budgets: exact money, versions and change sets.
export * from "./contracts/BudgetDiff.ts"
export * from "./contracts/BudgetSettings.ts"
export * from "./contracts/BudgetVersion.ts"
export * from "./contracts/Change.ts"
export * from "./contracts/ChangeError.ts"
export * from "./contracts/Rounding.ts"
export * as Money from "./budget/Money.ts"
export { applyChanges, applyChangesResult, type ApplyChangesResult } from "./budget/applyChanges.ts"
export { makePricer, computeTotal, type Pricer } from "./budget/Pricer.ts"
export { summarizeBudget } from "./budget/summarizeBudget.ts"
export { makeBudgetVersion, changeSummaryOf } from "./budget/makeBudgetVersion.ts"
export { acceptedUnits, normalizeUnit, acceptUnit } from "./budget/units.ts"
export { compareNatural, comparePlaces, comparePositions } from "./budget/positionOrder.ts"
// Semantic diff between versions.
export { diffVersions, diffByKey, diffFromMatching, type DiffOptions } from "./diff/diffVersions.ts"
export { changesFromDiff, patchFromFieldChanges } from "./diff/changesFromDiff.ts"
export { FUZZY_THRESHOLD, FUZZY_MAX_PAIRS_PER_BLOCK } from "./diff/matchPositions.ts"
export { normalizeDescription } from "./diff/normalizeDescription.ts"
// Audit: experts, conflicts, resolution, overrides.
export * from "./contracts/AuditPolicy.ts"
export * from "./contracts/AuditResolution.ts"
export * from "./contracts/ExpertOpinion.ts"
export * from "./contracts/HumanOverride.ts"
export { type Expert, ExpertError, makeRuleExpert } from "./audit/Expert.ts"
export type { AuditContext, ReferencePriceBand } from "./audit/AuditContext.ts"
export { auditPositions, type AuditResult, type AuditOptions, type ExpertFailure } from "./audit/auditPositions.ts"
export { resolveAudit, resolvePosition, type ResolveOptions } from "./audit/resolveAudit.ts"
export { detectConflicts, conflictLevels, type ConflictReport } from "./audit/detectConflicts.ts"
export { defaultAuditPolicy, makeAuditPolicy } from "./audit/defaultAuditPolicy.ts"
export { effectiveStatus, latestOverride, type EffectiveStatus } from "./audit/effectiveStatus.ts"
export { positionFingerprint, isStale } from "./audit/positionFingerprint.ts"
export { loadTskp, TskpParseError } from "./audit/loadTskp.ts"
export {
  makeTskpClassifier,
  checkTskpCode,
  codeStem,
  defaultTskpMinMatchLength,
  type TskpClassifier,
  type TskpItem,
  type TskpCodeCheck
} from "./audit/TskpClassifier.ts"
export { builtinExperts } from "./audit/builtinExperts.ts"
export { costExpert } from "./audit/costExpert.ts"
export { standardsExpert } from "./audit/standardsExpert.ts"
export { concreteExpert } from "./audit/concreteExpert.ts"
export { validatorExpert } from "./audit/validatorExpert.ts"
export { structuralExpert } from "./audit/structuralExpert.ts"
export {
  strengthClasses,
  lightweightStrengthClasses,
  exposureClasses,
  isValidStrengthClass,
  isValidExposureClass
} from "./audit/concreteClasses.ts"
// Import and export: KROS UNIXML, KROS and other XLSX layouts, CSV.
export * from "./contracts/ImportError.ts"
export * from "./contracts/ImportProblem.ts"
export * from "./contracts/ParsedBudget.ts"
export { parseBudget, type ParseBudgetOptions } from "./import/parseBudget.ts"
export { detectFormat } from "./import/detectFormat.ts"
export { defaultImportLimits, type ImportLimits } from "./import/ImportLimits.ts"
export { exportBudget, type ExportFormat } from "./export/exportBudget.ts"
export type { ExportableBudget } from "./export/groupBudget.ts"
