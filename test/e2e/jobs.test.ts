// The jobs API through the real (embedded) server over HTTP: list a project's jobs (newest first, by status, paged),
// cancel a queued and a running job, retry a cancelled one, 409 for a retry of a running job and a cancel of a finished
// one, 404 for non-members and unknown ids — and a restart of the embedded server that resumes the jobs a stop left
// queued or running. COSTLINE_TEST_JOB_DELAY_MS makes every job wait before its work, so jobs can be caught queued.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"

interface Job {
  readonly id: string
  readonly projectId: string
  readonly type: string
  readonly status: string
  readonly attempts: number
  readonly message: string
}
interface JobPage {
  readonly items: ReadonlyArray<Job>
  readonly total: number
  readonly limit: number
  readonly offset: number
}

const request = async (baseUrl: string, path: string, init: RequestInit & { token?: string } = {}) => {
  const headers = new Headers(init.headers)
  if (init.token !== undefined) headers.set("authorization", `Bearer ${init.token}`)
  if (init.body !== undefined) headers.set("content-type", "application/json")
  const response = await fetch(`${baseUrl}${path}`, { ...init, headers })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : (JSON.parse(text) as unknown) }
}

const register = async (baseUrl: string) => {
  const response = await request(baseUrl, "/api/v1/auth/register", {
    method: "POST",
    body: JSON.stringify({ email: `jobs-${crypto.randomUUID()}@example.com`, password: "long enough", fullName: "J" })
  })
  expect(response.status).toBe(201)
  return (response.body as { accessToken: string }).accessToken
}

const createProject = async (baseUrl: string, token: string) => {
  const response = await request(baseUrl, "/api/v1/projects", {
    method: "POST",
    token,
    body: JSON.stringify({ name: "Jobs e2e" })
  })
  expect(response.status).toBe(201)
  return (response.body as { id: string }).id
}

const recalculate = async (baseUrl: string, token: string, projectId: string) => {
  const response = await request(baseUrl, `/api/v1/projects/${projectId}/recalculate`, { method: "POST", token })
  expect(response.status).toBe(202)
  return (response.body as { job: Job }).job
}

const getJob = async (baseUrl: string, token: string, jobId: string) => {
  const response = await request(baseUrl, `/api/v1/jobs/${jobId}`, { token })
  expect(response.status).toBe(200)
  return response.body as Job
}

const waitFor = async (baseUrl: string, token: string, jobId: string, statuses: ReadonlyArray<string>, ms = 20_000) => {
  const deadline = Date.now() + ms
  let last: Job | undefined
  while (Date.now() < deadline) {
    last = await getJob(baseUrl, token, jobId)
    if (statuses.includes(last.status)) return last
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`job ${jobId} did not reach ${statuses.join("/")}: ${JSON.stringify(last)}`)
}

/** The test behaviours are read from the environment when a server's job layers are built. */
const withEnv = async <A>(env: Record<string, string>, start: () => Promise<A>): Promise<A> => {
  const saved = Object.fromEntries(Object.keys(env).map((key) => [key, process.env[key]]))
  Object.assign(process.env, env)
  try {
    return await start()
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key]
      else process.env[key] = value
    }
  }
}

