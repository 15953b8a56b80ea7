// The embedded database keeps its data on disk across a close and reopen, and closing it releases the port.
import { mkdtemp, rm } from "node:fs/promises"
import * as net from "node:net"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Database from "@costline/server/database/Database"
import { DatabaseHealth } from "@costline/server/database/DatabaseHealth"
import * as Migrations from "@costline/server/database/Migrations"
import * as PgliteServer from "@costline/server/database/PgliteServer"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { SqlClient } from "effect/sql"

// A temporary directory, removed when the test's scope closes.
const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(path.join(tmpdir(), "costline-pglite-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

// Whether something accepts TCP connections on 127.0.0.1:port right now.
const accepts = (port: number) =>
  Effect.callback<boolean>((resume) => {
    const socket = net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed(true))
    })
    socket.once("error", () => resume(Effect.succeed(false)))
  })

describe("embedded PGlite", () => {
  it.live(
    "keeps data in its data directory across a close and a reopen",
    () =>
      Effect.gen(function* () {
        const root = yield* tempDir
        const dataDir = path.join(root, "nested", "data")

        const firstRun = Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          yield* sql`INSERT INTO users (email, password_hash, full_name) VALUES ('jana@example.com', 'h', 'Jana')`
          return yield* (yield* DatabaseHealth).check
        }).pipe(Effect.provide(Database.layerPglite({ dataDir })))
        assert.deepStrictEqual(yield* firstRun, { database: true, migrations: true })

        const secondRun = Effect.gen(function* () {
          const sql = yield* SqlClient.SqlClient
          const users = yield* sql<{ readonly full_name: string }>`SELECT full_name FROM users`
          // Reopening applied nothing new: the migrations are recorded in the data directory too.
          const again = yield* Migrations.run
          return { names: users.map((user) => user.full_name), again }
        }).pipe(Effect.provide(Database.layerPglite({ dataDir })))
        assert.deepStrictEqual(yield* secondRun, { names: ["Jana"], again: [] })
      }),
    60_000
  )

  it.live("an in-memory database starts empty every time", () =>
    Effect.gen(function* () {
      const count = Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`INSERT INTO kb_cache (key, value) VALUES ('k', '{}'::jsonb)`
        const rows = yield* sql`SELECT key FROM kb_cache`
        return rows.length
      }).pipe(Effect.provide(Database.layerPglite({ dataDir: undefined })))
      assert.strictEqual(yield* count, 1)
      assert.strictEqual(yield* count, 1)
    })
  )

  it.live("closing the scope stops the socket server and closes PGlite", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const server = yield* PgliteServer.make({ dataDir: undefined }).pipe(Scope.provide(scope))
      assert.strictEqual(server.host, "127.0.0.1")
      assert.isAbove(server.port, 0)
      assert.strictEqual(server.maxConnections, 1)
      assert.isTrue(yield* accepts(server.port))
      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* accepts(server.port))
      assert.isTrue(server.db.closed)
    })
  )

  // More than one client connection breaks: the socket server interleaves the connections' extended-protocol messages
  // on PGlite's single session ("portal does not exist"). The pool of one must serialise concurrent work instead.
  it.live("runs concurrent transactions one at a time over its single connection", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      yield* Effect.forEach(
        [1, 2, 3, 4, 5, 6],
        (n) =>
          sql.withTransaction(
            Effect.gen(function* () {
              yield* sql`INSERT INTO kb_cache (key, value) VALUES (${`k${n}`}, ${JSON.stringify({ n })}::jsonb)`
              yield* Effect.sleep("5 millis")
              yield* sql`UPDATE kb_cache SET value = jsonb_set(value, '{done}', 'true') WHERE key = ${`k${n}`}`
            })
          ),
        { concurrency: "unbounded", discard: true }
      )
      const rows = yield* sql<{ readonly n: string }>`SELECT count(*)::text AS n FROM kb_cache WHERE value ? 'done'`
      assert.strictEqual(rows[0]?.n, "6")
    }).pipe(Effect.provide(Database.layerPglite({ dataDir: undefined })))
  )
})
