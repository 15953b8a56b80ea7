// Garbage-collection pauses of a worker process, minor (scavenges) and major (mark-compact, with its incremental
// steps), read the same way for both sides of the jobs benchmark: from our worker's /metrics (prom-client's
// nodejs_gc_duration_seconds) and from the raw peer's own observer. Pauses hold up every job in flight, so they show
// where a worker's latency tail comes from.
import { constants, PerformanceObserver } from "node:perf_hooks"

export interface GcPauses {
  readonly minorCount: number
  readonly minorMs: number
  readonly majorCount: number
  readonly majorMs: number
}

export const noPauses: GcPauses = { minorCount: 0, minorMs: 0, majorCount: 0, majorMs: 0 }

export const pausesSince = (before: GcPauses, after: GcPauses): GcPauses => ({
  minorCount: after.minorCount - before.minorCount,
  minorMs: after.minorMs - before.minorMs,
  majorCount: after.majorCount - before.majorCount,
  majorMs: after.majorMs - before.majorMs
})

/** The cumulative pauses in a Prometheus text body with prom-client's default metrics. */
export const pausesFromMetrics = (text: string): GcPauses => {
  const value = (series: string, kind: string) =>
    Number(text.match(new RegExp(`^nodejs_gc_duration_seconds_${series}\\{kind="${kind}"\\} (\\S+)$`, "m"))?.[1] ?? 0)
  return {
    minorCount: value("count", "minor"),
    minorMs: value("sum", "minor") * 1000,
    majorCount: value("count", "major") + value("count", "incremental"),
    majorMs: (value("sum", "major") + value("sum", "incremental")) * 1000
  }
}

/** Counts this process's pauses from now on; `read` answers the totals so far. */
export const observePauses = () => {
  let pauses = noPauses
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as { readonly detail?: { readonly kind?: number } }).detail?.kind
      if (kind === constants.NODE_PERFORMANCE_GC_MINOR) {
        pauses = { ...pauses, minorCount: pauses.minorCount + 1, minorMs: pauses.minorMs + entry.duration }
      } else if (kind === constants.NODE_PERFORMANCE_GC_MAJOR || kind === constants.NODE_PERFORMANCE_GC_INCREMENTAL) {
        pauses = { ...pauses, majorCount: pauses.majorCount + 1, majorMs: pauses.majorMs + entry.duration }
      }
    }
  }).observe({ entryTypes: ["gc"] })
  return { read: () => pauses }
}
