// The schema's invariants, checked on both profiles: one row per (project, version) and (project, seq), exact reads
// of any version from revision rows, case-insensitive emails, and cascades from projects.
import * as Database from "@costline/server/database/Database"
import type { Vitest } from "@effect/vitest"
import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { SqlClient } from "effect/sql"
import type { SqlError } from "effect/sql/SqlError"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

const seedProject = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const email = `owner-${crypto.randomUUID()}@example.com`
  const [user] = yield* sql<{ readonly id: string }>`
    INSERT INTO users (email, password_hash, full_name) VALUES (${email}, 'hash', 'Owner') RETURNING id`
  const [project] = yield* sql<{ readonly id: string }>`
    INSERT INTO projects (name, owner_id) VALUES ('Bridge', ${user!.id}) RETURNING id`
  return { userId: user!.id, projectId: project!.id, email }
})

const failureReason = <A, R>(effect: Effect.Effect<A, SqlError, R>) =>
  effect.pipe(
    Effect.flip,
    Effect.map((error) => error.reason._tag)
  )

const insertVersion = (projectId: string, version: number, parent: number | null) =>
  Effect.flatMap(
    Effect.service(SqlClient.SqlClient),
    (sql) => sql`
      INSERT INTO budget_versions (project_id, version, parent_version, trigger_type)
      VALUES (${projectId}, ${version}, ${parent}, ${parent === null ? "initial" : "user_edit"})`
  )

interface Revision {
  readonly key: string
  readonly from: number
  readonly quantity: string
}

const insertRevision = (projectId: string, revision: Revision) =>
  Effect.flatMap(
    Effect.service(SqlClient.SqlClient),
    (sql) => sql`
      INSERT INTO positions (project_id, position_key, valid_from, code, description, unit, quantity, unit_price,
                             total, source)
      VALUES (${projectId}, ${revision.key}, ${revision.from}, '113107223', ${`item ${revision.key}`}, 'm2',
              ${revision.quantity}, '10.00', ${revision.quantity}::numeric * 10, 'manual')`
  )

// Closes the live row of a key at version v, as a writer does when v modifies or removes the position.
const closeRevision = (projectId: string, key: string, version: number) =>
  Effect.flatMap(
    Effect.service(SqlClient.SqlClient),
    (sql) => sql`
      UPDATE positions SET valid_to = ${version}
      WHERE project_id = ${projectId} AND position_key = ${key} AND valid_to IS NULL`
  )

const readVersion = (projectId: string, version: number) =>
  Effect.flatMap(
    Effect.service(SqlClient.SqlClient),
    (sql) => sql<{ readonly position_key: string; readonly quantity: string }>`
      SELECT position_key, quantity FROM positions
      WHERE project_id = ${projectId} AND valid_from <= ${version} AND (valid_to IS NULL OR valid_to > ${version})
      ORDER BY position_key`
  ).pipe(Effect.map((rows) => rows.map((row) => [row.position_key, Number(row.quantity)] as const)))

