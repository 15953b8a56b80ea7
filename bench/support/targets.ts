// Starts benchmark targets as separate processes and seeds each with a user and a project to read.
import { type ChildProcess, spawn } from "node:child_process"
import { once } from "node:events"
import { fileURLToPath } from "node:url"

export const repoRoot = fileURLToPath(new URL("../..", import.meta.url))

export interface Target {
  readonly name: string
  readonly url: string
  readonly stop: () => Promise<void>
}

/** Spawns `entry` with Node 22 and resolves once it logs a line carrying its URL. */
export const startTarget = async (name: string, entry: string, env: Record<string, string>): Promise<Target> => {
  const child: ChildProcess = spawn(process.execPath, ["--disable-warning=ExperimentalWarning", entry], {
    cwd: repoRoot,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", CLUSTER_PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"]
  })
  let output = ""
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 60 s:\n${output}`)), 60_000)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const found = output.match(/"url":"(http:\/\/[^"]+)"/)?.[1]
      if (found !== undefined) {
        clearTimeout(timer)
        resolve(found)
      }
    }
    child.stdout?.on("data", onData)
    child.stderr?.on("data", onData)
    child.once("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`${name} exited with ${code}:\n${output}`))
    })
  })
  return {
    name,
    url,
    stop: async () => {
      if (child.exitCode !== null) return
      const exited = once(child, "exit")
      child.kill("SIGTERM")
      const timer = setTimeout(() => child.kill("SIGKILL"), 15_000)
      await exited
      clearTimeout(timer)
    }
  }
}

const post = async (url: string, body: unknown, token?: string) => {
  const response = await fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` })
    },
    body: JSON.stringify(body)
  })
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`)
  return response.json() as Promise<Record<string, unknown>>
}

/** Registers a user on a Costline server and creates a project; returns what a reader needs. */
export const seedProject = async (baseUrl: string) => {
  const auth = await post(`${baseUrl}/api/v1/auth/register`, {
    email: `bench-${crypto.randomUUID()}@example.com`,
    password: "bench-password-1",
    fullName: "Bench Reader"
  })
  const token = auth.accessToken as string
  const project = await post(`${baseUrl}/api/v1/projects`, { name: "Bench project" }, token)
  return { token, projectId: project.id as string }
}
