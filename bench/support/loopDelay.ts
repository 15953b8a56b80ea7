// Event-loop delay of a worker process, read the same way for both sides of the jobs benchmark: how late a 10 ms timer
// fired, as cumulative counts per bucket — from our worker's /metrics (costline_worker_event_loop_delay_seconds) and
// from the raw peer's own probe. A delayed loop holds up the next step of every job in flight, so the share of late
// probes during the latency run says how much of a worker's latency tail is its own busyness.

/** Upper bounds (ms) of the buckets both sides count; the worker's histogram uses the same ones in seconds. */
export const DELAY_BUCKETS_MS = [1, 2, 5, 10, 20, 50, 100, 500, 1000] as const

export interface LoopDelay {
  /** Probes in all. */
  readonly count: number
  /** Probes at most DELAY_BUCKETS_MS[i] late, cumulative. */
  readonly atMost: ReadonlyArray<number>
}

export const noDelay: LoopDelay = { count: 0, atMost: DELAY_BUCKETS_MS.map(() => 0) }

export const delaySince = (before: LoopDelay, after: LoopDelay): LoopDelay => ({
  count: after.count - before.count,
  atMost: after.atMost.map((value, index) => value - (before.atMost[index] ?? 0))
})

/** The share (0–1) of probes more than `ms` late; `ms` must be one of DELAY_BUCKETS_MS. */
export const lateShare = (delay: LoopDelay, ms: (typeof DELAY_BUCKETS_MS)[number]): number =>
  delay.count === 0 ? 0 : 1 - (delay.atMost[DELAY_BUCKETS_MS.indexOf(ms)] ?? 0) / delay.count

/** The cumulative counts in a Prometheus text body with our worker's process metrics. */
export const delayFromMetrics = (text: string): LoopDelay => {
  const series = (suffix: string) =>
    Number(text.match(new RegExp(`^costline_worker_event_loop_delay_seconds_${suffix} (\\S+)$`, "m"))?.[1] ?? 0)
  return {
    count: series("count"),
    atMost: DELAY_BUCKETS_MS.map((ms) => series(`bucket\\{le="${ms / 1000}"\\}`))
  }
}

/** Probes this process's event loop from now on, every 10 ms as the worker does; `read` answers the counts so far. */
export const observeDelay = () => {
  let count = 0
  const atMost = DELAY_BUCKETS_MS.map(() => 0)
  let expected = performance.now() + 10
  setInterval(() => {
    const now = performance.now()
    const late = Math.max(0, now - expected)
    expected = now + 10
    count += 1
    DELAY_BUCKETS_MS.forEach((ms, index) => {
      if (late <= ms) atMost[index]! += 1
    })
  }, 10).unref()
  return { read: (): LoopDelay => ({ count, atMost: [...atMost] }) }
}
