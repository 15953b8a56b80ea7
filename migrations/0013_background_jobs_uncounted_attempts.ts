// background_jobs.uncounted_attempts: attempts the row has made that users are not shown: those before the job's last
// retry through the API, and those handed back at a worker's shutdown. The `attempts` column now only ever counts up:
// it is each attempt's fencing number (a write of attempt N lands only while the row says N), and an attempt of an
// earlier run still stopping somewhere must never pass for a later attempt that got the same number. Users see
// attempts and max_attempts less the uncounted ones (JobRecord.ts): a retried job starts again at attempt 1 of its
// budget, and a shutdown does not use one up. The CHECK makes a process of an older build, which would still reset
// attempts to 0 at a retry, fail that retry instead of writing a row whose counts go negative: deploy this with every
// server and worker stopped, or expect retries to fail until the old ones are gone.
import { Effect } from "effect"
import { SqlClient } from "effect/sql"

export default Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  yield* sql`
    ALTER TABLE background_jobs
      ADD COLUMN uncounted_attempts integer NOT NULL DEFAULT 0
        CHECK (uncounted_attempts >= 0 AND uncounted_attempts <= attempts)`
})
