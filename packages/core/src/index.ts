// @costline/core: the pure domain of Costline and the contracts every other package shares.

export type { AuditContext, ReferencePriceBand } from "./audit/AuditContext.ts"
export { type AuditOptions, type AuditResult, auditPositions, type ExpertFailure } from "./audit/auditPositions.ts"
export { builtinExperts } from "./audit/builtinExperts.ts"
export {
  exposureClasses,
  isValidExposureClass,
  isValidStrengthClass,
  lightweightStrengthClasses,
  strengthClasses
} from "./audit/concreteClasses.ts"
export { concreteExpert } from "./audit/concreteExpert.ts"
export { costExpert } from "./audit/costExpert.ts"
export { defaultAuditPolicy, makeAuditPolicy } from "./audit/defaultAuditPolicy.ts"
export { type ConflictReport, conflictLevels, detectConflicts } from "./audit/detectConflicts.ts"
export { type Expert, ExpertError, makeRuleExpert } from "./audit/Expert.ts"
export { type EffectiveStatus, effectiveStatus, latestOverride } from "./audit/effectiveStatus.ts"
export { loadTskp, TskpParseError } from "./audit/loadTskp.ts"
export { isStale, positionFingerprint } from "./audit/positionFingerprint.ts"
export { type ResolveOptions, resolveAudit, resolvePosition } from "./audit/resolveAudit.ts"
export { standardsExpert } from "./audit/standardsExpert.ts"
export { structuralExpert } from "./audit/structuralExpert.ts"
export {
  checkTskpCode,
  codeStem,
  defaultTskpMinMatchLength,
  makeTskpClassifier,
  type TskpClassifier,
  type TskpCodeCheck,
  type TskpItem
} from "./audit/TskpClassifier.ts"
export { validatorExpert } from "./audit/validatorExpert.ts"
export { type ApplyChangesResult, applyChanges, applyChangesResult } from "./budget/applyChanges.ts"
export * as Money from "./budget/Money.ts"
export { changeSummaryOf, makeBudgetVersion } from "./budget/makeBudgetVersion.ts"
export { computeTotal, makePricer, type Pricer } from "./budget/Pricer.ts"
export { compareNatural, comparePlaces, comparePositions } from "./budget/positionOrder.ts"
export { summarizeBudget } from "./budget/summarizeBudget.ts"
export { acceptedUnits, acceptUnit, normalizeUnit, unitKey } from "./budget/units.ts"
export * from "./contracts/ApiErrors.ts"
// Audit: experts, conflicts, resolution, overrides.
export * from "./contracts/AuditPolicy.ts"
export * from "./contracts/AuditResolution.ts"
export * from "./contracts/Authentication.ts"
// Budgets: exact money, versions and change sets.
export * from "./contracts/BudgetDiff.ts"
export * from "./contracts/BudgetSettings.ts"
export * from "./contracts/BudgetVersion.ts"
export * from "./contracts/Change.ts"
export * from "./contracts/ChangeError.ts"
export * from "./contracts/Decimal.ts"
export * from "./contracts/Document.ts"
export * from "./contracts/DocumentsApi.ts"
export * from "./contracts/ExpertOpinion.ts"
export * from "./contracts/HttpApi.ts"
export * from "./contracts/HumanOverride.ts"
export * from "./contracts/Ids.ts"
// Import and export: KROS UNIXML, KROS and other XLSX layouts, CSV.
export * from "./contracts/ImportError.ts"
export * from "./contracts/ImportProblem.ts"
export * from "./contracts/Job.ts"
export * from "./contracts/JobPayloads.ts"
export * from "./contracts/ParsedBudget.ts"
export * from "./contracts/PipelineApi.ts"
export * from "./contracts/Position.ts"
export * from "./contracts/Project.ts"
export * from "./contracts/ProjectEvent.ts"
export * from "./contracts/Rounding.ts"
export * from "./contracts/Rpcs.ts"
export * from "./contracts/User.ts"
export { changesFromDiff, patchFromFieldChanges } from "./diff/changesFromDiff.ts"
// Semantic diff between versions.
export { type DiffOptions, diffByKey, diffFromMatching, diffVersions } from "./diff/diffVersions.ts"
export { diffFields } from "./diff/fieldChanges.ts"
export { FUZZY_MAX_PAIRS_PER_BLOCK, FUZZY_THRESHOLD } from "./diff/matchPositions.ts"
export { normalizeDescription } from "./diff/normalizeDescription.ts"
export { type ExportFormat, exportBudget } from "./export/exportBudget.ts"
export type { ExportableBudget } from "./export/groupBudget.ts"
export { detectFormat } from "./import/detectFormat.ts"
export { defaultImportLimits, type ImportLimits } from "./import/ImportLimits.ts"
export { type ParseBudgetOptions, parseBudget } from "./import/parseBudget.ts"
export { evaluateTakeoff } from "./import/takeoffExpression.ts"
