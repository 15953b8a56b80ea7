// Appends a project's events to its journal (project_events) with the next gap-free seq, then publishes them.
// Owns seq assignment; does NOT own delivery to sockets (ProjectHub) or transport between processes (EventBus).
import type { ProjectEvent, ProjectEventBody, ProjectId } from "@costline/core"
import { Clock, Context, DateTime, Effect, Layer } from "effect"
import { SqlClient } from "effect/sql"
import { EventBus } from "./EventBus.ts"

export class ProjectEventLog extends Context.Service<
  ProjectEventLog,
  {
    /** Journals the event and publishes it; the returned event carries its seq. */
    readonly append: (projectId: ProjectId, body: ProjectEventBody) => Effect.Effect<ProjectEvent>
    /** Events with seq > afterSeq, oldest first (at most `limit`). */
    readonly readAfter: (
      projectId: ProjectId,
      afterSeq: number,
      limit: number
    ) => Effect.Effect<ReadonlyArray<ProjectEvent>>
    /** The seq of the newest journaled event (0 when none), and the oldest one still kept. */
    readonly bounds: (projectId: ProjectId) => Effect.Effect<{ readonly first: number; readonly last: number }>
  }
>()("@costline/server/ProjectEventLog") {
  static readonly layer = Layer.effect(
    ProjectEventLog,
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const bus = yield* EventBus

      const append = Effect.fn("ProjectEventLog.append")(function* (projectId: ProjectId, body: ProjectEventBody) {
        const at = DateTime.formatIso(DateTime.makeUnsafe(yield* Clock.currentTimeMillis))
        // The row lock on the project serialises writers, and the counter rolls back with a failed
        // transaction, so seq stays gap-free per project across processes.
        const seq = yield* sql
          .withTransaction(
            Effect.gen(function* () {
              const rows = yield* sql<{ seq: string }>`
                UPDATE projects SET last_event_seq = last_event_seq + 1
                WHERE id = ${projectId} RETURNING last_event_seq AS seq`
              const row = rows[0]
              if (row === undefined) return yield* Effect.die(new Error(`project ${projectId} does not exist`))
              yield* sql`
                INSERT INTO project_events (project_id, seq, type, payload, created_at)
                VALUES (${projectId}, ${row.seq}, ${body._tag}, ${JSON.stringify(body)}::jsonb, ${at})`
              return Number(row.seq)
            })
          )
          .pipe(Effect.orDie)
        const event: ProjectEvent = { _tag: "ProjectEvent", projectId, seq, at, event: body }
        // Inside a caller's transaction the event must not be seen before it commits: a rolled-back seq is handed
        // out again, and subscribers that saw the first one would skip the second as a duplicate.
        yield* sql.afterCommit(bus.publish(event))
        return event
      })

      const toEvent = (row: {
        project_id: string
        seq: string | number
        payload: unknown
        created_at: Date | string
      }): ProjectEvent => ({
        _tag: "ProjectEvent",
        projectId: row.project_id as ProjectId,
        seq: Number(row.seq),
        at: row.created_at instanceof Date ? row.created_at.toISOString() : String(row.created_at),
        event: (typeof row.payload === "string" ? JSON.parse(row.payload) : row.payload) as ProjectEventBody
      })

      const readAfter = Effect.fn("ProjectEventLog.readAfter")(function* (
        projectId: ProjectId,
        afterSeq: number,
        limit: number
      ) {
        const rows = yield* sql<{ project_id: string; seq: string; payload: unknown; created_at: Date }>`
          SELECT project_id, seq, payload, created_at FROM project_events
          WHERE project_id = ${projectId} AND seq > ${afterSeq}
          ORDER BY seq LIMIT ${limit}`.pipe(Effect.orDie)
        return rows.map(toEvent)
      })

      const bounds = Effect.fn("ProjectEventLog.bounds")(function* (projectId: ProjectId) {
        const rows = yield* sql<{ first: string | null; last: string | null }>`
          SELECT min(seq) AS first, max(seq) AS last FROM project_events WHERE project_id = ${projectId}`.pipe(
          Effect.orDie
        )
        const row = rows[0]
        return { first: Number(row?.first ?? 0), last: Number(row?.last ?? 0) }
      })

      return ProjectEventLog.of({ append, readAfter, bounds })
    })
  )
}
