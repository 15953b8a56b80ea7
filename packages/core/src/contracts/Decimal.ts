// Exact decimal numbers on the wire: a plain decimal string ("-12.500"), never a JS float.
import { Schema } from "effect"

/** A decimal number written as a string: optional minus, digits, optional fraction with a point. */
export const DecimalString = Schema.String.check(
  Schema.isPattern(/^-?\d{1,30}(\.\d{1,12})?$/, {
    message: 'expected a decimal number as a string with a point, e.g. "1234.50"'
  })
).pipe(Schema.brand("DecimalString"))
export type DecimalString = typeof DecimalString.Type
