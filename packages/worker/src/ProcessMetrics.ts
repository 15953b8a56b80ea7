// The worker process's own health in Prometheus text form: garbage-collection pauses by kind, event-loop delay, heap,
// CPU and file descriptors (prom-client's default Node.js metrics). The job counters say how much a worker does; these
// say why it slows down: a process that promotes much to V8's old generation pauses for major collections, and each
// pause holds up every job it has in flight; a busy event loop holds up every job's next step the same way.
import { Effect } from "effect"
import { collectDefaultMetrics, Histogram, Registry } from "prom-client"

// prom-client's default buckets (1 ms, 10 ms, 100 ms, …) cannot tell a 1 ms scavenge from a 9 ms one, which is the
// difference that matters for job latency.
const GC_PAUSE_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1]
const LOOP_DELAY_BUCKETS = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5, 1]
const LOOP_PROBE_MS = 10

/**
 * How late a 10 ms timer fires, as a cumulative histogram: prom-client's nodejs_eventloop_lag_* gauges cover only the
 * time since the last scrape, so they cannot be compared between two scrapes minutes apart (a benchmark's run, an
 * incident); bucket counts can. The probe costs a hundred timer callbacks a second.
 */
const observeLoopDelay = (registry: Registry) => {
  const delay = new Histogram({
    name: "costline_worker_event_loop_delay_seconds",
    help: `How late a ${LOOP_PROBE_MS} ms timer fires: time every job's next step waits behind other work and GC.`,
    buckets: LOOP_DELAY_BUCKETS,
    registers: [registry]
  })
  let expected = performance.now() + LOOP_PROBE_MS
  setInterval(() => {
    const now = performance.now()
    delay.observe(Math.max(0, now - expected) / 1000)
    expected = now + LOOP_PROBE_MS
  }, LOOP_PROBE_MS).unref()
}

/** Starts observing this process (from now on, for the process's lifetime) and answers its metrics' text. */
export const makeProcessMetrics = (): Effect.Effect<string> => {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry, gcDurationBuckets: GC_PAUSE_BUCKETS })
  observeLoopDelay(registry)
  return Effect.promise(() => registry.metrics())
}
