// /ready's database probe: up and migrated, up but not migrated, and down (refused or silent) within its timeout.
import * as net from "node:net"
import * as Database from "@costline/server/database/Database"
import { DatabaseHealth } from "@costline/server/database/DatabaseHealth"
import * as Migrations from "@costline/server/database/Migrations"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import { TestDatabase } from "../../../../test/support/TestDatabase.ts"

const check = Effect.flatMap(Effect.service(DatabaseHealth), (health) => health.check)

// A TCP server on a free port; `silent` accepts connections and never answers, like a hung database.
const listen = (silent: boolean) =>
  Effect.acquireRelease(
    Effect.callback<net.Server>((resume) => {
      const sockets = new Set<net.Socket>()
      const server = net.createServer((socket) => {
        sockets.add(socket)
        socket.on("close", () => sockets.delete(socket))
        if (!silent) socket.destroy()
      })
      server.on("close", () => {
        for (const socket of sockets) socket.destroy()
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.emit("close")
      })
  ).pipe(Effect.map((server) => (server.address() as net.AddressInfo).port))

// A port nothing listens on: bind one, then close it.
const closedPort = Effect.scoped(listen(false))

const healthAt = (port: number) =>
  DatabaseHealth.layerWith({ timeout: "500 millis" }).pipe(
    Layer.provide(Database.clientPostgres({ url: `postgres://postgres@127.0.0.1:${port}/postgres` }))
  )

const timed = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function* () {
    const started = performance.now()
    const value = yield* effect
    return { value, ms: performance.now() - started }
  })

describe("DatabaseHealth", () => {
  it.live("reports a migrated PostgreSQL database as up", () =>
    check.pipe(
      Effect.map((status) => assert.deepStrictEqual(status, { database: true, migrations: true })),
      Effect.provide(TestDatabase.layerMigrated)
    )
  )

  it.live("reports pending migrations until they are applied", () =>
    Effect.gen(function* () {
      assert.deepStrictEqual(yield* check, { database: true, migrations: false })
      yield* Migrations.run
      assert.deepStrictEqual(yield* check, { database: true, migrations: true })
    }).pipe(Effect.provide(DatabaseHealth.layer.pipe(Layer.provideMerge(TestDatabase.layerClient))))
  )

  it.live("reports the embedded database as up", () =>
    check.pipe(
      Effect.map((status) => assert.deepStrictEqual(status, { database: true, migrations: true })),
      Effect.provide(Database.layerPglite({ dataDir: undefined }))
    )
  )

  it.live("reports down, quickly, when nothing listens on the database port", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const { value, ms } = yield* timed(check.pipe(Effect.provide(healthAt(port))))
      assert.deepStrictEqual(value, { database: false, migrations: false })
      assert.isBelow(ms, 2_000)
    })
  )

  it.live("reports down within its timeout when the server accepts but never answers", () =>
    Effect.gen(function* () {
      const port = yield* listen(true)
      const { value, ms } = yield* timed(check.pipe(Effect.provide(healthAt(port))))
      assert.deepStrictEqual(value, { database: false, migrations: false })
      // 500 ms timeout, some slack for a busy machine, far below the driver's own 5 s connect timeout.
      assert.isAtLeast(ms, 450)
      assert.isBelow(ms, 3_000)
    })
  )
})
