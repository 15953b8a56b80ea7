// @costline/core at 100k positions: the semantic diff (side by side with jsondiffpatch on the same data), parseBudget
// of a generated KROS UNIXML file, and the audit with every built-in expert. Data is generated from fixed seeds;
// each measurement is the median of several runs after warm-up, printed with the machine load and the targets.
// BENCH_CORE_RUNS overrides the number of measured runs (default 7 for the diff, 5 for parse and audit);
// BENCH_CORE_SECTIONS=diff,parse,audit picks sections. Times are wall clock and CPU (user + system, all threads).

import { existsSync, readFileSync } from "node:fs"
import { availableParallelism, loadavg } from "node:os"
import { join } from "node:path"
import { GCProfiler, setFlagsFromString } from "node:v8"
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

const pause = new Int32Array(new SharedArrayBuffer(4))
/**
 * A full GC, then 100 ms for V8's helper threads to finish sweeping: without the pause that background work runs
 * during the next measured run and is counted against it.
 */
const settle = (): void => {
  gc()
  Atomics.wait(pause, 0, 0, 100)
}

interface Timed<A> {
  /** Wall-clock milliseconds per measured run. */
  readonly durations: Array<number>
  /** CPU milliseconds (user + system, all threads of the process: the JS thread and the GC helpers) per run. */
  readonly cpu: Array<number>
  readonly last: A
}

/**
 * Runs `task` `warmup` times unmeasured, then `runs` times, each on a fresh input from `input` (made before the clock
 * starts, then the heap settled); returns wall and CPU time of every measured run.
 */
const time = <I, A>(input: () => I, task: (input: I) => A, runs: number, warmup: number): Timed<A> => {
  let last: A | undefined
  for (let i = 0; i < warmup; i++) {
    last = undefined
    last = task(input())
  }
  const durations: Array<number> = []
  const cpu: Array<number> = []
  for (let i = 0; i < runs; i++) {
    // The previous result is dropped first, so every run starts from the same heap.
    last = undefined
    const fresh = input()
    settle()
    const cpuStart = process.cpuUsage()
    const started = performance.now()
    last = task(fresh)
    durations.push(performance.now() - started)
    const used = process.cpuUsage(cpuStart)
    cpu.push((used.user + used.system) / 1000)
  }
  // A run is always made: warm-up or measured.
  return { durations, cpu, last: last as A }
}

/**
 * Heap the task needs: the peak of used heap over every GC during the run (V8's GCProfiler reports the heap before
 * each collection) and at its end, minus the heap after a full GC before it; and what it still holds after a full GC.
 */
const heap = <A>(task: () => A): { readonly extraMb: number; readonly retainedMb: number } => {
  settle()
  const base = process.memoryUsage().heapUsed
  const profiler = new GCProfiler()
  profiler.start()
  const result = task()
  const end = process.memoryUsage().heapUsed
  const gcs = profiler.stop()?.statistics ?? []
  const peak = Math.max(end, ...gcs.map((g) => g.beforeGC.heapStatistics.usedHeapSize))
  gc()
  const retained = process.memoryUsage().heapUsed
  // Keep the result reachable until after the last reading.
  if (result === undefined) line("")
  return { extraMb: (peak - base) / MB, retainedMb: (retained - base) / MB }
}

const summary = (name: string, timed: Timed<unknown>) =>
  `${name}: median ${ms(median(timed.durations))} wall, ${ms(median(timed.cpu))} CPU (wall min ${ms(Math.min(...timed.durations))}, max ${ms(Math.max(...timed.durations))}; ${timed.durations.length} runs)`

const verdict = (ok: boolean) => (ok ? "PASS" : "MISS")

line(`machine: ${availableParallelism()} cores, load average ${load()} (1, 5, 15 min) at start`)

const against = (target: number, wall: number, cpu: number) =>
  `wall ${verdict(wall <= target)}, CPU ${verdict(cpu <= target)}`

// Each section runs in its own function so that its data is garbage before the next one starts: a benchmark that
// kept the diff's 200k positions alive while timing the audit would be measuring a bigger heap's collections.

