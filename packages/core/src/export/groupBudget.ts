// The shape every exporter writes: objects in document order, each with its sections (parents before children) and
// the positions of each section, plus the budget's identity and settings.
import * as Money from "../budget/Money.ts"
import type { BudgetSettings } from "../contracts/BudgetSettings.ts"
import type { BudgetObject, BudgetSection } from "../contracts/ParsedBudget.ts"
import type { Position } from "../contracts/Position.ts"
import { canonical } from "../import/decimalText.ts"

/** What can be exported: a ParsedBudget, or just settings and positions (with optional identity and objects). */
export interface ExportableBudget {
  readonly settings: BudgetSettings
  readonly positions: ReadonlyArray<Position>
  readonly meta?: { readonly code?: string; readonly name?: string; readonly date?: string | null }
  readonly objects?: ReadonlyArray<Pick<BudgetObject, "code" | "name" | "sections">>
}

export interface SectionGroup extends BudgetSection {
  readonly positions: Array<Position>
}

export interface ObjectGroup {
  readonly code: string
  readonly name: string
  /** The object's own positions without a section come first, under code "". */
  readonly sections: Array<SectionGroup>
  readonly total: string
}

export interface GroupedBudget {
  readonly code: string
  readonly name: string
  readonly date: string | null
  readonly settings: BudgetSettings
  readonly objects: Array<ObjectGroup>
}

export const groupBudget = (budget: ExportableBudget): GroupedBudget => {
  const objects = new Map<string, { name: string; sections: Map<string, SectionGroup>; total: Money.Money }>()
  const objectOf = (code: string, name: string) => {
    let o = objects.get(code)
    if (o === undefined) {
      o = {
        name,
        sections: new Map([["", { code: "", name: "", parentCode: null, positions: [] }]]),
        total: Money.zero
      }
      objects.set(code, o)
    }
    return o
  }
  for (const object of budget.objects ?? []) {
    const o = objectOf(object.code, object.name)
    for (const s of object.sections) if (!o.sections.has(s.code)) o.sections.set(s.code, { ...s, positions: [] })
  }
  for (const p of budget.positions) {
    const o = objectOf(p.objectCode, p.objectName)
    if (o.name === "") o.name = p.objectName
    let s = o.sections.get(p.sectionCode)
    if (s === undefined) {
      s = { code: p.sectionCode, name: "", parentCode: null, positions: [] }
      o.sections.set(p.sectionCode, s)
    }
    s.positions.push(p)
    o.total = Money.add(o.total, Money.parseUnsafe(p.total))
  }
  return {
    code: budget.meta?.code ?? "",
    name: budget.meta?.name ?? "",
    date: budget.meta?.date ?? null,
    settings: budget.settings,
    objects: [...objects].map(([code, o]) => ({
      code,
      name: o.name,
      sections: [...o.sections.values()].filter((s) => s.code !== "" || s.positions.length > 0),
      total: canonical(o.total, 2)
    }))
  }
}

/** Sum of the totals of a section's own positions and of its descendants' (a parent cycle is cut). */
export const sectionTotal = (object: ObjectGroup, code: string): string => {
  const visited = new Set<string>()
  const sum = (s: SectionGroup): Money.Money => {
    visited.add(s.code)
    let total = s.positions.reduce((acc, p) => Money.add(acc, Money.parseUnsafe(p.total)), Money.zero)
    for (const child of object.sections)
      if (child.parentCode === s.code && !visited.has(child.code)) total = Money.add(total, sum(child))
    return total
  }
  const section = object.sections.find((s) => s.code === code)
  return canonical(section === undefined ? Money.zero : sum(section), 2)
}
