// Rows the document tests share: users, a project with members in given roles, and a multipart body as the server
// sees it (the parts stream of effect's multipart parser over what fetch would send for a FormData).
import type { ProjectId, ProjectRole, UserId } from "@costline/core"
import { Effect, Stream } from "effect"
import { Multipart } from "effect/http"
import { SqlClient } from "effect/sql"

export const insertUser = (label: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [user] = yield* sql<{ id: string }>`
      INSERT INTO users (email, password_hash, full_name)
      VALUES (${`${label}-${crypto.randomUUID()}@example.com`}, 'not-a-real-hash', ${label}) RETURNING id`
    return user!.id as UserId
  }).pipe(Effect.orDie)

/** A project owned by `owner`, with the other users added in their roles. */
export const insertProject = (owner: UserId, members: ReadonlyArray<readonly [UserId, ProjectRole]> = []) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [project] = yield* sql<{ id: string }>`
      INSERT INTO projects (name, owner_id) VALUES ('Documents test', ${owner}) RETURNING id`
    const projectId = project!.id as ProjectId
    for (const [userId, role] of [[owner, "owner"] as const, ...members]) {
      yield* sql`INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${userId}, ${role})`
    }
    return projectId
  }).pipe(Effect.orDie)

/** The parts stream the HTTP API hands an upload handler, for the body fetch would send for `form`. */
export const multipartParts = (form: FormData) =>
  Effect.promise(async () => {
    const request = new Request("http://localhost/", { method: "POST", body: form })
    const headers = { "content-type": request.headers.get("content-type") ?? "" }
    const body = new Uint8Array(await request.arrayBuffer())
    // Several chunks, as a socket delivers them.
    const chunks = Array.from({ length: Math.ceil(body.byteLength / 1000) }, (_, i) =>
      body.subarray(i * 1000, (i + 1) * 1000)
    )
    return Stream.fromIterable(chunks).pipe(Stream.pipeThroughChannel(Multipart.makeChannel(headers)))
  })

export const fileForm = (content: string | Uint8Array<ArrayBuffer>, fileName: string, type = "text/csv") => {
  const form = new FormData()
  form.append("file", new Blob([content], { type }), fileName)
  return form
}
