// CPU time of processes from /proc (Linux): a process by pid, and every process of a program by name (PostgreSQL
// runs one process per connection). Benchmarks diff two readings to say where the time went.
import { readdirSync, readFileSync } from "node:fs"

// USER_HZ: /proc reports CPU time in clock ticks of 1/100 s on Linux.
const TICK_MS = 10

const readStat = (pid: string): { readonly comm: string; readonly ms: number } | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // comm is in parentheses and may contain spaces; the fields after it are space-separated.
    const close = stat.lastIndexOf(")")
    const comm = stat.slice(stat.indexOf("(") + 1, close)
    const fields = stat.slice(close + 2).split(" ")
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after "pid (comm) ".
    return { comm, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS }
  } catch {
    return undefined
  }
}

/** CPU milliseconds the process has used so far (0 once it is gone). */
export const cpuOfPid = (pid: number): number => readStat(String(pid))?.ms ?? 0

/** CPU milliseconds used so far by all live processes named `comm` (e.g. "postgres", "redis-server"). */
export const cpuOfProgram = (comm: string): number => {
  let total = 0
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue
    const stat = readStat(entry)
    if (stat?.comm === comm) total += stat.ms
  }
  return total
}

export interface CpuReading {
  readonly bench: number
  readonly worker: number
  readonly postgres: number
  readonly redis: number
}

/**
 * `postgresPids`: the backends serving the benchmark's own database (pg_stat_activity), so that other databases on
 * the same server do not count; without them, every postgres process counts. Redis is one process for everyone.
 */
export const readCpu = (workerPid: number, postgresPids?: ReadonlyArray<number>): CpuReading => {
  const usage = process.cpuUsage()
  return {
    bench: (usage.user + usage.system) / 1000,
    worker: cpuOfPid(workerPid),
    postgres:
      postgresPids === undefined
        ? cpuOfProgram("postgres")
        : postgresPids.reduce((total, pid) => total + cpuOfPid(pid), 0),
    redis: cpuOfProgram("redis-server")
  }
}

export const cpuDiff = (before: CpuReading, after: CpuReading): CpuReading => ({
  bench: after.bench - before.bench,
  worker: after.worker - before.worker,
  postgres: after.postgres - before.postgres,
  redis: after.redis - before.redis
})
