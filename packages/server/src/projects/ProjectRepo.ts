// Reads and writes projects and their memberships. Every read is scoped to a member: a non-member sees nothing.
import type { CreateProjectPayload, DecimalString, Project, ProjectId, ProjectRole, UserId } from "@costline/core"
import { Context, Effect, Layer, Option } from "effect"
import { SqlClient } from "effect/sql"

interface Row {
  id: string
  name: string
  description: string | null
  owner_id: string
  role: ProjectRole
  current_version: number
  last_event_seq: bigint | string | number
  total_cost: string | null
  green_count: number
  amber_count: number
  red_count: number
  unaudited_count: number
  created_at: Date | string
  updated_at: Date | string
}

const iso = (value: Date | string) => (value instanceof Date ? value : new Date(value)).toISOString()

/** numeric comes back as a string with the column's scale; the wire wants at least two decimals. */
const money = (value: string | null): DecimalString => {
  const raw = value ?? "0"
  const [whole, fraction = ""] = raw.split(".")
  return `${whole}.${fraction.padEnd(2, "0")}` as DecimalString
}

const toProject = (row: Row): Project => ({
  id: row.id as ProjectId,
  name: row.name,
  description: row.description ?? "",
  ownerId: row.owner_id as UserId,
  role: row.role,
  currentVersion: Number(row.current_version),
  lastEventSeq: Number(row.last_event_seq),
  totalCost: money(row.total_cost),
  statusCounts: {
    green: Number(row.green_count),
    amber: Number(row.amber_count),
    red: Number(row.red_count),
    unaudited: Number(row.unaudited_count)
  },
  createdAt: iso(row.created_at),
  updatedAt: iso(row.updated_at)
})

export class ProjectRepo extends Context.Service<
  ProjectRepo,
  {
    /** Creates the project with the caller as its owner, in one transaction. */
    readonly create: (ownerId: UserId, payload: CreateProjectPayload) => Effect.Effect<Project>
    /** None when the project does not exist or the user is not a member: both answer 404. */
    readonly findForMember: (projectId: ProjectId, userId: UserId) => Effect.Effect<Option.Option<Project>>
    readonly listForMember: (
      userId: UserId,
      page: { readonly limit: number; readonly offset: number }
    ) => Effect.Effect<{ readonly items: ReadonlyArray<Project>; readonly total: number }>
  }
>()("@costline/server/ProjectRepo") {
  static readonly layer = Layer.effect(
    ProjectRepo,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient

      const create = Effect.fn("ProjectRepo.create")(function* (ownerId: UserId, payload: CreateProjectPayload) {
        const rows = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              const created = yield* sql<Row>`
                INSERT INTO projects (name, description, owner_id)
                VALUES (${payload.name.trim()}, ${payload.description ?? ""}, ${ownerId})
                RETURNING *, 'owner' AS role`
              const project = created[0]!
              yield* sql`
                INSERT INTO project_members (project_id, user_id, role, added_by)
                VALUES (${project.id}, ${ownerId}, 'owner', ${ownerId})`
              return created
            })
          )
          .pipe(Effect.orDie)
        return toProject(rows[0]!)
      })

      // On the path of every project request (GET and the access check of every command): plain combinators, no span.
      const findForMember = (projectId: ProjectId, userId: UserId) =>
        sql<Row>`
          SELECT p.*, m.role FROM projects p
          JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
          WHERE p.id = ${projectId} AND p.archived_at IS NULL`.pipe(
          Effect.orDie,
          Effect.map((rows) => Option.map(Option.fromNullishOr(rows[0]), toProject))
        )

      const listForMember = Effect.fn("ProjectRepo.listForMember")(function* (
        userId: UserId,
        page: { readonly limit: number; readonly offset: number }
      ) {
        const rows = yield* sql<Row & { total: string }>`
          SELECT p.*, m.role, count(*) OVER () AS total FROM projects p
          JOIN project_members m ON m.project_id = p.id AND m.user_id = ${userId}
          WHERE p.archived_at IS NULL
          ORDER BY p.updated_at DESC, p.id
          LIMIT ${page.limit} OFFSET ${page.offset}`.pipe(Effect.orDie)
        const total =
          rows[0] !== undefined
            ? Number(rows[0].total)
            : page.offset === 0
              ? 0
              : // The page is past the end; count separately so the caller still learns the total.
                Number(
                  (yield* sql<{ total: string }>`
                    SELECT count(*) AS total FROM project_members m JOIN projects p ON p.id = m.project_id
                    WHERE m.user_id = ${userId} AND p.archived_at IS NULL`.pipe(Effect.orDie))[0]?.total ?? 0
                )
        return { items: rows.map(toProject), total }
      })

      return ProjectRepo.of({ create, findForMember, listForMember })
    })
  )
}
