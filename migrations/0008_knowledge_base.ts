// Reference knowledge the auditors read: the catalogue of items with reference prices, and a cache of lookups.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient

  // A cache that survives restarts (external lookups are slow or paid); expired rows are swept by expires_at.
  yield* sql`
    CREATE TABLE kb_cache (
      key text PRIMARY KEY,
      value jsonb NOT NULL,
      expires_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`
  yield* sql`CREATE INDEX kb_cache_expires_at_idx ON kb_cache (expires_at)`

  // Items of a catalogue system (TSKP, ÚRS, OTSKP). Prices are optional: a classifier such as TSKP has none.
  yield* sql`
    CREATE TABLE catalog_items (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      catalog text NOT NULL,
      code text NOT NULL,
      description text NOT NULL,
      unit text NOT NULL DEFAULT '',
      unit_price_low numeric,
      unit_price_ref numeric,
      unit_price_high numeric,
      currency text NOT NULL DEFAULT 'CZK',
      valid_from date,
      source text,
      CONSTRAINT catalog_items_catalog_code_key UNIQUE (catalog, code),
      CONSTRAINT catalog_items_price_range_check CHECK (
        (unit_price_low IS NULL OR unit_price_ref IS NULL OR unit_price_low <= unit_price_ref)
        AND (unit_price_ref IS NULL OR unit_price_high IS NULL OR unit_price_ref <= unit_price_high)
        AND (unit_price_low IS NULL OR unit_price_high IS NULL OR unit_price_low <= unit_price_high)
      )
    )`
  // Budgets name the code but not always the catalogue system, so codes are also looked up alone.
  yield* sql`CREATE INDEX catalog_items_code_idx ON catalog_items (code)`
})
