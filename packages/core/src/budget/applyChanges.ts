// Applies a change set to a budget head: validates every change in order, then returns the next head, its diff against
// the old one and its totals — or the first ChangeError, with nothing applied. Pure; the caller persists the result.
import { Effect, Result } from "effect"
import type { BudgetDiff } from "../contracts/BudgetDiff.ts"
import type { BudgetHead, BudgetTotals } from "../contracts/BudgetVersion.ts"
import type { Change } from "../contracts/Change.ts"
import { ChangeError } from "../contracts/ChangeError.ts"
import type { Position } from "../contracts/Position.ts"
import { diffByKey, diffFromMatching } from "../diff/diffVersions.ts"
import type { MatchedPair, Matching } from "../diff/matchPositions.ts"
import * as Money from "./Money.ts"
import { makePricer, type Pricer } from "./Pricer.ts"
import { summarizeBudget } from "./summarizeBudget.ts"
import * as Check from "./validateChange.ts"

export interface ApplyChangesResult {
  /** version + 1, same settings, the changed positions. */
  readonly head: BudgetHead
  /** What the change set did, matched by key (keys are the identity inside a change set). */
  readonly diff: BudgetDiff
  /** Totals overall, per object and per section of the new head. */
  readonly totals: BudgetTotals
}

/**
 * Applies `changes` in order; each sees the result of the ones before it (add then update the same key is fine,
 * remove then update is not). Every position a change touches (except RestoreVersion) leaves with its unit
 * normalised, quantity and unit price rounded to their steps and total = round(quantity × unit price). RestoreVersion
 * puts the given positions back verbatim (checking only keys and numbers), so an older version comes back exactly.
 * Position order: untouched and updated positions keep their place, added ones are appended.
 */
export const applyChanges = (
  head: BudgetHead,
  changes: ReadonlyArray<Change>
): Effect.Effect<ApplyChangesResult, ChangeError> =>
  Effect.suspend(() => Effect.fromResult(applyChangesResult(head, changes)))

/** `applyChanges` as a plain function returning a Result, for callers outside Effect. */
export const applyChangesResult = (
  head: BudgetHead,
  changes: ReadonlyArray<Change>
): Result.Result<ApplyChangesResult, ChangeError> => {
  const work = new Working(head.positions, makePricer(head.settings.rounding))
  for (let i = 0; i < changes.length; i++) {
    const error = work.apply(i, changes[i]!)
    if (error !== undefined) return Result.fail(error)
  }
  const positions = work.result()
  const rounding = head.settings.rounding
  const options = { minScale: Money.scaleOf(rounding.total) }
  return Result.succeed({
    head: { version: head.version + 1, settings: head.settings, positions },
    diff: work.restored
      ? diffByKey(head.positions, positions, options)
      : diffFromMatching(work.touchedMatching(), {
          ...options,
          untouched: head.positions.length - work.touchedBefore()
        }),
    totals: summarizeBudget(positions, rounding)
  })
}

/**
 * The positions while a change set is applied: a slot array (removed = undefined) plus a key → slot index. It also
 * remembers each touched key's position as it was in the head, so the diff only looks at what the changes touched.
 */
class Working {
  private slots: Array<Position | undefined>
  private index = new Map<string, number>()
  private objectNames: Map<string, string> | undefined
  private readonly pricer: Pricer
  /** Touched keys → their position in the head (undefined when the head had none). */
  private readonly originals = new Map<string, Position | undefined>()
  /** After a RestoreVersion every position may have changed: the diff compares everything. */
  restored = false

  constructor(positions: ReadonlyArray<Position>, pricer: Pricer) {
    this.pricer = pricer
    this.slots = [...positions]
    this.reindex()
  }

  result(): Array<Position> {
    return this.slots.filter((p): p is Position => p !== undefined)
  }

  /** Touched keys matched by key: head position vs current position. Valid only when nothing was restored. */
  touchedMatching(): Matching {
    const pairs: Array<MatchedPair> = []
    const removed: Array<Position> = []
    const added: Array<Position> = []
    for (const [key, before] of this.originals) {
      const slot = this.index.get(key)
      const after = slot === undefined ? undefined : this.slots[slot]
      if (before !== undefined && after !== undefined) pairs.push({ before, after, stage: "key", similarity: null })
      else if (before !== undefined) removed.push(before)
      else if (after !== undefined) added.push(after)
    }
    return { pairs, removed, added }
  }

  /** How many head positions a change touched. */
  touchedBefore(): number {
    let count = 0
    for (const before of this.originals.values()) if (before !== undefined) count++
    return count
  }

  /** Records the head's version of `key` before its first change. */
  private touch(key: string): void {
    if (this.restored || this.originals.has(key)) return
    const slot = this.index.get(key)
    this.originals.set(key, slot === undefined ? undefined : this.slots[slot])
  }

  apply(changeIndex: number, change: Change): ChangeError | undefined {
    const ctx: Check.ChangeContext = {
      changeIndex,
      changeTag: change._tag,
      positionKey: change._tag === "RestoreVersion" ? null : this.keyOf(change)
    }
    switch (change._tag) {
      case "AddPosition":
        return this.add(ctx, change.position)
      case "RestoreVersion":
        return this.restore(ctx, change.positions)
      case "RemovePosition": {
        const slot = this.index.get(change.positionKey)
        if (slot === undefined) return Check.unknownPosition(ctx, change.positionKey)
        this.touch(change.positionKey)
        this.slots[slot] = undefined
        this.index.delete(change.positionKey)
        return undefined
      }
      default:
        return this.edit(ctx, change)
    }
  }

