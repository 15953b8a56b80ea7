// Load generation with autocannon and the summary statistics the benchmarks print.
import autocannon from "autocannon"

export interface Sample {
  readonly requestsPerSecond: number
  readonly p99Ms: number
  readonly errors: number
  readonly non2xx: number
}

export const load = async (options: {
  readonly url: string
  readonly headers: Record<string, string>
  readonly connections: number
  readonly durationSeconds: number
}): Promise<Sample> => {
  const result = await autocannon({
    url: options.url,
    headers: options.headers,
    connections: options.connections,
    pipelining: 1,
    duration: options.durationSeconds
  })
  return {
    requestsPerSecond: result.requests.average,
    p99Ms: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx
  }
}

export const median = (values: ReadonlyArray<number>) => {
  const sorted = [...values].sort((a, b) => a - b)
  const middle = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2
}
