// `npm run bench`: runs every bench/*.bench.ts in turn (or the ones named on the command line).
import { spawnSync } from "node:child_process"
import { readdirSync } from "node:fs"
import { fileURLToPath } from "node:url"

const benchDir = fileURLToPath(new URL(".", import.meta.url))
const requested = process.argv.slice(2)
const scripts = readdirSync(benchDir)
  .filter((file) => file.endsWith(".bench.ts"))
  .filter((file) => requested.length === 0 || requested.some((name) => file.includes(name)))
  .sort()

let failed = 0
for (const script of scripts) {
  process.stdout.write(`\n=== ${script} ===\n`)
  const result = spawnSync(process.execPath, ["--disable-warning=ExperimentalWarning", `${benchDir}${script}`], {
    stdio: "inherit"
  })
  if (result.status !== 0) failed++
}
process.exit(failed === 0 ? 0 : 1)
