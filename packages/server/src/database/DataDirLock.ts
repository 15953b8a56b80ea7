// An exclusive lock on an embedded data directory. PGlite has none of its own: two processes that open the same
// directory (a server and `npm run migrate`, two servers) both start, and each overwrites the other's writes.
import { open, readFile, unlink } from "node:fs/promises"
import * as path from "node:path"
import type { Scope } from "effect"
import { Effect, Predicate } from "effect"
import { DatabaseError } from "./DatabaseError.ts"

// Directories this process holds, so a second open in the same process is refused too.
const held = new Set<string>()

const errorCode = (error: unknown): unknown => (Predicate.hasProperty(error, "code") ? error.code : undefined)

// Signal 0 only checks for existence; EPERM means the process exists but belongs to another user.
const isAlive = (pid: number): Effect.Effect<boolean> =>
  Effect.try({ try: () => process.kill(pid, 0), catch: errorCode }).pipe(
    Effect.as(true),
    Effect.catch((code) => Effect.succeed(code === "EPERM"))
  )

const inUse = (lockPath: string, pid: number) =>
  new DatabaseError({
    operation: "start_embedded",
    message: `The embedded database is in use by process ${pid} (lock file ${lockPath}). Stop that process first, or set COSTLINE_DATA_DIR to another directory.`,
    cause: undefined
  })

const tryCreate = (lockPath: string) =>
  Effect.tryPromise({
    // "wx" fails with EEXIST when the file exists: creating it is the atomic test-and-set.
    try: () =>
      open(lockPath, "wx").then((handle) => handle.writeFile(String(process.pid)).finally(() => handle.close())),
    catch: (cause) => cause
  }).pipe(
    Effect.as(true),
    Effect.catch((cause) =>
      errorCode(cause) === "EEXIST"
        ? Effect.succeed(false)
        : Effect.fail(
            new DatabaseError({
              operation: "start_embedded",
              message: `Could not create the lock file ${lockPath}. Check the permissions of COSTLINE_DATA_DIR.`,
              cause
            })
          )
    )
  )

/**
 * Takes `${dataDir}.lock` (next to the directory, so PGlite's own files stay untouched) until the scope closes.
 * A lock left by a process that no longer runs is taken over. The same pid as ours from another process incarnation
 * (pid 1 in a restarted container) counts as stale unless this process holds the directory.
 */
export const acquire = (dataDir: string): Effect.Effect<void, DatabaseError, Scope.Scope> => {
  const lockPath = `${path.resolve(dataDir)}.lock`
  const take: Effect.Effect<void, DatabaseError> = Effect.gen(function* () {
    if (held.has(lockPath)) return yield* inUse(lockPath, process.pid)
    if (yield* tryCreate(lockPath)) return
    const owner = yield* Effect.promise(() => readFile(lockPath, "utf8").catch(() => ""))
    const pid = Number.parseInt(owner, 10)
    const live = Number.isInteger(pid) && pid > 0 && pid !== process.pid && (yield* isAlive(pid))
    if (live) return yield* inUse(lockPath, pid)
    yield* Effect.logWarning(`Taking over the stale lock ${lockPath} of process ${owner || "unknown"}`)
    yield* Effect.promise(() => unlink(lockPath).catch(() => undefined))
    if (!(yield* tryCreate(lockPath))) return yield* inUse(lockPath, pid)
  })
  return Effect.acquireRelease(
    Effect.tap(take, () => Effect.sync(() => held.add(lockPath))),
    () =>
      Effect.sync(() => held.delete(lockPath)).pipe(
        Effect.andThen(Effect.promise(() => unlink(lockPath).catch(() => undefined)))
      )
  )
}