const schemaTests = (it: Vitest.MethodsNonLive<SqlClient.SqlClient>) => {
  it.effect("UNIQUE(project_id, version) rejects a second writer of the same version", () =>
    Effect.gen(function* () {
      const { projectId } = yield* seedProject
      const other = yield* seedProject
      yield* insertVersion(projectId, 1, null)
      assert.strictEqual(yield* failureReason(insertVersion(projectId, 1, null)), "UniqueViolation")
      // The same number in another project is fine.
      yield* insertVersion(other.projectId, 1, null)
      // A parent must be an existing version of the same project.
      assert.strictEqual(yield* failureReason(insertVersion(projectId, 3, 2)), "ConstraintError")
      yield* insertVersion(projectId, 2, 1)
    })
  )

  it.effect("UNIQUE(project_id, seq) keeps the event journal gap-free per project", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { projectId } = yield* seedProject
      const other = yield* seedProject
      const append = (project: string, seq: number) =>
        sql`INSERT INTO project_events (project_id, seq, type, payload)
            VALUES (${project}, ${seq}, 'ProjectUpdated', ${JSON.stringify({ seq })}::jsonb)`
      yield* append(projectId, 1)
      yield* append(projectId, 2)
      assert.strictEqual(yield* failureReason(append(projectId, 2)), "UniqueViolation")
      yield* append(other.projectId, 1)
      const rows = yield* sql<{ readonly seq: bigint }>`
        SELECT seq FROM project_events WHERE project_id = ${projectId} AND seq > ${1} ORDER BY seq`
      assert.deepStrictEqual(
        rows.map((row) => Number(row.seq)),
        [2]
      )
    })
  )

  it.effect("reads any version exactly from revision rows", () =>
    Effect.gen(function* () {
      const { projectId } = yield* seedProject
      // v1: a=1, b=2.  v2: a becomes 10, c=3 is added.  v3: b is removed.  v4: a becomes 7.
      yield* insertVersion(projectId, 1, null)
      yield* insertRevision(projectId, { key: "a", from: 1, quantity: "1" })
      yield* insertRevision(projectId, { key: "b", from: 1, quantity: "2" })
      yield* insertVersion(projectId, 2, 1)
      yield* closeRevision(projectId, "a", 2)
      yield* insertRevision(projectId, { key: "a", from: 2, quantity: "10" })
      yield* insertRevision(projectId, { key: "c", from: 2, quantity: "3" })
      yield* insertVersion(projectId, 3, 2)
      yield* closeRevision(projectId, "b", 3)
      yield* insertVersion(projectId, 4, 3)
      yield* closeRevision(projectId, "a", 4)
      yield* insertRevision(projectId, { key: "a", from: 4, quantity: "7" })

      assert.deepStrictEqual(yield* readVersion(projectId, 0), [])
      assert.deepStrictEqual(yield* readVersion(projectId, 1), [
        ["a", 1],
        ["b", 2]
      ])
      assert.deepStrictEqual(yield* readVersion(projectId, 2), [
        ["a", 10],
        ["b", 2],
        ["c", 3]
      ])
      assert.deepStrictEqual(yield* readVersion(projectId, 3), [
        ["a", 10],
        ["c", 3]
      ])
      assert.deepStrictEqual(yield* readVersion(projectId, 4), [
        ["a", 7],
        ["c", 3]
      ])

      const sql = yield* SqlClient.SqlClient
      const head = yield* sql<{ readonly position_key: string }>`
        SELECT position_key FROM positions WHERE project_id = ${projectId} AND valid_to IS NULL ORDER BY position_key`
      assert.deepStrictEqual(
        head.map((row) => row.position_key),
        ["a", "c"]
      )
      // Only one live row per key, and one revision per key and version.
      assert.strictEqual(
        yield* failureReason(insertRevision(projectId, { key: "c", from: 4, quantity: "1" })),
        "UniqueViolation"
      )
      yield* closeRevision(projectId, "c", 5)
      assert.strictEqual(
        yield* failureReason(insertRevision(projectId, { key: "c", from: 2, quantity: "1" })),
        "UniqueViolation"
      )
      // A revision cannot end before it starts.
      assert.strictEqual(
        yield* failureReason(sql`UPDATE positions SET valid_to = 1 WHERE project_id = ${projectId} AND valid_from = 4`),
        "ConstraintError"
      )
    })
  )

  it.effect("emails are unique regardless of case", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { email } = yield* seedProject
      const shouted = email.toUpperCase()
      assert.strictEqual(
        yield* failureReason(
          sql`INSERT INTO users (email, password_hash, full_name) VALUES (${shouted}, 'hash', 'Twin')`
        ),
        "UniqueViolation"
      )
      const found = yield* sql`SELECT id FROM users WHERE lower(email) = lower(${shouted})`
      assert.strictEqual(found.length, 1)
    })
  )

  it.effect("deleting a project removes its versions, positions, verdicts, events and jobs", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const { projectId, userId } = yield* seedProject
      yield* insertVersion(projectId, 1, null)
      yield* insertRevision(projectId, { key: "a", from: 1, quantity: "1" })
      yield* sql`INSERT INTO audit_results (project_id, version, position_key, role, verdict, confidence)
                 VALUES (${projectId}, 1, 'a', 'cost', 'GREEN', 90)`
      yield* sql`INSERT INTO project_events (project_id, seq, type) VALUES (${projectId}, 1, 'ProjectUpdated')`
      yield* sql`INSERT INTO project_members (project_id, user_id, role) VALUES (${projectId}, ${userId}, 'owner')`
      yield* sql`INSERT INTO background_jobs (id, project_id, type) VALUES (${`audit:${projectId}`}, ${projectId}, 'audit_project')`
      yield* sql`INSERT INTO activity_log (project_id, user_id, action) VALUES (${projectId}, ${userId}, 'project.created')`

      yield* sql`DELETE FROM projects WHERE id = ${projectId}`

      const [counts] = yield* sql<Record<string, bigint>>`
        SELECT (SELECT count(*) FROM budget_versions WHERE project_id = ${projectId}) AS versions,
               (SELECT count(*) FROM positions WHERE project_id = ${projectId}) AS positions,
               (SELECT count(*) FROM audit_results WHERE project_id = ${projectId}) AS verdicts,
               (SELECT count(*) FROM project_events WHERE project_id = ${projectId}) AS events,
               (SELECT count(*) FROM project_members WHERE project_id = ${projectId}) AS members,
               (SELECT count(*) FROM background_jobs WHERE project_id = ${projectId}) AS jobs,
               (SELECT count(*) FROM activity_log WHERE user_id = ${userId} AND project_id IS NULL) AS kept_log`
      assert.deepStrictEqual(Object.fromEntries(Object.entries(counts!).map(([key, value]) => [key, Number(value)])), {
        versions: 0,
        positions: 0,
        verdicts: 0,
        events: 0,
        members: 0,
        jobs: 0,
        kept_log: 1
      })
    })
  )
}

describe("schema", () => {
  layer(TestDatabase.layerMigrated, { excludeTestServices: true, timeout: 60_000 })("on PostgreSQL", schemaTests)
  layer(Database.layerPglite({ dataDir: undefined }), { excludeTestServices: true, timeout: 60_000 })(
    "on PGlite",
    schemaTests
  )
})
