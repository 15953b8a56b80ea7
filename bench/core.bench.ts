// @costline/core at 100k positions: the semantic diff (side by side with jsondiffpatch on the same data), parseBudget
// of a generated KROS UNIXML file, and the audit with every built-in expert. Data is generated from fixed seeds;
// each measurement is the median of several runs after warm-up, printed with the machine load and the targets.
// BENCH_CORE_RUNS overrides the number of measured runs (default 7 for the diff, 5 for parse and audit).

import { existsSync, readFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { setFlagsFromString } from "node:v8"
import { runInNewContext } from "node:vm"
import { Effect } from "effect"
import * as jsondiffpatch from "jsondiffpatch"
import type { AuditContext, ReferencePriceBand } from "../packages/core/src/audit/AuditContext.ts"
import { auditPositions } from "../packages/core/src/audit/auditPositions.ts"
import { builtinExperts } from "../packages/core/src/audit/builtinExperts.ts"
import { loadTskp } from "../packages/core/src/audit/loadTskp.ts"
import type { DecimalString } from "../packages/core/src/contracts/Decimal.ts"
import type { Position } from "../packages/core/src/contracts/Position.ts"
import { diffVersions } from "../packages/core/src/diff/diffVersions.ts"
import { parseBudget } from "../packages/core/src/import/parseBudget.ts"
import { fixturesDir } from "../test/support/fixtures.ts"
import { changeVersion, generateBudget, toUnixml } from "./support/coreData.ts"
import { median } from "./support/measure.ts"

setFlagsFromString("--expose-gc")
const gc = runInNewContext("gc") as () => void

const SIZE = 100_000
const RUNS = process.env.BENCH_CORE_RUNS === undefined ? undefined : Number(process.env.BENCH_CORE_RUNS)
const MB = 1024 * 1024

const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(", ")
const ms = (n: number) => `${n.toFixed(0)} ms`
const line = (text: string) => process.stdout.write(`${text}\n`)

/** Runs `task` `warmup` times unmeasured, then `runs` times; returns every measured duration. */
const time = <A>(
  task: () => A,
  runs: number,
  warmup: number
): { readonly durations: Array<number>; readonly last: A } => {
  let last: A = task()
  for (let i = 1; i < warmup; i++) last = task()
  const durations: Array<number> = []
  for (let i = 0; i < runs; i++) {
    gc()
    const started = performance.now()
    last = task()
    durations.push(performance.now() - started)
  }
  return { durations, last }
}

/** Heap growth while `task` runs (no GC forced in between) and what it still holds after a full GC. */
const heap = <A>(task: () => A): { readonly extraMb: number; readonly retainedMb: number } => {
  gc()
  const base = process.memoryUsage().heapUsed
  const result = task()
  const peak = process.memoryUsage().heapUsed
  gc()
  const retained = process.memoryUsage().heapUsed
  // Keep the result reachable until after the last reading.
  if (result === undefined) line("")
  return { extraMb: (peak - base) / MB, retainedMb: (retained - base) / MB }
}

const summary = (name: string, durations: ReadonlyArray<number>) =>
  `${name}: median ${ms(median(durations))} (min ${ms(Math.min(...durations))}, max ${ms(Math.max(...durations))}, ${durations.length} runs)`

const verdict = (ok: boolean) => (ok ? "PASS" : "MISS")

line(`machine: ${availableParallelism()} cores, load average ${load()} (1, 5, 15 min) at start`)

// --- Diff ------------------------------------------------------------------------------------------------------
const budget = generateBudget(SIZE)
// Fresh objects on both sides, as when two versions are read from the database.
const before: ReadonlyArray<Position> = structuredClone(budget.positions)
const { after, counts } = changeVersion(budget, 0.01)
line(
  `\ndiff: ${before.length} → ${after.length} positions; changed: ${counts.modified} modified, ${counts.removed} removed, ${counts.added} added, ${counts.moved} renumbered`
)
const diffRuns = time(() => diffVersions(before, after), RUNS ?? 7, 2)
const diff = diffRuns.last
// An added position with the code and description of a removed one in the same object pairs with it (a move).
const unchanged = before.length - counts.modified - counts.removed - counts.moved
if (diff.unchangedCount !== unchanged || diff.added.length - diff.removed.length !== counts.added - counts.removed)
  throw new Error(
    `diff found ${diff.unchangedCount} unchanged, ${diff.added.length} added, ${diff.removed.length} removed`
  )
line(
  `  diff found: ${diff.modified.length} modified, ${diff.moved.length} moved, ${diff.added.length} added, ${diff.removed.length} removed, ${diff.unchangedCount} unchanged`
)
const diffHeap = heap(() => diffVersions(before, after))
const oursMs = median(diffRuns.durations)
line(summary("  ours diffVersions", diffRuns.durations))

// jsondiffpatch cannot take the arrays at this size: with an objectHash its array diff builds a full LCS matrix
// (100k × 100k cells). Its scalable form is an object keyed by positionKey (objectHash still matches take-off
// arrays); building those objects is counted in its time.
const differ = jsondiffpatch.create({
  objectHash: (item: object, index?: number) =>
    (item as { positionKey?: string }).positionKey ?? (item as { text?: string }).text ?? `$$index:${index}`
})
const keyed = (positions: ReadonlyArray<Position>) => Object.fromEntries(positions.map((p) => [p.positionKey, p]))
const peerRuns = time(() => differ.diff(keyed(before), keyed(after)), RUNS === undefined ? 5 : Math.min(RUNS, 5), 1)
const peerDelta = peerRuns.last as Record<string, unknown> | undefined
const peerMs = median(peerRuns.durations)
line(summary("  jsondiffpatch (keyed by positionKey)", peerRuns.durations))
line(`    (its delta names ${Object.keys(peerDelta ?? {}).length} changed keys; ours reports a semantic diff + bridge)`)

// The array form, where jsondiffpatch's objectHash is meant to be used, at a size its LCS matrix fits in memory.
const SMALL = 3_000
const small = generateBudget(SMALL, 99)
const smallBefore = structuredClone(small.positions)
const smallAfter = changeVersion(small, 0.01, 3).after
const smallOurs = time(() => diffVersions(smallBefore, smallAfter), 7, 3)
const smallPeer = time(() => differ.diff(smallBefore, smallAfter), 3, 1)
line(summary(`  ours diffVersions, ${SMALL} positions`, smallOurs.durations))
line(summary(`  jsondiffpatch arrays + objectHash, ${SMALL} positions`, smallPeer.durations))

const diffRatio = peerMs / oursMs
line(
  `  RESULT diff 100k: ${ms(oursMs)} (target ≤ 150 ms: ${verdict(oursMs <= 150)}), heap +${diffHeap.extraMb.toFixed(0)} MB while diffing, ${diffHeap.retainedMb.toFixed(0)} MB retained (target ≤ 200 MB: ${verdict(diffHeap.extraMb <= 200)}), ${diffRatio.toFixed(1)}× faster than jsondiffpatch keyed (target ≥ 20×: ${verdict(diffRatio >= 20)}); at ${SMALL} positions ${(median(smallPeer.durations) / median(smallOurs.durations)).toFixed(0)}× faster than its array diff`
)

// --- parseBudget -------------------------------------------------------------------------------------------------
const unixml = new TextEncoder().encode(toUnixml(budget))
line(`\nparseBudget: generated UNIXML, ${SIZE} positions, ${(unixml.length / MB).toFixed(1)} MB`)
const limits = { maxBytes: 512 * MB, maxXmlElements: 20_000_000 }
const parseRuns = time(
  () => Effect.runSync(parseBudget(unixml, { format: "unixml", limits })),
  RUNS === undefined ? 5 : RUNS,
  1
)
const parsed = parseRuns.last
if (parsed.positions.length !== SIZE) throw new Error(`parsed ${parsed.positions.length} positions`)
const parseMs = median(parseRuns.durations)
line(summary("  parseBudget unixml", parseRuns.durations))
line(`  RESULT parse 100k: ${ms(parseMs)} (target ≤ 2000 ms: ${verdict(parseMs <= 2000)})`)

// --- Audit -------------------------------------------------------------------------------------------------------
const tskpPath = join(fixturesDir, "catalog/tskp-tridnik.xml")
const tskp = existsSync(tskpPath) ? Effect.runSync(loadTskp(new Uint8Array(readFileSync(tskpPath)))) : undefined
const referencePrices = new Map<string, ReferencePriceBand>()
budget.catalog.forEach((item, i) => {
  if (i % 2 === 0) {
    const price = item.price / 100
    referencePrices.set(item.code, {
      low: (price * 0.8).toFixed(2) as DecimalString,
      high: (price * 1.2).toFixed(2) as DecimalString
    })
  }
})
const context: AuditContext = {
  tskp,
  referencePrices,
  usualUnits: new Map([
    ["27435", "m2"],
    ["27436", "t"]
  ]),
  rounding: parsed.settings.rounding
}
line(
  `\naudit: ${parsed.positions.length} parsed positions, ${builtinExperts.length} built-in experts, TSKP ${tskp === undefined ? "absent (code check skipped)" : `${tskp.size} classes`}, ${referencePrices.size} reference bands`
)
const auditRuns = time(
  () => Effect.runSync(auditPositions(parsed.positions, builtinExperts, context)),
  RUNS === undefined ? 5 : RUNS,
  1
)
const audit = auditRuns.last
const tally: Record<string, number> = {}
for (const r of audit.resolutions) tally[r.status] = (tally[r.status] ?? 0) + 1
const auditMs = median(auditRuns.durations)
line(summary("  auditPositions", auditRuns.durations))
line(`  spread: ${JSON.stringify(tally)}, ${audit.opinions.length} opinions, ${audit.conflicts.length} conflicts`)
line(`  RESULT audit 100k: ${ms(auditMs)} (target ≤ 1000 ms: ${verdict(auditMs <= 1000)})`)

line(`\nload average at end: ${load()}`)
