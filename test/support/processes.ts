// Starts the server and the worker as separate OS processes, the way an operator runs them, and stops them with
// SIGTERM. The server's bound URL is read from its "listening" log line, so tests can use PORT=0.
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

export interface RunningProcess {
  readonly child: ChildProcess
  /** Everything the process wrote so far (stdout and stderr), for assertions and failure messages. */
  readonly output: () => string
  /** SIGTERM, then the exit code (null when killed by a signal). */
  readonly stop: (timeoutMs?: number) => Promise<number | null>
}

const start = (entry: string, env: Record<string, string>): RunningProcess => {
  const child = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", entry], {
    cwd: repoRoot,
    env: { ...process.env, LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  const exited = once(child, "exit").then(([code]) => code as number | null)
  return {
    child,
    output: () => output,
    stop: async (timeoutMs = 20_000) => {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
      const code = await exited
      clearTimeout(timer)
      return code
    }
  }
}

const waitFor = async <A>(
  what: string,
  process: RunningProcess,
  probe: () => A | undefined,
  timeoutMs: number
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const value = probe()
    if (value !== undefined) return value
    if (process.child.exitCode !== null) {
      throw new Error(`${what}: the process exited with ${process.child.exitCode}\n${process.output()}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms\n${process.output()}`)
}

export interface RunningServer extends RunningProcess {
  readonly url: string
}

/**
 * Starts `packages/server/src/main.ts` on a random port and waits until it listens. Its cluster runner (production
 * profile) gets a random port too, so several servers can run at once.
 */
export const startServer = async (env: Record<string, string>, timeoutMs = 60_000): Promise<RunningServer> => {
  const server = start("packages/server/src/main.ts", { HOST: "127.0.0.1", PORT: "0", CLUSTER_PORT: "0", ...env })
  const url = await waitFor(
    "server start",
    server,
    () => server.output().match(/"url":"(http:\/\/[^"]+)"/)?.[1],
    timeoutMs
  )
  return { ...server, url }
}

/** Starts `packages/worker/src/main.ts` and waits until its health endpoint is up. */
export const startWorker = async (env: Record<string, string>, timeoutMs = 60_000): Promise<RunningProcess> => {
  const worker = start("packages/worker/src/main.ts", { WORKER_HEALTH_PORT: "0", ...env })
  await waitFor(
    "worker start",
    worker,
    () => (/health|listening|started/i.test(worker.output()) ? true : undefined),
    timeoutMs
  )
  return worker
}
