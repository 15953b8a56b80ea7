// The part of papaparse's API the CSV importer and exporter use. @types/papaparse is not used because it pulls
// Node's typings into core, which must compile without them.
declare module "papaparse" {
  export interface ParseError {
    readonly type: string
    readonly code: string
    readonly message: string
    readonly row?: number
  }
  export interface ParseResult {
    readonly data: Array<Array<string>>
    readonly errors: Array<ParseError>
    readonly meta: { readonly delimiter: string; readonly linebreak: string }
  }
  export interface ParseConfig {
    readonly delimiter?: string
    readonly newline?: string
    readonly quoteChar?: string
    readonly skipEmptyLines?: boolean | "greedy"
    readonly preview?: number
  }
  export interface UnparseConfig {
    readonly delimiter?: string
    readonly newline?: string
    readonly quotes?: boolean
    readonly header?: boolean
  }
  const Papa: {
    parse(input: string, config?: ParseConfig): ParseResult
    unparse(data: ReadonlyArray<ReadonlyArray<string>>, config?: UnparseConfig): string
  }
  export default Papa
}
