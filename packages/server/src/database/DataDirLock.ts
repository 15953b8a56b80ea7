// An exclusive lock on an embedded data directory. PGlite has none of its own: two processes that open the same
// directory (a server and `npm run migrate`, two servers) both start, and each overwrites the other's writes.
import { open, readFile, unlink } from "node:fs/promises"
import { Effect } from "effect"
import type { Scope } from "effect"
import { DatabaseError } from "./DatabaseError.ts"

// Directories this process holds, so a second open in the same process is refused too.
const held = new Set<string>()

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === "EPERM"
  }
}

const inUse = (lockPath: string, pid: number) =>
  new DatabaseError({
    operation: "start_embedded",
    message: `The embedded database is in use by process ${pid} (lock file ${lockPath}). Stop that process first, or set COSTLINE_DATA_DIR to another directory.`,
    cause: undefined
  })

const tryCreate = (lockPath: string) =>
  Effect.tryPromise({
    try: async () => {
      const handle = await open(lockPath, "wx")
      await handle.writeFile(String(process.pid))
      await handle.close()
      return true
    },
    catch: (cause) => cause
  }).pipe(
    Effect.catch((cause) =>
      (cause as NodeJS.ErrnoException).code === "EEXIST"
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
  const lockPath = `${dataDir}.lock`
  const take: Effect.Effect<void, DatabaseError> = Effect.gen(function* () {
    if (held.has(lockPath)) return yield* inUse(lockPath, process.pid)
    if (yield* tryCreate(lockPath)) return
    const owner = yield* Effect.promise(() => readFile(lockPath, "utf8").catch(() => ""))
    const pid = Number.parseInt(owner, 10)
    if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) return yield* inUse(lockPath, pid)
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
