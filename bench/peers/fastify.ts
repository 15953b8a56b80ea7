// Benchmark peer: GET /api/v1/projects/:id in Fastify 5 with node-postgres, doing the same work as our endpoint —
// verify the bearer JWT, read the project joined with the caller's membership, answer the same JSON.
import Fastify from "fastify"
import { jwtVerify } from "jose"
import pg from "pg"

const databaseUrl = process.env.DATABASE_URL
const jwtSecret = process.env.JWT_SECRET
if (databaseUrl === undefined || jwtSecret === undefined) throw new Error("DATABASE_URL and JWT_SECRET are required")
const key = new TextEncoder().encode(jwtSecret)
const pool = new pg.Pool({ connectionString: databaseUrl, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) })

const money = (value: string | null) => {
  const [whole, fraction = ""] = (value ?? "0").split(".")
  return `${whole}.${fraction.padEnd(2, "0")}`
}

const app = Fastify({ logger: false })

app.get<{ Params: { id: string } }>("/api/v1/projects/:id", async (request, reply) => {
  const token = request.headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]
  const claims =
    token === undefined
      ? undefined
      : await jwtVerify(token, key, { algorithms: ["HS256"], issuer: "costline" }).catch(() => undefined)
  if (claims === undefined || typeof claims.payload.sub !== "string") {
    return reply.code(401).send({ _tag: "Unauthorized", message: "missing or invalid access token" })
  }
  if (!/^[0-9a-f-]{36}$/i.test(request.params.id)) {
    return reply.code(400).send({ _tag: "InvalidRequest", message: "id must be a UUID", field: "id" })
  }
  const { rows } = await pool.query(
    `SELECT p.*, m.role FROM projects p
     JOIN project_members m ON m.project_id = p.id AND m.user_id = $2
     WHERE p.id = $1 AND p.archived_at IS NULL`,
    [request.params.id, claims.payload.sub]
  )
  const row = rows[0]
  if (row === undefined) return reply.code(404).send({ _tag: "NotFound", message: "project not found" })
  return {
    id: row.id,
    name: row.name,
    description: row.description ?? "",
    ownerId: row.owner_id,
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
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString()
  }
})

const address = await app.listen({ host: "127.0.0.1", port: Number(process.env.PORT ?? 0) })
process.stdout.write(`${JSON.stringify({ message: "listening", url: address })}\n`)
const stop = () =>
  void app
    .close()
    .then(() => pool.end())
    .then(() => process.exit(0))
process.on("SIGTERM", stop)
process.on("SIGINT", stop)