const diffSection = (): void => {
  const budget = generateBudget(SIZE)
  // Fresh objects on both sides, as when two versions are read from the database.
  const before: ReadonlyArray<Position> = structuredClone(budget.positions)
  const { after, counts } = changeVersion(budget, 0.01)
  line(
    `\ndiff: ${before.length} → ${after.length} positions; changed: ${counts.modified} modified, ${counts.removed} removed, ${counts.added} added, ${counts.moved} renumbered`
  )
  const diff = diffVersions(before, after)
  // An added position with the code and description of a removed one in the same object pairs with it (a move).
  const unchanged = before.length - counts.modified - counts.removed - counts.moved
  if (diff.unchangedCount !== unchanged || diff.added.length - diff.removed.length !== counts.added - counts.removed)
    throw new Error(
      `diff found ${diff.unchangedCount} unchanged, ${diff.added.length} added, ${diff.removed.length} removed`
    )
  line(
    `  diff found: ${diff.modified.length} modified, ${diff.moved.length} moved, ${diff.added.length} added, ${diff.removed.length} removed, ${diff.unchangedCount} unchanged`
  )

  // jsondiffpatch cannot take the arrays at this size: with an objectHash its array diff builds a full LCS matrix
  // (100k × 100k cells). Its scalable form is an object keyed by positionKey (objectHash still matches take-off
  // arrays); building those objects is counted in its time.
  const differ = jsondiffpatch.create({
    objectHash: (item: object, index?: number) =>
      (item as { positionKey?: string }).positionKey ?? (item as { text?: string }).text ?? `$$index:${index}`
  })
  const keyed = (positions: ReadonlyArray<Position>) => Object.fromEntries(positions.map((p) => [p.positionKey, p]))
  const peerDelta = differ.diff(keyed(before), keyed(after)) as Record<string, unknown> | undefined
  line(
    `  jsondiffpatch's delta names ${Object.keys(peerDelta ?? {}).length} changed keys; ours is a semantic diff + bridge`
  )

  // Alternating rounds, ours then theirs, so both see the same machine; two warm-up runs each first.
  const rounds = RUNS ?? 7
  const ours: Array<Timed<unknown>> = []
  const peer: Array<Timed<unknown>> = []
  time(
    () => undefined,
    () => diffVersions(before, after),
    0,
    2
  )
  time(
    () => undefined,
    () => differ.diff(keyed(before), keyed(after)),
    0,
    2
  )
  for (let round = 0; round < rounds; round++) {
    ours.push(
      time(
        () => undefined,
        () => diffVersions(before, after),
        1,
        0
      )
    )
    peer.push(
      time(
        () => undefined,
        () => differ.diff(keyed(before), keyed(after)),
        1,
        0
      )
    )
  }
  const merge = (list: ReadonlyArray<Timed<unknown>>): Timed<unknown> => ({
    durations: list.flatMap((t) => t.durations),
    cpu: list.flatMap((t) => t.cpu),
    last: undefined
  })
  const oursRuns = merge(ours)
  const peerRuns = merge(peer)
  line(summary("  ours diffVersions", oursRuns))
  line(summary("  jsondiffpatch (keyed by positionKey)", peerRuns))
  const diffHeap = heap(() => diffVersions(before, after))

  // The array form, where jsondiffpatch's objectHash is meant to be used, at a size its LCS matrix fits in memory.
  const SMALL = 3_000
  const small = generateBudget(SMALL, 99)
  const smallBefore = structuredClone(small.positions)
  const smallAfter = changeVersion(small, 0.01, 3).after
  const smallOurs = time(
    () => undefined,
    () => diffVersions(smallBefore, smallAfter),
    7,
    3
  )
  const smallPeer = time(
    () => undefined,
    () => differ.diff(smallBefore, smallAfter),
    3,
    1
  )
  line(summary(`  ours diffVersions, ${SMALL} positions`, smallOurs))
  line(summary(`  jsondiffpatch arrays + objectHash, ${SMALL} positions`, smallPeer))

  const oursMs = median(oursRuns.durations)
  const oursCpu = median(oursRuns.cpu)
  const diffRatio = median(peerRuns.durations) / oursMs
  const diffCpuRatio = median(peerRuns.cpu) / oursCpu
  line(
    `  RESULT diff 100k: ${ms(oursMs)} wall / ${ms(oursCpu)} CPU (target ≤ 150 ms: ${against(150, oursMs, oursCpu)}); ` +
      `heap +${diffHeap.extraMb.toFixed(0)} MB at peak, ${diffHeap.retainedMb.toFixed(0)} MB retained (target ≤ 200 MB: ${verdict(diffHeap.extraMb <= 200)}); ` +
      `${diffRatio.toFixed(1)}× (wall) / ${diffCpuRatio.toFixed(1)}× (CPU) faster than jsondiffpatch keyed (target ≥ 20×: wall ${verdict(diffRatio >= 20)}, CPU ${verdict(diffCpuRatio >= 20)}); ` +
      `at ${SMALL} positions ${(median(smallPeer.durations) / median(smallOurs.durations)).toFixed(0)}× faster than its array diff`
  )
}

