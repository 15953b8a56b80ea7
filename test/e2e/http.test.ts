// The HTTP API's contract with callers, against the real server: JSON errors with `_tag` and `message` that name the
// field, 401/404/413, request ids, OpenAPI and docs, health and readiness.
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"

let server: InProcessServer
let token: string

const api = (path: string, init: RequestInit & { auth?: string | null } = {}) => {
  const headers = new Headers(init.headers)
  const bearer = init.auth === undefined ? token : init.auth
  if (bearer !== null) headers.set("authorization", `Bearer ${bearer}`)
  if (init.body !== undefined) headers.set("content-type", "application/json")
  return fetch(`${server.url}${path}`, { ...init, headers })
}

beforeAll(async () => {
  server = await startInProcessServer({ MAX_BODY_BYTES: "65536" })
  const registered = await api("/api/v1/auth/register", {
    method: "POST",
    auth: null,
    body: JSON.stringify({ email: `http-${crypto.randomUUID()}@example.com`, password: "long enough", fullName: "H" })
  })
  expect(registered.status).toBe(201)
  token = ((await registered.json()) as { accessToken: string }).accessToken
})
afterAll(() => server?.stop())

describe("errors", () => {
  it("names the invalid field in a 400", async () => {
    const response = await api("/api/v1/projects", { method: "POST", body: JSON.stringify({ name: "" }) })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ _tag: "InvalidRequest", field: "name" })
  })

  it("rejects an unknown field by name", async () => {
    const response = await api("/api/v1/projects", {
      method: "POST",
      body: JSON.stringify({ name: "x", colour: "red" })
    })
    expect(response.status).toBe(400)
    const body = (await response.json()) as { _tag: string; field: string; message: string }
    expect(body).toMatchObject({ _tag: "InvalidRequest", field: "colour" })
    expect(body.message).toContain("not allowed")
  })

  it("rejects a wrongly typed field and a bad query parameter", async () => {
    const typed = await api("/api/v1/projects", { method: "POST", body: JSON.stringify({ name: 42 }) })
    expect(typed.status).toBe(400)
    expect(await typed.json()).toMatchObject({ _tag: "InvalidRequest", field: "name" })
    const query = await api("/api/v1/projects?limit=1000")
    expect(query.status).toBe(400)
    expect(await query.json()).toMatchObject({ _tag: "InvalidRequest", field: "limit" })
    const path = await api("/api/v1/projects/not-a-uuid")
    expect(path.status).toBe(400)
    expect(await path.json()).toMatchObject({ _tag: "InvalidRequest", field: "id" })
  })

  it("answers malformed JSON with a 400 and writes nothing", async () => {
    const before = (await (await api("/api/v1/projects")).json()) as { total: number }
    const response = await api("/api/v1/projects", { method: "POST", body: '{"name": "half' })
    expect(response.status).toBe(400)
    expect(await response.json()).toMatchObject({ _tag: "InvalidRequest" })
    const after = (await (await api("/api/v1/projects")).json()) as { total: number }
    expect(after.total).toBe(before.total)
  })

  it("answers a body over the limit with 413 without reading it all", async () => {
    const response = await api("/api/v1/projects", {
      method: "POST",
      body: JSON.stringify({ name: "x".repeat(70_000) })
    })
    expect(response.status).toBe(413)
    expect(await response.json()).toMatchObject({ _tag: "PayloadTooLarge" })
  })

  it("answers a missing or bad token with 401 JSON", async () => {
    for (const auth of [null, "not-a-jwt", `${token}x`]) {
      const response = await api("/api/v1/projects", { auth })
      expect(response.status).toBe(401)
      expect(await response.json()).toMatchObject({ _tag: "Unauthorized" })
    }
  })

  it("answers an unknown route with a JSON 404", async () => {
    const response = await api("/api/v1/nothing-here")
    expect(response.status).toBe(404)
    expect(await response.json()).toMatchObject({ _tag: "NotFound" })
  })

  it("answers a duplicate registration with 409 and a wrong password with 401", async () => {
    const email = `dup-${crypto.randomUUID()}@example.com`
    const body = JSON.stringify({ email, password: "long enough", fullName: "D" })
    expect((await api("/api/v1/auth/register", { method: "POST", auth: null, body })).status).toBe(201)
    const again = await api("/api/v1/auth/register", {
      method: "POST",
      auth: null,
      body: JSON.stringify({ email: email.toUpperCase(), password: "long enough", fullName: "D" })
    })
    expect(again.status).toBe(409)
    expect(await again.json()).toMatchObject({ _tag: "Conflict", field: "email" })
    const wrong = await api("/api/v1/auth/login", {
      method: "POST",
      auth: null,
      body: JSON.stringify({ email, password: "not the password" })
    })
    expect(wrong.status).toBe(401)
    expect(await wrong.json()).toMatchObject({ _tag: "Unauthorized" })
  })
})

