// The pipeline as a user lives it, over HTTP and the SDK's project subscription: upload a real budget, watch parse →
// enrich → audit complete with their events in order, read the counts, export the budget and parse it back, ask for
// an audit, see a corrupt file fail once without retries, and see a stranger get 404s. Shared by both profiles.
import { type ParsedBudget, parseBudget, type SubscriptionItem } from "@costline/core"
import { createCostline } from "@costline/sdk"
import { Effect } from "effect"
import { expect } from "vitest"

const waitUntil = async (
  what: string,
  condition: () => boolean,
  seen: () => unknown = () => "",
  timeoutMs = 60_000
) => {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; seen: ${JSON.stringify(seen())}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

type JobView = {
  readonly id: string
  readonly type: string
  readonly status: string
  readonly attempts: number
  readonly error: { readonly message: string; readonly retryable: boolean } | null
  readonly result: Record<string, unknown> | null
}

type ProjectEventItem = Extract<SubscriptionItem, { readonly _tag: "ProjectEvent" }>

export interface PipelineOptions {
  /** The budget file and its name. */
  readonly file: Uint8Array
  readonly fileName: string
  /** Positions the file holds. */
  readonly positionCount: number
  /** Whether the server answers this export with a job (EXPORT_DIRECT_LIMIT below positionCount). */
  readonly exportThroughJob: boolean
}

export const runPipeline = async (baseUrl: string, options: PipelineOptions) => {
  const costline = createCostline({ baseUrl })
  const email = `pipeline-${crypto.randomUUID()}@example.com`
  const session = await costline.register({ email, password: "correct horse battery", fullName: "Jana Auditorka" })
  const token = session.accessToken
  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${baseUrl}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } })
  const getJob = async (id: string): Promise<JobView> =>
    (await (await api(`/api/v1/jobs/${encodeURIComponent(id)}`)).json()) as JobView
  const upload = async (projectId: string, bytes: Uint8Array, fileName: string) => {
    const form = new FormData()
    // slice(): a copy on its own ArrayBuffer, which is what Blob takes.
    form.append("file", new Blob([bytes.slice()]), fileName)
    const response = await api(`/api/v1/projects/${projectId}/documents`, { method: "POST", body: form })
    expect(response.status, await response.clone().text()).toBe(202)
    return (await response.json()) as { document: { id: string }; job: JobView }
  }

  const connection = await costline.connect(token)
  try {
    const project = await connection.createProject({ name: "Rodinný dům Valcha" })
    const received: Array<SubscriptionItem> = []
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: (item) => void received.push(item)
    })
    const events = (): Array<ProjectEventItem> =>
      received.flatMap((item) => (item._tag === "ProjectEvent" ? [item] : []))
    const jobOf = (item: ProjectEventItem) => {
      const event = item.event
      return event._tag === "JobProgress" ? event.jobId : "job" in event ? event.job.id : undefined
    }

    // Upload → parse → enrich → audit.
    const startedAt = performance.now()
    const uploaded = await upload(project.id, options.file, options.fileName)
    const parseId = uploaded.job.id
    expect(parseId).toBe(`parse:${uploaded.document.id}`)
    const auditDone = () =>
      events().find((item) => item.event._tag === "JobCompleted" && item.event.job.type === "audit_project")
    await waitUntil(
      "the pipeline's audit to complete",
      () => auditDone() !== undefined,
      () => events().map((item) => [item.seq, item.event._tag, jobOf(item)])
    )
    const uploadToAuditedMs = Math.round(performance.now() - startedAt)
    const audited = auditDone()!.event as { job: JobView & { result: { version: number } } }
    const finalVersion = audited.job.result.version
    const enrichId = `enrich:${project.id}:1`
    const auditId = `audit:${project.id}:${finalVersion}`
    expect(audited.job.id).toBe(auditId)

    // Events in pipeline order: each job's events come after the previous job completed.
    const all = events()
    expect(all.map((item) => item.seq)).toEqual(all.map((_, index) => index + 1))
    const index = (predicate: (item: ProjectEventItem) => boolean) => all.findIndex(predicate)
    const completed = (id: string) => index((item) => item.event._tag === "JobCompleted" && item.event.job.id === id)
    const firstOf = (id: string) => index((item) => jobOf(item) === id)
    const version1 = index((item) => item.event._tag === "VersionCreated" && item.event.version.version === 1)
    expect(version1).toBeGreaterThanOrEqual(0)
    expect(completed(parseId)).toBeGreaterThan(version1)
    expect(firstOf(enrichId)).toBeGreaterThan(completed(parseId))
    expect(completed(enrichId)).toBeGreaterThan(firstOf(enrichId))
    expect(firstOf(auditId)).toBeGreaterThan(completed(enrichId))
    const countsEvent = index((item) => item.event._tag === "ProjectUpdated")
    expect(countsEvent).toBeGreaterThan(firstOf(auditId))
    expect(completed(auditId)).toBeGreaterThan(countsEvent)

    // The project shows the audit's counts; the document its parse.
    const after = await connection.getProject(project.id)
    expect(after.currentVersion).toBe(finalVersion)
    const counts = after.statusCounts
    expect(counts.green + counts.amber + counts.red).toBe(options.positionCount)
    expect(counts.unaudited).toBe(0)
    const document = (await (await api(`/api/v1/documents/${uploaded.document.id}`)).json()) as Record<string, unknown>
    expect(document).toMatchObject({ parseStatus: "parsed", versionCreated: 1 })

    // Export, then parse the file again: the same positions.
    const exported = await api(`/api/v1/projects/${project.id}/export?format=unixml`)
    let file: Uint8Array
    let exportJobId: string | undefined
    if (options.exportThroughJob) {
      expect(exported.status).toBe(202)
      const { job } = (await exported.json()) as { job: JobView }
      expect(job.id).toBe(`export:${project.id}:${finalVersion}:unixml`)
      exportJobId = job.id
      let current = job
      const deadline = Date.now() + 60_000
      while (current.status !== "completed" && Date.now() < deadline) {
        expect(current.status).not.toBe("failed")
        await new Promise((resolve) => setTimeout(resolve, 50))
        current = await getJob(job.id)
      }
      expect(current.result).toMatchObject({ format: "unixml", downloadUrl: `/api/v1/jobs/${job.id}/download` })
      const download = await api(String(current.result!.downloadUrl))
      expect(download.status).toBe(200)
      expect(download.headers.get("content-disposition")).toMatch(/^attachment; filename=".+\.unixml\.xml"$/)
      file = new Uint8Array(await download.arrayBuffer())
    } else {
      expect(exported.status).toBe(200)
      expect(exported.headers.get("content-disposition")).toBe(
        `attachment; filename="Rodinny-dum-Valcha-v${finalVersion}.unixml.xml"`
      )
      file = new Uint8Array(await exported.arrayBuffer())
    }
    const back: ParsedBudget = Effect.runSync(parseBudget(file))
    const original: ParsedBudget = Effect.runSync(parseBudget(options.file))
    expect(back.positions.length).toBe(options.positionCount)
    expect(back.positions.map((p) => [p.positionKey, p.quantity, p.unitPrice])).toEqual(
      original.positions.map((p) => [p.positionKey, p.quantity, p.unitPrice])
    )

    // An audit asked for by a person: the job of that version (done already, so the same job comes back).
    const asked = await api(`/api/v1/projects/${project.id}/audit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}"
    })
    expect(asked.status).toBe(202)
    expect(((await asked.json()) as { job: JobView }).job).toMatchObject({ id: auditId, type: "audit_project" })
    const tooNew = await api(`/api/v1/projects/${project.id}/audit`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ version: finalVersion + 5 })
    })
    expect(tooNew.status).toBe(400)
    expect(((await tooNew.json()) as { message: string }).message).toContain(
      `version ${finalVersion + 5} does not exist`
    )
    // Only an export job has a file to download.
    expect((await api(`/api/v1/jobs/${parseId}/download`)).status).toBe(404)

    // A corrupt file fails once, for good, with a message saying why; the budget does not change.
    const corrupt = await upload(project.id, new TextEncoder().encode("<unixml><stavba>"), "broken.xml")
    let failed = await getJob(corrupt.job.id)
    const failDeadline = Date.now() + 30_000
    while (failed.status !== "failed" && Date.now() < failDeadline) {
      await new Promise((resolve) => setTimeout(resolve, 50))
      failed = await getJob(corrupt.job.id)
    }
    expect(failed).toMatchObject({ status: "failed", attempts: 1 })
    expect(failed.error?.retryable).toBe(false)
    expect(failed.error?.message).toMatch(/^"broken\.xml" could not be imported \(malformed\)/)
    expect((await connection.getProject(project.id)).currentVersion).toBe(finalVersion)
    await subscription.unsubscribe()

    // A stranger sees none of it.
    const stranger = await costline.register({
      email: `stranger-${crypto.randomUUID()}@example.com`,
      password: "another good password",
      fullName: "Petr"
    })
    const as = (path: string, init: RequestInit = {}) =>
      fetch(`${baseUrl}${path}`, {
        ...init,
        headers: { authorization: `Bearer ${stranger.accessToken}`, "content-type": "application/json" }
      })
    expect((await as(`/api/v1/projects/${project.id}/audit`, { method: "POST", body: "{}" })).status).toBe(404)
    expect((await as(`/api/v1/projects/${project.id}/export?format=csv`)).status).toBe(404)
    if (exportJobId !== undefined) expect((await as(`/api/v1/jobs/${exportJobId}/download`)).status).toBe(404)
    return { projectId: project.id, finalVersion, uploadToAuditedMs }
  } finally {
    await connection.close()
  }
}
