// Collects what an importer reads (objects, sections, positions, take-off lines, notes, problems, row counts) and
// turns it into a ParsedBudget: totals, canonical decimals and unique, deterministic position keys.
import * as Money from "../budget/Money.ts"
import type { BudgetSettings } from "../contracts/BudgetSettings.ts"
import { DecimalString } from "../contracts/Decimal.ts"
import type { ImportProblem, ImportProblemKind, ProblemLocation } from "../contracts/ImportProblem.ts"
import type { BudgetMeta, BudgetObject, BudgetSection, ParsedBudget, RowAccounting } from "../contracts/ParsedBudget.ts"
import type { Position, PositionKind, TakeoffLine } from "../contracts/Position.ts"
import { canonical } from "./decimalText.ts"

export interface PositionDraft {
  readonly objectCode: string
  readonly sectionCode: string
  readonly number: string
  readonly code: string
  readonly catalog: string
  readonly description: string
  readonly unit: string
  readonly quantity: Money.Money | null
  readonly unitPrice: Money.Money | null
  /** The total the file states; null to compute quantity × unit price with the budget's rounding. */
  readonly total: Money.Money | null
  readonly kind: PositionKind
  readonly location: ProblemLocation
}

interface DraftEntry {
  readonly draft: PositionDraft
  /** Amounts set after the position was added (setAmounts); the draft's own otherwise. */
  amounts: {
    readonly quantity: Money.Money | null
    readonly unitPrice: Money.Money | null
    readonly total: Money.Money | null
  } | null
  readonly takeoff: Array<TakeoffLine>
  readonly notes: Array<string>
}

interface ObjectEntry {
  readonly code: string
  name: string
  declaredTotal: Money.Money | null
  readonly sections: Map<string, BudgetSection>
}

interface ProblemEntry {
  readonly problem: Omit<ImportProblem, "positionKey">
  readonly position: number | null
}

/**
 * The canonical text of a value as a DecimalString. canonical() never writes more than 12 fraction digits, so only
 * the integer digits (at most 30) need checking; the Schema check runs only for a value that fails it, to report it.
 */
const decimalString = (value: Money.Money, minScale = 0): DecimalString => {
  const text = canonical(value, minScale)
  const dot = text.indexOf(".")
  const integerDigits = (dot < 0 ? text.length : dot) - (text.startsWith("-") ? 1 : 0)
  // Checked just above: the pattern's only other constraints hold for every canonical() output.
  return integerDigits <= 30 ? (text as DecimalString) : DecimalString.make(text)
}

/** Fraction digits always shown, so the same value reads the same whatever file it came from. */
export const DISPLAY_SCALE = { quantity: 3, unitPrice: 2, total: 2 } as const

export const location = (where: Partial<ProblemLocation>): ProblemLocation => ({
  sheet: where.sheet ?? null,
  row: where.row ?? null,
  column: where.column ?? null,
  path: where.path ?? null
})

const KEY_MAX = 200

/** FNV-1a, to shorten over-long keys deterministically. */
const hash = (s: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193) >>> 0
  }
  return h.toString(36)
}

/**
 * positionKey = "<object code>/<section code>/<PČ>" (the catalogue code stands in for a missing PČ, the row ordinal
 * for a missing code). KROS numbers positions uniquely per object and every format carries object, section and PČ,
 * so the same budget gets the same keys from UNIXML, XLSX and CSV. Repeats get "~2", "~3"… in document order.
 */
const assignKeys = (drafts: ReadonlyArray<DraftEntry>): Array<string> => {
  const seen = new Map<string, number>()
  return drafts.map(({ draft }, index) => {
    const id = draft.number !== "" ? draft.number : draft.code !== "" ? `code:${draft.code}` : `row:${index + 1}`
    let base = `${draft.objectCode}/${draft.sectionCode}/${id}`
    if (base.length > KEY_MAX - 12) base = `${base.slice(0, KEY_MAX - 24)}…${hash(base)}`
    const n = (seen.get(base) ?? 0) + 1
    seen.set(base, n)
    return n === 1 ? base : `${base}~${n}`
  })
}

export class BudgetBuilder {
  settings: BudgetSettings
  readonly rows: { -readonly [K in keyof RowAccounting]: number } = {
    rows: 0,
    positions: 0,
    sections: 0,
    takeoff: 0,
    notes: 0,
    summaries: 0,
    objectRows: 0,
    problemRows: 0
  }
  private readonly objects = new Map<string, ObjectEntry>()
  private readonly drafts: Array<DraftEntry> = []
  private readonly problems: Array<ProblemEntry> = []

  constructor(settings: BudgetSettings) {
    this.settings = settings
  }

