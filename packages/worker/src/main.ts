// `npm run worker`: runs background jobs from the BullMQ queues high/default/low until SIGTERM/SIGINT, then shuts
// down gracefully and exits 0. Needs DATABASE_URL and REDIS_URL.
import { processObservability } from "@costline/server/config/logging"
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Runtime } from "effect"
import * as Worker from "./Worker.ts"
import { parseWorkerConfig } from "./WorkerConfig.ts"

// A startup failure the operator can act on: one line, not a stack trace.
const stop = (code: number) => (error: { readonly message: string }) =>
  Effect.sync(() => {
    process.stderr.write(`costline-worker: ${error.message}\n`)
    process.exit(code)
  })

const program = Effect.gen(function* () {
  const config = yield* parseWorkerConfig(process.env)
  return yield* Worker.run(config).pipe(processObservability(config.app.logLevel))
}).pipe(
  Effect.catchTags({
    // 78 = EX_CONFIG, as the server uses.
    ConfigInvalid: stop(78),
    DatabaseError: stop(1),
    HealthServerError: stop(1)
  })
)

// SIGTERM/SIGINT interrupt the program; once its finalizers have run, that is a clean stop (exit 0), not a failure.
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

NodeRuntime.runMain(program, { teardown })