describe("jobs API (embedded profile)", () => {
  let server: InProcessServer
  let owner: string
  let stranger: string
  let projectId: string

  beforeAll(async () => {
    server = await withEnv({ COSTLINE_TEST_PROCESSORS: "1", COSTLINE_TEST_JOB_DELAY_MS: "1500" }, () =>
      startInProcessServer()
    )
    owner = await register(server.url)
    stranger = await register(server.url)
    projectId = await createProject(server.url, owner)
  })
  afterAll(() => server?.stop())

  it("cancels queued and running jobs, retries a cancelled one, lists by status, and refuses the rest", async () => {
    // Two run at once in the embedded profile: the third waits in the queue.
    const first = await recalculate(server.url, owner, projectId)
    const second = await recalculate(server.url, owner, projectId)
    const third = await recalculate(server.url, owner, projectId)
    await waitFor(server.url, owner, first.id, ["running"])
    await waitFor(server.url, owner, second.id, ["running"])
    expect((await getJob(server.url, owner, third.id)).status).toBe("queued")

    const cancelQueued = await request(server.url, `/api/v1/jobs/${third.id}`, { method: "DELETE", token: owner })
    expect(cancelQueued.status).toBe(200)
    expect(cancelQueued.body).toMatchObject({ id: third.id, status: "cancelled", attempts: 0 })

    const cancelRunning = await request(server.url, `/api/v1/jobs/${first.id}`, { method: "DELETE", token: owner })
    expect(cancelRunning.status).toBe(200)
    expect((cancelRunning.body as Job).status).toBe("running")
    expect((await waitFor(server.url, owner, first.id, ["cancelled", "completed", "failed"], 5000)).status).toBe(
      "cancelled"
    )

    const retryRunning = await request(server.url, `/api/v1/jobs/${second.id}/retry`, { method: "POST", token: owner })
    expect(retryRunning.status).toBe(409)
    expect(retryRunning.body).toMatchObject({ _tag: "Conflict" })
    expect((await waitFor(server.url, owner, second.id, ["completed", "failed"])).status).toBe("completed")
    const cancelDone = await request(server.url, `/api/v1/jobs/${second.id}`, { method: "DELETE", token: owner })
    expect(cancelDone.status).toBe(409)
    expect((cancelDone.body as { message: string }).message).toContain("completed")

    const retried = await request(server.url, `/api/v1/jobs/${third.id}/retry`, { method: "POST", token: owner })
    expect(retried.status).toBe(202)
    expect(retried.body).toMatchObject({ job: { id: third.id, status: "queued", attempts: 0 } })
    expect((await waitFor(server.url, owner, third.id, ["completed", "failed"])).status).toBe("completed")

    const all = await request(server.url, `/api/v1/projects/${projectId}/jobs`, { token: owner })
    expect(all.status).toBe(200)
    const page = all.body as JobPage
    expect(page.total).toBe(3)
    expect(page.items.map((job) => job.id)).toEqual([third.id, second.id, first.id])
    const cancelled = await request(server.url, `/api/v1/projects/${projectId}/jobs?status=cancelled`, { token: owner })
    expect((cancelled.body as JobPage).items.map((job) => job.id)).toEqual([first.id])
    const paged = await request(server.url, `/api/v1/projects/${projectId}/jobs?limit=1&offset=1`, { token: owner })
    expect(paged.body).toMatchObject({ total: 3, limit: 1, offset: 1, items: [{ id: second.id }] })
    const badStatus = await request(server.url, `/api/v1/projects/${projectId}/jobs?status=lost`, { token: owner })
    expect(badStatus.status).toBe(400)
  })

  it("answers 404 to non-members and for unknown jobs, and leaves their jobs alone", async () => {
    const job = await recalculate(server.url, owner, projectId)
    for (const [method, path] of [
      ["GET", `/api/v1/jobs/${job.id}`],
      ["DELETE", `/api/v1/jobs/${job.id}`],
      ["POST", `/api/v1/jobs/${job.id}/retry`],
      ["GET", `/api/v1/projects/${projectId}/jobs`]
    ] as const) {
      const response = await request(server.url, path, { method, token: stranger })
      expect(response.status, `${method} ${path}`).toBe(404)
    }
    expect((await request(server.url, "/api/v1/jobs/no-such-job", { method: "DELETE", token: owner })).status).toBe(404)
    expect((await waitFor(server.url, owner, job.id, ["completed", "failed", "cancelled"])).status).toBe("completed")
  })
})

describe("embedded restart", () => {
  it("resumes the jobs a stopped server left queued or running, on the same data directory", async () => {
    const dataDir = await mkdtemp(join(tmpdir(), "costline-jobs-restart-"))
    try {
      const first = await withEnv({ COSTLINE_TEST_PROCESSORS: "1", COSTLINE_TEST_JOB_DELAY_MS: "3000" }, () =>
        startInProcessServer({ COSTLINE_DATA_DIR: dataDir })
      )
      const token = await register(first.url)
      const projectId = await createProject(first.url, token)
      const jobs = []
      for (let i = 0; i < 5; i++) jobs.push(await recalculate(first.url, token, projectId))
      await waitFor(first.url, token, jobs[0]!.id, ["running"])
      const before = await Promise.all(jobs.map((job) => getJob(first.url, token, job.id)))
      expect(before.filter((job) => job.status === "queued").length).toBeGreaterThanOrEqual(3)
      expect(before.every((job) => job.status === "queued" || job.status === "running")).toBe(true)
      await first.stop()

      const second = await startInProcessServer({ COSTLINE_DATA_DIR: dataDir })
      try {
        for (const job of jobs) {
          const done = await waitFor(second.url, token, job.id, ["completed", "failed", "cancelled"], 30_000)
          expect(done.status, JSON.stringify(done)).toBe("completed")
          expect(done.attempts).toBe(1)
        }
      } finally {
        await second.stop()
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true })
    }
  })
})
