// What an operator sees: startup refuses bad configuration in one line, /ready names what is down when the database
// or Redis connection is cut (through a proxy the test controls), and comes back when it returns.
import { spawnSync } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type RunningServer, repoRoot, startServer } from "../support/processes.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"
import { startTcpProxy, type TcpProxy } from "../support/tcpProxy.ts"

const runServerExpectingFailure = (env: Record<string, string>) =>
  spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", "packages/server/src/main.ts"], {
    cwd: repoRoot,
    env: { ...process.env, PORT: "0", ...env },
    encoding: "utf8",
    timeout: 30_000
  })

describe("configuration errors stop startup with one line naming the variable", () => {
  it.each([
    [{ DATABASE_URL: "postgres://127.0.0.1:1/x" }, "REDIS_URL"],
    [{ REDIS_URL: "redis://127.0.0.1:1" }, "DATABASE_URL"],
    [{ PORT: "eighty" }, "PORT"],
    [{ DATABASE_URL: "mysql://x", REDIS_URL: "redis://127.0.0.1:1" }, "DATABASE_URL"],
    [{ DATABASE_URL: "postgres://127.0.0.1:1/x", REDIS_URL: "redis://127.0.0.1:1" }, "JWT_SECRET"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"]
  ])("%o → %s", (env, variable) => {
    const result = runServerExpectingFailure(env)
    expect(result.status).toBe(78)
    const lines = result.stderr.trim().split("\n")
    expect(lines).toHaveLength(1)
    expect(lines[0]).toContain(variable)
  })
})

describe("readiness follows the database and Redis connections", () => {
  let database: TestDatabaseHandle
  let databaseProxy: TcpProxy
  let redisProxy: TcpProxy
  let server: RunningServer
  const redisPrefix = uniqueRedisPrefix()

  beforeAll(async () => {
    database = await createTestDatabase()
    const databaseUrl = new URL(database.url)
    databaseProxy = await startTcpProxy({ host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) })
    databaseUrl.port = String(databaseProxy.port)
    const redisUrl = new URL(testRedisUrl)
    redisProxy = await startTcpProxy({ host: redisUrl.hostname, port: Number(redisUrl.port || 6379) })
    redisUrl.port = String(redisProxy.port)
    server = await startServer({
      DATABASE_URL: databaseUrl.toString(),
      REDIS_URL: redisUrl.toString(),
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: `ops-secret-${crypto.randomUUID()}`,
      LOG_LEVEL: "debug"
    })
  })

  afterAll(async () => {
    await server?.stop()
    await Promise.all([databaseProxy?.close(), redisProxy?.close()])
    await database?.drop()
    await deleteRedisKeys(redisPrefix)
  })

  const ready = async () => {
    const response = await fetch(`${server.url}/ready`)
    return { status: response.status, body: (await response.json()) as { checks: Record<string, string> } }
  }

  const eventually = async (expected: number) => {
    const deadline = Date.now() + 30_000
    let last = await ready()
    while (last.status !== expected && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200))
      last = await ready()
    }
    return last
  }

  it("is ready when everything answers", async () => {
    const { status, body } = await ready()
    expect(status).toBe(200)
    expect(body.checks).toEqual({ database: "up", migrations: "up", redis: "up" })
  })

  it("writes JSON log lines that carry the request id", async () => {
    const response = await fetch(`${server.url}/api/v1/projects`, { headers: { "x-request-id": "ops-trace-42" } })
    expect(response.status).toBe(401)
    expect(response.headers.get("x-request-id")).toBe("ops-trace-42")
    await new Promise((resolve) => setTimeout(resolve, 200))
    const lines = server
      .output()
      .split("\n")
      .filter((line) => line.includes("ops-trace-42"))
      .map((line) => JSON.parse(line) as { annotations: Record<string, unknown> })
    expect(lines.length).toBeGreaterThan(0)
    for (const line of lines) expect(line.annotations.requestId).toBe("ops-trace-42")
  })

  it("answers 503 naming Redis while Redis is cut off, and recovers", async () => {
    redisProxy.cut()
    const down = await eventually(503)
    expect(down.status).toBe(503)
    expect(down.body).toMatchObject({ _tag: "NotReady", checks: { redis: "down", database: "up" } })
    redisProxy.resume()
    expect((await eventually(200)).status).toBe(200)
  })

  it("answers 503 naming the database while it is cut off, and recovers", async () => {
    databaseProxy.cut()
    const down = await eventually(503)
    expect(down.body).toMatchObject({ _tag: "NotReady", checks: { database: "down", redis: "up" } })
    databaseProxy.resume()
    expect((await eventually(200)).status).toBe(200)
    // /health never depended on either.
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  })
})
