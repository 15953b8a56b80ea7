// The worker process's own health in Prometheus text form: garbage-collection pauses by kind, event-loop delay, heap,
// CPU and file descriptors (prom-client's default Node.js metrics). The job counters say how much a worker does; these
// say why it slows down: a process that promotes much to V8's old generation pauses for major collections, and each
// pause holds up every job it has in flight.
import { Effect } from "effect"
import { collectDefaultMetrics, Registry } from "prom-client"

// prom-client's default buckets (1 ms, 10 ms, 100 ms, …) cannot tell a 1 ms scavenge from a 9 ms one, which is the
// difference that matters for job latency.
const GC_PAUSE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1]

/** Starts observing this process (from now on, for the process's lifetime) and answers its metrics' text. */
export const makeProcessMetrics = (): Effect.Effect<string> => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, gcDurationBuckets: GC_PAUSE_BUCKETS })
  return Effect.promise(() => registry.metrics())
}
