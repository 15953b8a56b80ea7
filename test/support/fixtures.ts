// The one place tests find the real budget files: COSTLINE_FIXTURES_DIR, by default ../shared/data beside the repo.
// The files are read in place, never copied into the project; tests that need them skip visibly when absent.
import { existsSync, readFileSync } from "node:fs"
import { dirname, isAbsolute, join, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..")

const configured = process.env.COSTLINE_FIXTURES_DIR

/** Absolute path of the real-data directory (it may not exist). */
export const fixturesDir: string =
  configured === undefined || configured === ""
    ? resolve(repoRoot, "..", "shared", "data")
    : isAbsolute(configured)
      ? configured
      : resolve(repoRoot, configured)

/** The bytes of a file under the fixtures directory, undefined when it is not there. */
export const readFixture = (relPath: string): Uint8Array | undefined => {
  const path = join(fixturesDir, relPath)
  return existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined
}

/** Whether every listed file is present; warns once per missing set, naming the directory, when not. */
export const fixturesAvailable = (...relPaths: ReadonlyArray<string>): boolean => {
  const missing = relPaths.filter((p) => !existsSync(join(fixturesDir, p)))
  if (missing.length > 0)
    console.warn(
      `[fixtures] SKIPPING tests that need ${missing.join(", ")}: not found in ${fixturesDir} ` +
        "(set COSTLINE_FIXTURES_DIR to the directory holding the real data)."
    )
  return missing.length === 0
}

/** Like readFixture, for tests already guarded by fixturesAvailable. */
export const requireFixture = (relPath: string): Uint8Array => {
  const bytes = readFixture(relPath)
  if (bytes === undefined) throw new Error(`fixture ${relPath} not found in ${fixturesDir}`)
  return bytes
}
