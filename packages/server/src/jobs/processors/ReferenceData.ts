// The reference data enrichment and audit consult: the TSKP classifier (an XML file, read once per process) and the
// catalogue items with their reference prices (catalog_items). The TSKP file is optional: without it, TSKP checks
// and descriptions are skipped with one logged warning.
import { readFile } from "node:fs/promises"
import { resolve } from "node:path"
import { acceptUnit, type DecimalString, loadTskp, type ReferencePriceBand, type TskpClassifier } from "@costline/core"
import { Config, Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"

export interface CatalogItem {
  readonly catalog: string
  readonly code: string
  readonly description: string
  /** Normalised and accepted by core's unit rules, or "" when the catalogue's unit is not one. */
  readonly unit: string
  /** Null when the item has no price (a classifier such as TSKP). */
  readonly band: ReferencePriceBand | null
}

/** `TSKP_PATH`, else `<COSTLINE_FIXTURES_DIR or ../shared/data>/catalog/tskp-tridnik.xml` (relative to the cwd). */
export const tskpPathConfig: Config.Config<string> = Config.all({
  explicit: Config.withDefault(Config.String("TSKP_PATH"), ""),
  fixtures: Config.withDefault(Config.String("COSTLINE_FIXTURES_DIR"), "")
}).pipe(
  Config.map(({ explicit, fixtures }) =>
    resolve(explicit !== "" ? explicit : `${fixtures !== "" ? fixtures : "../shared/data"}/catalog/tskp-tridnik.xml`)
  )
)

interface CatalogRow {
  readonly catalog: string
  readonly code: string
  readonly description: string
  readonly unit: string
  readonly low: string | null
  readonly ref: string | null
  readonly high: string | null
}

// numeric arrives as its text; trailing zeros are kept, which DecimalString accepts.
const bandOf = (row: CatalogRow): ReferencePriceBand | null => {
  const low = row.low ?? row.ref
  const high = row.high ?? row.ref
  return low === null || high === null ? null : { low: low as DecimalString, high: high as DecimalString }
}

/** Codes are looked up in batches; PostgreSQL takes at most 65,535 parameters per statement. */
const CODE_BATCH = 10_000

export class ReferenceData extends Context.Service<
  ReferenceData,
  {
    /** The TSKP classifier, loaded on first use; None when its file is absent or unreadable. */
    readonly tskp: Effect.Effect<Option.Option<TskpClassifier>>
    /**
     * The catalogue item for each of `codes` that has one (by exact code). When several catalogues hold a code, the one
     * with a price wins, then the catalogue name in order, so the choice is deterministic.
     */
    readonly catalogItems: (codes: Iterable<string>) => Effect.Effect<ReadonlyMap<string, CatalogItem>, SqlError>
  }
>()("@costline/server/ReferenceData") {
  static readonly layerWith = (options: {
    readonly tskpPath: string
  }): Layer.Layer<ReferenceData, never, SqlClient.SqlClient> =>
    Layer.effect(
      ReferenceData,
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        const path = options.tskpPath

        const load = Effect.tryPromise({
          try: () => readFile(path),
          // readFile rejects only with Node's errno errors (ENOENT, EACCES…).
          catch: (cause) => cause as NodeJS.ErrnoException
        }).pipe(
          Effect.flatMap((buffer) => loadTskp(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))),
          Effect.map(Option.some),
          Effect.tap((classifier) =>
            Effect.logInfo(`TSKP classifier loaded from ${path} (${Option.getOrThrow(classifier).size} classes)`)
          ),
          Effect.catch((error) =>
            Effect.logWarning(
              "code" in error && error.code === "ENOENT"
                ? `TSKP classifier not found at ${path}: enrichment and audit skip TSKP (set TSKP_PATH)`
                : `TSKP classifier at ${path} could not be read, enrichment and audit skip TSKP: ${error.message}`
            ).pipe(Effect.as(Option.none<TskpClassifier>()))
          )
        )
        const tskp = yield* Effect.cached(load)

        const catalogItems = Effect.fn("ReferenceData.catalogItems")(function* (codes: Iterable<string>) {
          const wanted = [...new Set([...codes].filter((code) => code.trim() !== ""))]
          const items = new Map<string, CatalogItem>()
          for (let start = 0; start < wanted.length; start += CODE_BATCH) {
            const rows = yield* sql<CatalogRow>`
              SELECT catalog, code, description, unit, unit_price_low::text AS low, unit_price_ref::text AS ref,
                unit_price_high::text AS high
              FROM catalog_items WHERE code IN ${sql.in(wanted.slice(start, start + CODE_BATCH))}
              ORDER BY code, (unit_price_ref IS NULL AND unit_price_low IS NULL AND unit_price_high IS NULL), catalog`
            for (const row of rows) {
              if (items.has(row.code)) continue
              items.set(row.code, {
                catalog: row.catalog,
                code: row.code,
                description: row.description,
                unit: acceptUnit(row.unit) ?? "",
                band: bandOf(row)
              })
            }
          }
          return items as ReadonlyMap<string, CatalogItem>
        })

        return ReferenceData.of({ tskp, catalogItems })
      })
    )

  /** The TSKP path from the environment (see tskpPathConfig). */
  static readonly layer: Layer.Layer<ReferenceData, never, SqlClient.SqlClient> = Layer.unwrap(
    Effect.map(Effect.orDie(tskpPathConfig), (tskpPath) => ReferenceData.layerWith({ tskpPath }))
  )
}
