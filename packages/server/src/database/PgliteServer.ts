// The embedded database: a PGlite instance (on disk or in memory) served over the PostgreSQL wire protocol on a local
// TCP port, so the embedded profile talks to it through the same PgClient as production talks to PostgreSQL.
import { mkdir } from "node:fs/promises"
import { PGlite } from "@electric-sql/pglite"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import type { Scope } from "effect"
import { Effect } from "effect"
import { DatabaseError } from "./DatabaseError.ts"
import * as DataDirLock from "./DataDirLock.ts"

export interface PgliteServerOptions {
  /** Directory PGlite keeps its files in, created if missing; undefined keeps the database in memory. */
  readonly dataDir: string | undefined
}

export interface PgliteServer {
  readonly db: PGlite
  readonly host: string
  readonly port: number
  /** The pool size a client must use: 1 (see `make`). */
  readonly maxConnections: 1
}

const host = "127.0.0.1"

const fail = (message: string) => (cause: unknown) => new DatabaseError({ operation: "start_embedded", message, cause })

/**
 * Opens PGlite and serves it on 127.0.0.1 with a port the OS picks. The scope closes the socket server first, then
 * PGlite (a client built later in the same scope is closed before both).
 *
 * PGlite is one backend session. The socket server feeds it the protocol messages of all its connections through one
 * queue, message by message, so two connections running extended-protocol queries at the same time interleave their
 * Parse/Bind/Execute messages and fail ("portal does not exist", seen with a pool of three). Hence exactly one client
 * connection: the pool serialises queries and transactions, which PGlite would do anyway.
 */
export const make = Effect.fnUntraced(function* (
  options: PgliteServerOptions
): Effect.fn.Return<PgliteServer, DatabaseError, Scope.Scope> {
  const maxConnections = 1
  const dataDir = options.dataDir

  if (dataDir !== undefined) {
    yield* Effect.tryPromise({
      try: () => mkdir(dataDir, { recursive: true }),
      catch: fail(
        `Could not create the embedded database directory ${dataDir}. Check COSTLINE_DATA_DIR and its permissions.`
      )
    })
    yield* DataDirLock.acquire(dataDir)
  }

  const db = yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => PGlite.create(dataDir === undefined ? {} : { dataDir }),
      catch: fail(
        dataDir === undefined
          ? "Could not start the in-memory embedded database."
          : `Could not open the embedded database in ${dataDir}.`
      )
    }),
    (db) => Effect.ignore(Effect.tryPromise(() => db.close()))
  )

  // The server accepts one connection more than the pool opens: when the pool replaces its connection, the new one can
  // arrive before the server has processed the old one's close, and a full server answers "Too many connections".
  // Only one of the two is ever in use, so messages never interleave.
  const server = new PGLiteSocketServer({ db, host, port: 0, maxConnections: maxConnections + 1 })
  yield* Effect.acquireRelease(
    Effect.tryPromise({
      try: () => server.start(),
      catch: fail("Could not open a local port for the embedded database.")
    }),
    () => Effect.ignore(Effect.tryPromise(() => server.stop()))
  )

  // getServerConn() is "host:port" and carries the port the OS bound, which the server keeps private otherwise.
  const port = Number(server.getServerConn().split(":").pop())
  if (!Number.isInteger(port) || port <= 0) {
    return yield* fail("The embedded database server did not report its port.")(server.getServerConn())
  }
  return { db, host, port, maxConnections }
})
