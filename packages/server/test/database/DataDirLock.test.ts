// One process per embedded data directory: a second opener is refused, a dead owner's lock is taken over.
import { spawnSync } from "node:child_process"
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import * as path from "node:path"
import * as Database from "@costline/server/database/Database"
import * as DataDirLock from "@costline/server/database/DataDirLock"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Layer, Scope } from "effect"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(path.join(tmpdir(), "costline-lock-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true }))
)

const exists = (file: string) =>
  Effect.promise(() =>
    stat(file).then(
      () => true,
      () => false
    )
  )

describe("DataDirLock", () => {
  it.live("refuses a second holder in the same process and frees the directory on scope close", () =>
    Effect.gen(function* () {
      const dataDir = path.join(yield* tempDir, "data")
      const scope = yield* Scope.make()
      yield* DataDirLock.acquire(dataDir).pipe(Scope.provide(scope))
      assert.strictEqual(yield* Effect.promise(() => readFile(`${dataDir}.lock`, "utf8")), String(process.pid))

      const second = yield* Effect.flip(Effect.scoped(DataDirLock.acquire(dataDir)))
      assert.strictEqual(second.operation, "start_embedded")
      assert.include(second.message, "in use by process")

      yield* Scope.close(scope, Exit.void)
      assert.isFalse(yield* exists(`${dataDir}.lock`))
      yield* Effect.scoped(DataDirLock.acquire(dataDir))
    })
  )

  it.live("refuses a directory another running process holds", () =>
    Effect.gen(function* () {
      const dataDir = path.join(yield* tempDir, "data")
      // The parent process (the vitest runner) is alive for the whole test.
      yield* Effect.promise(() => writeFile(`${dataDir}.lock`, String(process.ppid)))
      const error = yield* Effect.flip(Effect.scoped(DataDirLock.acquire(dataDir)))
      assert.include(error.message, `in use by process ${process.ppid}`)
      assert.strictEqual(yield* Effect.promise(() => readFile(`${dataDir}.lock`, "utf8")), String(process.ppid))
    })
  )

  it.live("takes over the lock of a process that no longer runs", () =>
    Effect.gen(function* () {
      const dataDir = path.join(yield* tempDir, "data")
      const dead = spawnSync(process.execPath, ["-e", ""]).pid
      yield* Effect.promise(() => writeFile(`${dataDir}.lock`, String(dead)))
      yield* Effect.scoped(
        Effect.gen(function* () {
          yield* DataDirLock.acquire(dataDir)
          assert.strictEqual(yield* Effect.promise(() => readFile(`${dataDir}.lock`, "utf8")), String(process.pid))
        })
      )
    })
  )

  it.live("keeps a second embedded database off a directory that is open", () =>
    Effect.gen(function* () {
      const dataDir = path.join(yield* tempDir, "data")
      yield* Layer.build(Database.clientPglite({ dataDir }))
      const error = yield* Effect.flip(Effect.scoped(Layer.build(Database.clientPglite({ dataDir }))))
      assert.strictEqual(error.operation, "start_embedded")
      assert.include(error.message, "in use")
    })
  )
})
