// Deno 2 smoke suite: @costline/core and @costline/sdk load and work under Deno (global fetch and WebSocket, no node:).

import { Effect, Schema } from "effect"
import { OpenApi } from "effect/http-api"
import { CostlineApi, Project } from "../../packages/core/src/index.ts"
import { ConnectionError, CostlineClient, createCostline } from "../../packages/sdk/src/index.ts"

const assert = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message)
}

const closedPort = (): number => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 })
  const port = (listener.addr as Deno.NetAddr).port
  listener.close()
  return port
}

const project = {
  id: "2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11",
  name: "Bytový dům",
  description: "",
  ownerId: "8a1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a12",
  role: "owner",
  currentVersion: 3,
  lastEventSeq: 7,
  totalCost: "1234567.89",
  statusCounts: { green: 1, amber: 2, red: 0, unaudited: 4 },
  createdAt: "2025-01-01T00:00:00.000Z",
  updatedAt: "2025-01-02T00:00:00.000Z"
}

Deno.test("core schemas decode valid input and reject floats for money", () => {
  const decoded = Schema.decodeUnknownSync(Project)(project)
  assert(decoded.totalCost === "1234567.89", "totalCost stays an exact decimal string")
  let rejected = false
  try {
    Schema.decodeUnknownSync(Project)({ ...project, totalCost: 1234567.89 })
  } catch {
    rejected = true
  }
  assert(rejected, "a float total must be rejected")
})

Deno.test("the HTTP API definition builds an OpenAPI document with the expected paths", () => {
  const spec = OpenApi.fromApi(CostlineApi)
  const paths = Object.keys(spec.paths)
  for (const path of [
    "/health",
    "/ready",
    "/api/v1/auth/register",
    "/api/v1/auth/login",
    "/api/v1/auth/refresh",
    "/api/v1/projects",
    "/api/v1/projects/{id}",
    "/api/v1/projects/{id}/recalculate",
    "/api/v1/jobs/{id}"
  ]) {
    assert(paths.includes(path), `missing ${path} in ${paths.join(", ")}`)
  }
})

Deno.test("CostlineClient fails with a typed ConnectionError against a closed port, without hanging", async () => {
  const port = closedPort()
  const started = Date.now()
  const error = await Effect.runPromise(
    Effect.flip(Effect.scoped(CostlineClient.make({ baseUrl: `http://127.0.0.1:${port}`, token: "t" }))).pipe(
      Effect.timeout("8 seconds")
    )
  )
  assert(error instanceof ConnectionError, `expected ConnectionError, got ${String(error)}`)
  assert(Date.now() - started < 8000, "gave up in time")
})

Deno.test("the Promise facade rejects with ConnectionError for login and connect against a closed port", async () => {
  const costline = createCostline({ baseUrl: `http://127.0.0.1:${closedPort()}` })
  for (const attempt of [() => costline.login({ email: "a@b.cz", password: "x" }), () => costline.connect("t")]) {
    const error = await attempt().then(
      () => undefined,
      (e: unknown) => e
    )
    assert(error instanceof ConnectionError, `expected ConnectionError, got ${String(error)}`)
  }
})
