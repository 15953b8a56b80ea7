// Documents through the real server and fetch + FormData: upload (202 with the document and its queued parse job),
// the same bytes again (200, the same document), list, get, download of the identical bytes, 404 for readers who
// upload and for non-members everywhere, 413 past MAX_UPLOAD_BYTES, 400 naming the missing field — and nothing
// written when an upload is refused. The production profile runs without a worker, so parse jobs stay queued; the
// parse result belongs to the pipeline tests.
import { createHash } from "node:crypto"
import { readdir } from "node:fs/promises"
import { PgClient } from "@effect/sql-pg"
import { Effect, ManagedRuntime, Redacted } from "effect"
import { Redis } from "ioredis"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { fixturesAvailable, readFixture } from "../support/fixtures.ts"
import { type InProcessServer, startInProcessServer } from "../support/inProcessServer.ts"
import { deleteRedisKeys, testRedisUrl, uniqueRedisPrefix } from "../support/redisKeys.ts"
import { signUp } from "../support/signUp.ts"
import { createTestDatabase, type TestDatabaseHandle } from "../support/TestDatabase.ts"

const UNIXML = "boq/rd-valcha.unixml.xml"
// Low, so the 413 tests send little, yet above rd-valcha.unixml.xml (540 KB).
const MAX_UPLOAD_BYTES = 1024 * 1024

interface Document {
  readonly id: string
  readonly projectId: string
  readonly fileName: string
  readonly contentType: string
  readonly sizeBytes: number
  readonly sha256: string
  readonly format: string
  readonly parseStatus: string
  readonly problemCount: number
  readonly importProblems?: ReadonlyArray<unknown>
}
interface Job {
  readonly id: string
  readonly type: string
  readonly status: string
  readonly projectId: string
}
interface Uploaded {
  readonly document: Document
  readonly job: Job
  readonly created: boolean
}

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex")
const csvBytes = (label: string) =>
  new TextEncoder().encode(`kód;popis;MJ;množství;jednotková cena\n${label}-1;Beton C 25/30;m3;12,5;2 850\n`)

/** A signed-in user of the server under test. */
interface Client {
  readonly id: string
  readonly fetch: (path: string, init?: RequestInit) => Promise<Response>
}

const newClient = async (url: string, label: string): Promise<Client> => {
  const body = await signUp(url, label)
  return {
    id: body.user.id,
    fetch: (path, init = {}) => {
      const headers = new Headers(init.headers)
      headers.set("authorization", `Bearer ${body.accessToken}`)
      return fetch(`${url}${path}`, { ...init, headers })
    }
  }
}

const fileForm = (bytes: Uint8Array<ArrayBuffer>, fileName: string, type = "") => {
  const form = new FormData()
  form.append("file", new Blob([bytes], { type }), fileName)
  return form
}

const upload = (client: Client, projectId: string, form: FormData) =>
  client.fetch(`/api/v1/projects/${projectId}/documents`, { method: "POST", body: form })

/** Files in the blob directory, temporaries included: a refused upload must leave none. */
const blobFiles = async (dir: string) =>
  (await readdir(dir, { recursive: true, withFileTypes: true }))
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name)
    .sort()