describe("auth tokens", () => {
  it("rotates refresh tokens and revokes the family when a spent one comes back", async () => {
    const registered = (await (
      await api("/api/v1/auth/register", {
        method: "POST",
        auth: null,
        body: JSON.stringify({ email: `rt-${crypto.randomUUID()}@example.com`, password: "long enough", fullName: "R" })
      })
    ).json()) as { refreshToken: string }
    const refresh = (refreshToken: string) =>
      api("/api/v1/auth/refresh", { method: "POST", auth: null, body: JSON.stringify({ refreshToken }) })
    const first = await refresh(registered.refreshToken)
    expect(first.status).toBe(200)
    const rotated = ((await first.json()) as { refreshToken: string; accessToken: string }).refreshToken
    expect(rotated).not.toBe(registered.refreshToken)
    // The spent token comes back: a thief has a copy. Both it and the current one stop working.
    expect((await refresh(registered.refreshToken)).status).toBe(401)
    expect((await refresh(rotated)).status).toBe(401)
  })
})

describe("projects", () => {
  it("lists with total, limit and offset", async () => {
    for (const name of ["A", "B", "C"]) {
      expect((await api("/api/v1/projects", { method: "POST", body: JSON.stringify({ name }) })).status).toBe(201)
    }
    const page = (await (await api("/api/v1/projects?limit=2&offset=1")).json()) as {
      items: Array<unknown>
      total: number
      limit: number
      offset: number
    }
    expect(page.items).toHaveLength(2)
    expect(page).toMatchObject({ limit: 2, offset: 1 })
    expect(page.total).toBeGreaterThanOrEqual(3)
  })

  it("answers 202 with a queued job for recalculate", async () => {
    const project = (await (
      await api("/api/v1/projects", { method: "POST", body: JSON.stringify({ name: "R" }) })
    ).json()) as { id: string }
    const response = await api(`/api/v1/projects/${project.id}/recalculate`, { method: "POST" })
    expect(response.status).toBe(202)
    const { job } = (await response.json()) as { job: { id: string; type: string; status: string } }
    expect(job.type).toBe("recalculate_budget")
    expect(["queued", "running", "completed"]).toContain(job.status)
  })
})

describe("operations", () => {
  it("returns a request id on every response and keeps a well-formed one from the caller", async () => {
    const generated = await api("/health")
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/)
    const kept = await api("/health", { headers: { "x-request-id": "trace-abc.123" } })
    expect(kept.headers.get("x-request-id")).toBe("trace-abc.123")
    const replaced = await api("/health", { headers: { "x-request-id": "bad id with spaces" } })
    expect(replaced.headers.get("x-request-id")).not.toBe("bad id with spaces")
  })

  it("serves health, readiness, OpenAPI and docs", async () => {
    expect(await (await api("/health", { auth: null })).json()).toEqual({ status: "ok" })
    const ready = await api("/ready", { auth: null })
    expect(ready.status).toBe(200)
    expect(await ready.json()).toEqual({ status: "ready", checks: { database: "up", migrations: "up" } })
    const openapi = (await (await api("/openapi.json", { auth: null })).json()) as {
      openapi: string
      paths: Record<string, unknown>
    }
    expect(openapi.openapi).toMatch(/^3\./)
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        "/api/v1/auth/register",
        "/api/v1/projects",
        "/api/v1/projects/{id}",
        "/api/v1/jobs/{id}"
      ])
    )
    const docs = await api("/docs", { auth: null })
    expect(docs.status).toBe(200)
    expect(docs.headers.get("content-type")).toContain("text/html")
  })
})