  private keyOf(change: Exclude<Change, { readonly _tag: "RestoreVersion" }>): string {
    return change._tag === "AddPosition" ? change.position.positionKey : change.positionKey
  }

  private reindex(): void {
    this.index = new Map()
    this.slots.forEach((position, slot) => {
      if (position !== undefined && !this.index.has(position.positionKey)) this.index.set(position.positionKey, slot)
    })
    this.objectNames = undefined
  }

  private add(ctx: Check.ChangeContext, position: Position): ChangeError | undefined {
    const checked = Check.checkNewPosition(ctx, "position", position)
    if (checked instanceof ChangeError) return checked
    if (this.index.has(checked.positionKey)) return Check.duplicateKey(ctx, "position.positionKey", checked.positionKey)
    this.touch(checked.positionKey)
    this.index.set(checked.positionKey, this.slots.length)
    this.slots.push(this.pricer.reprice(checked))
    this.rememberName(checked)
    return undefined
  }

  private restore(ctx: Check.ChangeContext, positions: ReadonlyArray<Position>): ChangeError | undefined {
    const seen = new Set<string>()
    for (let i = 0; i < positions.length; i++) {
      const position = positions[i]!
      const prefix = `positions[${i}]`
      const keyError = Check.checkKey(ctx, `${prefix}.positionKey`, position.positionKey)
      if (keyError !== undefined) return keyError
      if (seen.has(position.positionKey)) return Check.duplicateKey(ctx, `${prefix}.positionKey`, position.positionKey)
      seen.add(position.positionKey)
      for (const field of ["quantity", "unitPrice", "total"] as const) {
        const checked = Check.checkNumber(ctx, `${prefix}.${field}`, position[field])
        if (checked instanceof ChangeError) return checked
      }
    }
    this.slots = [...positions]
    this.reindex()
    this.restored = true
    return undefined
  }

  /** UpdatePosition, MovePosition and SetUnitPriceFromCatalog: change one existing position, then reprice it. */
  private edit(
    ctx: Check.ChangeContext,
    change: Extract<Change, { readonly _tag: "UpdatePosition" | "MovePosition" | "SetUnitPriceFromCatalog" }>
  ): ChangeError | undefined {
    const slot = this.index.get(change.positionKey)
    if (slot === undefined) return Check.unknownPosition(ctx, change.positionKey)
    const current = this.slots[slot]!
    let next: Position | ChangeError
    switch (change._tag) {
      case "UpdatePosition":
        next = this.update(ctx, current, change.patch)
        break
      case "MovePosition":
        next = {
          ...current,
          objectCode: change.objectCode,
          sectionCode: change.sectionCode,
          number: change.number,
          objectName:
            change.objectName ??
            (change.objectCode === current.objectCode
              ? current.objectName
              : (this.nameOf(change.objectCode) ?? current.objectName))
        }
        break
      case "SetUnitPriceFromCatalog": {
        const price = Check.checkNumber(ctx, "item.unitPrice", change.item.unitPrice)
        next =
          price instanceof ChangeError
            ? price
            : { ...current, unitPrice: change.item.unitPrice, code: change.item.code, catalog: change.item.source }
        break
      }
    }
    if (next instanceof ChangeError) return next
    this.touch(change.positionKey)
    this.slots[slot] = this.pricer.reprice(next)
    this.rememberName(next)
    return undefined
  }

  private update(
    ctx: Check.ChangeContext,
    current: Position,
    patch: Extract<Change, { readonly _tag: "UpdatePosition" }>["patch"]
  ): Position | ChangeError {
    if (patch.description !== undefined) {
      const error = Check.checkDescription(ctx, "patch.description", patch.description)
      if (error !== undefined) return error
    }
    let unit = current.unit
    if (patch.unit !== undefined) {
      const checked = Check.checkUnit(ctx, "patch.unit", patch.unit)
      if (checked instanceof ChangeError) return checked
      unit = checked
    }
    if (patch.quantity !== undefined) {
      const checked = Check.checkQuantity(ctx, "patch.quantity", patch.quantity)
      if (checked instanceof ChangeError) return checked
    }
    if (patch.unitPrice !== undefined) {
      const checked = Check.checkNumber(ctx, "patch.unitPrice", patch.unitPrice)
      if (checked instanceof ChangeError) return checked
    }
    if (patch.takeoff !== undefined) {
      const error = Check.checkTakeoff(ctx, "patch.takeoff", patch.takeoff)
      if (error !== undefined) return error
    }
    return { ...current, ...patch, unit }
  }

  /** The name positions of an object carry (first met), built on first need and kept up to date by later changes. */
  private nameOf(objectCode: string): string | undefined {
    if (this.objectNames === undefined) {
      const names = new Map<string, string>()
      for (const position of this.slots) {
        if (position !== undefined && !names.has(position.objectCode)) {
          names.set(position.objectCode, position.objectName)
        }
      }
      this.objectNames = names
    }
    return this.objectNames.get(objectCode)
  }

  private rememberName(position: Position): void {
    if (this.objectNames !== undefined && !this.objectNames.has(position.objectCode)) {
      this.objectNames.set(position.objectCode, position.objectName)
    }
  }
}