describe("documents (production profile, in-process server, no worker)", () => {
  let database: TestDatabaseHandle
  let server: InProcessServer
  let sql: ManagedRuntime.ManagedRuntime<PgClient.PgClient, unknown>
  const redisPrefix = uniqueRedisPrefix()
  let owner: Client
  let viewer: Client
  let stranger: Client
  let projectId: string

  const query = <A extends object>(text: string, ...params: ReadonlyArray<string>) =>
    sql.runPromise(Effect.flatMap(PgClient.PgClient, (pg) => pg.unsafe<A>(text, params)))

  const documentRows = async () =>
    Number((await query<{ n: string }>("SELECT count(*) AS n FROM project_documents"))[0]!.n)

  beforeAll(async () => {
    database = await createTestDatabase()
    server = await startInProcessServer({
      DATABASE_URL: database.url,
      REDIS_URL: testRedisUrl,
      REDIS_PREFIX: redisPrefix,
      JWT_SECRET: `e2e-secret-${crypto.randomUUID()}`,
      MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES)
    })
    sql = ManagedRuntime.make(PgClient.layer({ url: Redacted.make(database.url), maxConnections: 1 }))
    ;[owner, viewer, stranger] = await Promise.all([
      newClient(server.url, "owner"),
      newClient(server.url, "viewer"),
      newClient(server.url, "stranger")
    ])
    const created = await owner.fetch("/api/v1/projects", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Documents e2e" })
    })
    expect(created.status).toBe(201)
    projectId = ((await created.json()) as { id: string }).id
    // There is no membership API yet: the viewer is added the way an owner's invitation will add them.
    await query(
      "INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, 'viewer')",
      projectId,
      viewer.id
    )
  })

  afterAll(async () => {
    await sql?.dispose()
    await server?.stop()
    await database?.drop()
    await deleteRedisKeys(redisPrefix)
  })

  it.skipIf(!fixturesAvailable(UNIXML))(
    "uploads the KROS UNIXML budget: 202, the document and its queued parse job",
    async () => {
      const bytes = readFixture(UNIXML)! as Uint8Array<ArrayBuffer>
      const response = await upload(owner, projectId, fileForm(bytes, "rd-valcha.unixml.xml"))
      expect(response.status).toBe(202)
      const { document, job, created } = (await response.json()) as Uploaded
      expect(created).toBe(true)
      expect(document).toMatchObject({
        projectId,
        fileName: "rd-valcha.unixml.xml",
        contentType: "application/xml",
        sizeBytes: bytes.byteLength,
        sha256: sha256(bytes),
        format: "unixml",
        parseStatus: "pending",
        problemCount: 0,
        importProblems: []
      })
      expect(job).toMatchObject({ id: `parse:${document.id}`, type: "parse_document", status: "queued", projectId })
      // The job is on BullMQ's default queue under its encoded deterministic id.
      const redis = new Redis(testRedisUrl)
      try {
        const data = await redis.hget(`${redisPrefix}:default:job_parse%3A${document.id}`, "data")
        expect(JSON.parse(data ?? "null")).toEqual({ jobId: job.id })
      } finally {
        await redis.quit()
      }
      // And readable through the jobs API.
      const read = await owner.fetch(`/api/v1/jobs/${encodeURIComponent(job.id)}`)
      expect(read.status).toBe(200)
      expect(await read.json()).toMatchObject({ id: job.id, type: "parse_document" })
    }
  )

  it("uploads a CSV (202); the same bytes again answer 200 with the same document and job", async () => {
    const bytes = csvBytes("again")
    const first = await upload(owner, projectId, fileForm(bytes, "rozpočet.csv", "text/csv"))
    expect(first.status).toBe(202)
    const accepted = (await first.json()) as Uploaded
    expect(accepted.document).toMatchObject({ fileName: "rozpočet.csv", contentType: "text/csv", format: "csv" })

    const second = await upload(owner, projectId, fileForm(bytes, "copy.csv", "text/csv"))
    expect(second.status).toBe(200)
    const existing = (await second.json()) as Uploaded
    expect(existing.created).toBe(false)
    expect(existing.document.id).toBe(accepted.document.id)
    expect(existing.document.fileName).toBe("rozpočet.csv")
    expect(existing.job.id).toBe(accepted.job.id)
    const rows = await query<{ n: string }>(
      "SELECT count(*) AS n FROM project_documents WHERE project_id = $1 AND sha256 = $2",
      projectId,
      sha256(bytes)
    )
    expect(Number(rows[0]!.n)).toBe(1)
    // One blob file for the content, wherever it was uploaded.
    expect((await blobFiles(server.config.blobDir)).filter((name) => name === sha256(bytes))).toHaveLength(1)
  })

  it("lists and gets the documents, and serves the identical bytes with type and name", async () => {
    const bytes = csvBytes("download")
    const uploaded = (await (
      await upload(owner, projectId, fileForm(bytes, "Výkaz výměr SO 01.csv", "text/csv"))
    ).json()) as Uploaded

    const list = await owner.fetch(`/api/v1/projects/${projectId}/documents`)
    expect(list.status).toBe(200)
    const { items } = (await list.json()) as { items: ReadonlyArray<Document> }
    expect(items[0]).toMatchObject({ id: uploaded.document.id, parseStatus: "pending", problemCount: 0 })
    expect(items[0]).not.toHaveProperty("importProblems")

    const get = await owner.fetch(`/api/v1/documents/${uploaded.document.id}`)
    expect(get.status).toBe(200)
    expect(await get.json()).toMatchObject({ id: uploaded.document.id, sha256: sha256(bytes), importProblems: [] })

    const content = await owner.fetch(`/api/v1/documents/${uploaded.document.id}/content`)
    expect(content.status).toBe(200)
    expect(content.headers.get("content-type")).toBe("text/csv")
    expect(content.headers.get("content-disposition")).toContain(
      `filename*=UTF-8''V%C3%BDkaz%20v%C3%BDm%C4%9Br%20SO%2001.csv`
    )
    expect(content.headers.get("x-content-type-options")).toBe("nosniff")
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes)
  })

  it("a viewer reads but cannot upload (404, nothing written); a non-member gets 404 from every endpoint", async () => {
    const before = await documentRows()
    const viewerUpload = await upload(viewer, projectId, fileForm(csvBytes("viewer"), "v.csv"))
    expect(viewerUpload.status).toBe(404)
    expect(await viewerUpload.json()).toMatchObject({ _tag: "NotFound", resource: "project" })
    expect(await documentRows()).toBe(before)

    const listed = await viewer.fetch(`/api/v1/projects/${projectId}/documents`)
    expect(listed.status).toBe(200)
    const { items } = (await listed.json()) as { items: ReadonlyArray<Document> }
    const documentId = items[0]!.id
    expect((await viewer.fetch(`/api/v1/documents/${documentId}`)).status).toBe(200)
    expect((await viewer.fetch(`/api/v1/documents/${documentId}/content`)).status).toBe(200)

    const attempts = [
      upload(stranger, projectId, fileForm(csvBytes("stranger"), "s.csv")),
      stranger.fetch(`/api/v1/projects/${projectId}/documents`),
      stranger.fetch(`/api/v1/documents/${documentId}`),
      stranger.fetch(`/api/v1/documents/${documentId}/content`),
      owner.fetch(`/api/v1/documents/${crypto.randomUUID()}`)
    ]
    for (const response of await Promise.all(attempts)) {
      expect(response.status).toBe(404)
      expect(await response.json()).toMatchObject({ _tag: "NotFound" })
    }
    expect(await documentRows()).toBe(before)
  })

  it("an upload over MAX_UPLOAD_BYTES gets 413 JSON and leaves no row and no file", async () => {
    const before = { rows: await documentRows(), files: await blobFiles(server.config.blobDir) }
    // Far over: refused from its Content-Length by the transport, before the body is read.
    const far = await upload(owner, projectId, fileForm(new Uint8Array(MAX_UPLOAD_BYTES * 2).fill(59), "far.csv"))
    expect(far.status).toBe(413)
    expect(await far.json()).toMatchObject({ _tag: "PayloadTooLarge" })
    // Just over: the body fits the envelope allowance, the file is stopped while it streams to disk.
    const just = await upload(owner, projectId, fileForm(new Uint8Array(MAX_UPLOAD_BYTES + 1).fill(59), "just.csv"))
    expect(just.status).toBe(413)
    expect(await just.json()).toMatchObject({ _tag: "PayloadTooLarge", limitBytes: MAX_UPLOAD_BYTES })
    expect(await documentRows()).toBe(before.rows)
    expect(await blobFiles(server.config.blobDir)).toEqual(before.files)
  })

  it("a request without a file gets 400 naming the field, and writes nothing", async () => {
    const before = { rows: await documentRows(), files: await blobFiles(server.config.blobDir) }
    const noFile = await upload(owner, projectId, new FormData())
    expect(noFile.status).toBe(400)
    expect(await noFile.json()).toMatchObject({ _tag: "InvalidRequest", field: "file" })

    const wrongField = new FormData()
    wrongField.append("document", new Blob([csvBytes("wrong")]), "w.csv")
    const wrong = await upload(owner, projectId, wrongField)
    expect(wrong.status).toBe(400)
    expect(await wrong.json()).toMatchObject({ _tag: "InvalidRequest", field: "document" })

    const notMultipart = await owner.fetch(`/api/v1/projects/${projectId}/documents`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: "kód;popis\n"
    })
    expect(notMultipart.status).toBe(400)
    expect(await notMultipart.json()).toMatchObject({ _tag: "InvalidRequest", field: "content-type" })

    const empty = await upload(owner, projectId, fileForm(new Uint8Array(0), "empty.csv"))
    expect(empty.status).toBe(400)
    expect(await empty.json()).toMatchObject({ _tag: "InvalidRequest", field: "file" })

    expect(await documentRows()).toBe(before.rows)
    expect(await blobFiles(server.config.blobDir)).toEqual(before.files)
  })
})

describe("documents (embedded profile)", () => {
  let server: InProcessServer
  beforeAll(async () => {
    server = await startInProcessServer()
  })
  afterAll(() => server?.stop())

  it("uploads, finds the same document for the same bytes, and serves them back", async () => {
    const owner = await newClient(server.url, "embedded")
    const created = await owner.fetch("/api/v1/projects", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name: "Embedded documents" })
    })
    const { id: projectId } = (await created.json()) as { id: string }
    const bytes = csvBytes("embedded")
    const first = await upload(owner, projectId, fileForm(bytes, "a.csv"))
    expect(first.status).toBe(202)
    const accepted = (await first.json()) as Uploaded
    expect(accepted.job).toMatchObject({ id: `parse:${accepted.document.id}`, type: "parse_document" })
    const again = await upload(owner, projectId, fileForm(bytes, "a.csv"))
    expect(again.status).toBe(200)
    expect(((await again.json()) as Uploaded).document.id).toBe(accepted.document.id)
    const content = await owner.fetch(`/api/v1/documents/${accepted.document.id}/content`)
    expect(new Uint8Array(await content.arrayBuffer())).toEqual(bytes)
  })
})
