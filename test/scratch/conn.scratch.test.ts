import { createCostline } from "@costline/sdk"
import { afterAll, beforeAll, it } from "vitest"
import { type RunningServer, startServer as startServerHere } from "../support/processes.ts"
import { spawn } from "node:child_process"
const startServer = async (env: Record<string, string>): Promise<RunningServer> => {
  if (process.env.HEAD_DIR === undefined) return startServerHere(env)
  const child = spawn(`${process.env.HEAD_DIR}/node_modules/.bin/node`, ["--disable-warning=ExperimentalWarning", "packages/server/src/main.ts"], { cwd: process.env.HEAD_DIR, env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env }, stdio: ["ignore", "pipe", "pipe"] })
  let out = ""
  child.stdout.on("data", (c) => { out += c })
  child.stderr.on("data", (c) => { out += c })
  while (!/"url":"(http:\/\/[^"]+)"/.test(out)) await new Promise((r) => setTimeout(r, 50))
  const url = out.match(/"url":"(http:\/\/[^"]+)"/)![1]!
  return { child, output: () => out, stop: async () => { child.kill("SIGTERM"); return 0 }, url } as unknown as RunningServer
}
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"

let database: TestDatabaseHandle
let server: RunningServer
const redisPrefix = uniqueRedisPrefix()
beforeAll(async () => {
  database = await createTestDatabase()
  server = await startServer({ DATABASE_URL: database.url, REDIS_URL: testRedisUrl, REDIS_PREFIX: redisPrefix, JWT_SECRET: `e2e-secret-${crypto.randomUUID()}` })
}, 120_000)
afterAll(async () => {
  await server?.stop()
  await database?.drop()
  await deleteRedisKeys(redisPrefix)
})
it("connects repeatedly", async () => {
  const costline = createCostline({ baseUrl: server.url })
  for (let i = 0; i < 15; i++) {
    const s = await costline.register({ email: `c-${crypto.randomUUID()}@example.com`, password: "correct horse battery", fullName: "X" })
    const c = await costline.connect(s.accessToken)
    try {
      await c.createProject({ name: "p" })
    } catch (e) {
      console.log("FAILED at", i, String(e), "\n", server.output().slice(-3000))
      throw e
    } finally {
      await c.close()
    }
  }
}, 120_000)
