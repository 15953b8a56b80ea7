// The foundation slice as a user of the SDK lives it: register, log in, create a project, subscribe, start a job,
// watch its progress arrive in order, and read the job's result back over HTTP. Shared by both profiles' tests.
import { createCostline, NotFound, type SubscriptionItem } from "@costline/sdk"
import { expect } from "vitest"

const waitUntil = async (what: string, condition: () => boolean, timeoutMs = 30_000) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

export const runSlice = async (baseUrl: string) => {
  const costline = createCostline({ baseUrl })
  const email = `jana-${crypto.randomUUID()}@example.com`
  const registered = await costline.register({ email, password: "correct horse battery", fullName: "Jana Nováková" })
  expect(registered.user.email).toBe(email)
  expect(registered.expiresIn).toBeGreaterThan(0)
  const session = await costline.login({ email, password: "correct horse battery" })
  expect(session.user.id).toBe(registered.user.id)

  const connection = await costline.connect(session.accessToken)
  try {
    const project = await connection.createProject({ name: "Most Kfely", description: "rekonstrukce" })
    expect(project.role).toBe("owner")
    expect(await connection.getProject(project.id)).toEqual(project)
    const page = await connection.listProjects({ limit: 10 })
    expect(page.items.map((item) => item.id)).toContain(project.id)

    const received: Array<SubscriptionItem> = []
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: (item) => {
        received.push(item)
      }
    })
    const job = await connection.recalculateProject(project.id)
    expect(job.type).toBe("recalculate_budget")

    const events = () => received.flatMap((item) => (item._tag === "ProjectEvent" ? [item] : []))
    await waitUntil("JobCompleted", () =>
      events().some((item) => item.event._tag === "JobCompleted" && item.event.job.id === job.id)
    )
    await subscription.unsubscribe()

    // seq is gap-free and increasing from the start of the project's journal.
    expect(events().map((item) => item.seq)).toEqual(events().map((_, index) => index + 1))
    const mine = events().filter(
      (item) =>
        (item.event._tag === "JobProgress" && item.event.jobId === job.id) ||
        (item.event._tag === "JobCompleted" && item.event.job.id === job.id)
    )
    const progress = mine.flatMap((item) => (item.event._tag === "JobProgress" ? [item.event.progress] : []))
    expect(progress.length).toBeGreaterThanOrEqual(3)
    expect([...progress].sort((a, b) => a - b)).toEqual(progress)
    expect(mine.at(-1)?.event._tag).toBe("JobCompleted")

    const response = await fetch(`${baseUrl}/api/v1/jobs/${job.id}`, {
      headers: { authorization: `Bearer ${session.accessToken}` }
    })
    expect(response.status).toBe(200)
    const stored = (await response.json()) as Record<string, unknown>
    expect(stored).toMatchObject({ id: job.id, status: "completed", progress: 1, error: null })
    expect(stored.result).toMatchObject({ total: "0.00", positionCount: 0 })

    // Someone who is not a member sees neither the project nor its job.
    const stranger = await costline.register({
      email: `petr-${crypto.randomUUID()}@example.com`,
      password: "another good password",
      fullName: "Petr"
    })
    const strangerConnection = await costline.connect(stranger.accessToken)
    await expect(strangerConnection.getProject(project.id)).rejects.toBeInstanceOf(NotFound)
    await expect(strangerConnection.getJob(job.id)).rejects.toBeInstanceOf(NotFound)
    await strangerConnection.close()
    const strangerHttp = await fetch(`${baseUrl}/api/v1/jobs/${job.id}`, {
      headers: { authorization: `Bearer ${stranger.accessToken}` }
    })
    expect(strangerHttp.status).toBe(404)
  } finally {
    await connection.close()
  }
}