const limits = { maxBytes: 512 * MB, maxXmlElements: 20_000_000 }

const parseSection = (): void => {
  const unixml = new TextEncoder().encode(toUnixml(generateBudget(SIZE)))
  line(`\nparseBudget: generated UNIXML, ${SIZE} positions, ${(unixml.length / MB).toFixed(1)} MB`)
  const parseRuns = time(
    () => undefined,
    () => Effect.runSync(parseBudget(unixml, { format: "unixml", limits })),
    RUNS ?? 5,
    2
  )
  const parsed = parseRuns.last
  if (parsed.positions.length !== SIZE) throw new Error(`parsed ${parsed.positions.length} positions`)
  const parseMs = median(parseRuns.durations)
  const parseCpu = median(parseRuns.cpu)
  line(summary("  parseBudget unixml", parseRuns))
  line(
    `  RESULT parse 100k: ${ms(parseMs)} wall / ${ms(parseCpu)} CPU (target ≤ 2000 ms: ${against(2000, parseMs, parseCpu)})`
  )
}

/** The audit's input: the positions as parseBudget gives them (take-off values computed), and reference bands. */
const auditInput = () => {
  const budget = generateBudget(SIZE)
  const parsed = Effect.runSync(parseBudget(new TextEncoder().encode(toUnixml(budget)), { format: "unixml", limits }))
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
  return { parsed, referencePrices }
}

const auditSection = (): void => {
  const { parsed, referencePrices } = auditInput()
  const tskpPath = join(fixturesDir, "catalog/tskp-tridnik.xml")
  const tskp = existsSync(tskpPath) ? Effect.runSync(loadTskp(new Uint8Array(readFileSync(tskpPath)))) : undefined
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
  // Fresh position objects for every run, as an audit gets them from the database: nothing is remembered between
  // runs (fingerprints are memoised per position object).
  const auditRuns = time(
    () => structuredClone(parsed.positions),
    (positions) => Effect.runSync(auditPositions(positions, builtinExperts, context)),
    RUNS ?? 5,
    2
  )
  const audit = auditRuns.last
  const tally: Record<string, number> = {}
  for (const r of audit.resolutions) tally[r.status] = (tally[r.status] ?? 0) + 1
  const auditMs = median(auditRuns.durations)
  const auditCpu = median(auditRuns.cpu)
  line(summary("  auditPositions", auditRuns))
  line(`  spread: ${JSON.stringify(tally)}, ${audit.opinions.length} opinions, ${audit.conflicts.length} conflicts`)
  line(
    `  RESULT audit 100k: ${ms(auditMs)} wall / ${ms(auditCpu)} CPU (target ≤ 1000 ms: ${against(1000, auditMs, auditCpu)})`
  )
}

const sections = process.env.BENCH_CORE_SECTIONS?.split(",") ?? ["diff", "parse", "audit"]
if (sections.includes("diff")) diffSection()
if (sections.includes("parse")) parseSection()
if (sections.includes("audit")) auditSection()

line(`\nload average at end: ${load()}`)
