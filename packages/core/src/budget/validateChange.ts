// Field checks for change sets: each returns the cleaned value or a ChangeError that says what to fix.
import type { ChangeTag } from "../contracts/Change.ts"
import { ChangeError, type ChangeErrorReason } from "../contracts/ChangeError.ts"
import type { Position, TakeoffLine } from "../contracts/Position.ts"
import * as Money from "./Money.ts"
import { acceptedUnits, acceptUnit } from "./units.ts"

/** Which change a check is about, for the error. */
export interface ChangeContext {
  readonly changeIndex: number
  readonly changeTag: ChangeTag
  readonly positionKey: string | null
}

const describe = (ctx: ChangeContext): string =>
  `Change #${ctx.changeIndex} (${ctx.changeTag}${ctx.positionKey === null ? "" : ` of position "${ctx.positionKey}"`})`

export const changeError = (
  ctx: ChangeContext,
  field: string,
  reason: ChangeErrorReason,
  problem: string
): ChangeError =>
  new ChangeError({
    changeIndex: ctx.changeIndex,
    changeTag: ctx.changeTag,
    positionKey: ctx.positionKey,
    field,
    reason,
    message: `${describe(ctx)}: ${problem}`
  })

export const unknownPosition = (ctx: ChangeContext, key: string): ChangeError =>
  changeError(
    ctx,
    "positionKey",
    "unknown_position",
    `no position has the key "${key}". Use a key of the current version (a position removed earlier in the same ` +
      "change set no longer exists), or add the position first."
  )

export const duplicateKey = (ctx: ChangeContext, field: string, key: string): ChangeError =>
  changeError(
    ctx,
    field,
    "duplicate_key",
    `a position with the key "${key}" already exists. Give the new position a key no other position has, or use ` +
      "UpdatePosition to change the existing one."
  )

export const checkKey = (ctx: ChangeContext, field: string, key: string): ChangeError | undefined =>
  key.trim() === ""
    ? changeError(ctx, field, "empty_key", "the positionKey is empty. Give every position a unique, non-empty key.")
    : undefined

export const checkNumber = (ctx: ChangeContext, field: string, value: string): Money.Money | ChangeError => {
  const parsed = Money.parse(value)
  if (parsed !== undefined) return parsed
  const hint = /^-?\d+,\d+$/.test(value) ? ` A decimal comma is not accepted: write "${value.replace(",", ".")}".` : ""
  return changeError(
    ctx,
    field,
    "not_a_number",
    `${field} ${JSON.stringify(value)} is not a number. Write a decimal with a point and no spaces or units, ` +
      `e.g. "1234.50".${hint}`
  )
}

export const checkQuantity = (ctx: ChangeContext, field: string, value: string): Money.Money | ChangeError => {
  const parsed = checkNumber(ctx, field, value)
  if (parsed instanceof ChangeError || !Money.isNegative(parsed)) return parsed
  return changeError(
    ctx,
    field,
    "negative_quantity",
    `the quantity ${value} is negative. Quantities are zero or more; to deduct work or material, give a separate ` +
      "position a negative unit price, or lower or remove the original position."
  )
}

/** The normalised unit ("M²" → "m2") or an error listing the accepted ones. */
export const checkUnit = (ctx: ChangeContext, field: string, value: string): string | ChangeError =>
  acceptUnit(value) ??
  changeError(
    ctx,
    field,
    "unknown_unit",
    `the unit ${JSON.stringify(value)} is not a known budget unit. Use one of: ${acceptedUnits.join(", ")} ` +
      '(case and exponent style do not matter: "M²" is read as "m2").'
  )

export const checkDescription = (ctx: ChangeContext, field: string, value: string): ChangeError | undefined =>
  value.trim() === ""
    ? changeError(ctx, field, "empty_description", "the description is empty. Say what work or material it prices.")
    : undefined

export const checkTakeoff = (
  ctx: ChangeContext,
  field: string,
  lines: ReadonlyArray<TakeoffLine>
): ChangeError | undefined => {
  for (let i = 0; i < lines.length; i++) {
    const quantity = lines[i]!.quantity
    if (quantity === null) continue
    const checked = checkNumber(ctx, `${field}[${i}].quantity`, quantity)
    if (checked instanceof ChangeError) return checked
  }
  return undefined
}

/**
 * Checks a whole position an AddPosition brings: key, description, unit, quantity, unit price, take-off. Returns it
 * with the unit normalised (quantity, price and total are repriced by the caller).
 */
export const checkNewPosition = (ctx: ChangeContext, prefix: string, position: Position): Position | ChangeError => {
  const keyError = checkKey(ctx, `${prefix}.positionKey`, position.positionKey)
  if (keyError !== undefined) return keyError
  const descriptionError = checkDescription(ctx, `${prefix}.description`, position.description)
  if (descriptionError !== undefined) return descriptionError
  const unit = checkUnit(ctx, `${prefix}.unit`, position.unit)
  if (unit instanceof ChangeError) return unit
  const quantity = checkQuantity(ctx, `${prefix}.quantity`, position.quantity)
  if (quantity instanceof ChangeError) return quantity
  const unitPrice = checkNumber(ctx, `${prefix}.unitPrice`, position.unitPrice)
  if (unitPrice instanceof ChangeError) return unitPrice
  const takeoffError = checkTakeoff(ctx, `${prefix}.takeoff`, position.takeoff)
  if (takeoffError !== undefined) return takeoffError
  return unit === position.unit ? position : { ...position, unit }
}