  object(code: string, name: string): void {
    const existing = this.objects.get(code)
    if (existing === undefined) this.objects.set(code, { code, name, declaredTotal: null, sections: new Map() })
    else if (existing.name === "") existing.name = name
  }

  declaredTotal(objectCode: string, total: Money.Money): void {
    this.object(objectCode, "")
    const entry = this.objects.get(objectCode)!
    entry.declaredTotal ??= total
  }

  section(objectCode: string, code: string, name: string, parentCode: string | null): void {
    this.object(objectCode, "")
    const sections = this.objects.get(objectCode)!.sections
    if (!sections.has(code)) sections.set(code, { code, name, parentCode })
  }

  /** Adds a position; returns its index for take-off lines, notes and problems. */
  position(draft: PositionDraft): number {
    this.object(draft.objectCode, "")
    this.drafts.push({ draft, amounts: null, takeoff: [], notes: [] })
    return this.drafts.length - 1
  }

  /** Sets amounts read after the position was added (so problems about them can point at it). */
  setAmounts(
    position: number,
    quantity: Money.Money | null,
    unitPrice: Money.Money | null,
    total: Money.Money | null = null
  ): void {
    this.drafts[position]!.amounts = { quantity, unitPrice, total }
  }

  /** Adds a quantity take-off line; a line with neither text nor value (KROS writes blank ones) carries nothing. */
  takeoff(position: number, text: string, quantity: Money.Money | null): void {
    if (text === "" && quantity === null) return
    this.drafts[position]!.takeoff.push({
      text,
      quantity: quantity === null ? null : decimalString(quantity)
    })
  }

  note(position: number, text: string): void {
    if (text !== "") this.drafts[position]!.notes.push(text)
  }

  problem(
    kind: ImportProblemKind,
    message: string,
    where: ProblemLocation,
    value = "",
    position: number | null = null,
    severity: "error" | "warning" = "warning"
  ): void {
    this.problems.push({ problem: { kind, severity, message, location: where, value }, position })
  }

  build(meta: Omit<BudgetMeta, "rows" | "currency">): ParsedBudget {
    const keys = assignKeys(this.drafts)
    const step = Money.parseUnsafe(this.settings.rounding.total)
    const totals = new Map<string, Money.Money>()
    const counts = new Map<string, number>()
    const positions: Array<Position> = this.drafts.map((entry, index) => {
      const d = entry.draft
      const { quantity, unitPrice, total: stated } = entry.amounts ?? d
      const computed = Money.roundToStep(Money.multiply(quantity ?? Money.zero, unitPrice ?? Money.zero), step)
      const total = stated ?? computed
      if (stated !== null && Money.compare(stated, computed) !== 0)
        this.problem(
          "total-mismatch",
          `The stated total ${canonical(stated, 2)} differs from quantity × unit price = ${canonical(computed, 2)}; the stated total is kept.`,
          d.location,
          canonical(stated),
          index
        )
      totals.set(d.objectCode, Money.add(totals.get(d.objectCode) ?? Money.zero, total))
      counts.set(d.objectCode, (counts.get(d.objectCode) ?? 0) + 1)
      return {
        positionKey: keys[index]!,
        objectCode: d.objectCode,
        objectName: this.objects.get(d.objectCode)?.name ?? "",
        sectionCode: d.sectionCode,
        number: d.number,
        code: d.code,
        catalog: d.catalog,
        description: d.description,
        unit: d.unit,
        quantity: decimalString(quantity ?? Money.zero, DISPLAY_SCALE.quantity),
        unitPrice: decimalString(unitPrice ?? Money.zero, DISPLAY_SCALE.unitPrice),
        total: decimalString(total, DISPLAY_SCALE.total),
        takeoff: entry.takeoff,
        note: entry.notes.join("\n"),
        kind: d.kind,
        source: "uploaded",
        status: "unaudited",
        confidence: null
      }
    })
    const objects: Array<BudgetObject> = [...this.objects.values()].map((o) => ({
      code: o.code,
      name: o.name,
      total: decimalString(totals.get(o.code) ?? Money.zero, DISPLAY_SCALE.total),
      declaredTotal: o.declaredTotal === null ? null : decimalString(o.declaredTotal, DISPLAY_SCALE.total),
      positionCount: counts.get(o.code) ?? 0,
      sections: [...o.sections.values()]
    }))
    return {
      meta: { ...meta, currency: this.settings.currency, rows: { ...this.rows } },
      settings: this.settings,
      objects,
      positions,
      problems: this.problems.map(({ problem, position }) => ({
        ...problem,
        positionKey: position === null ? null : (keys[position] ?? null)
      }))
    }
  }
}
