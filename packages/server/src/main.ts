// `npm start`: the Costline server. Reads the environment, picks the profile, serves until SIGTERM/SIGINT.
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, Runtime } from "effect"
import { parseConfig } from "./config/AppConfig.ts"
import { processObservability } from "./config/logging.ts"
import { serverLayer } from "./ServerLayer.ts"

const program = Effect.gen(function* () {
  const config = yield* parseConfig(process.env)
  return yield* Layer.launch(serverLayer(config)).pipe(processObservability(config.logLevel))
}).pipe(
  Effect.catchTags({
    ConfigInvalid: (error) =>
      Effect.sync(() => {
        // One line the operator can act on, not a stack trace.
        process.stderr.write(`costline: ${error.message}\n`)
        process.exit(78)
      }),
    ClusterListenError: (error) =>
      Effect.sync(() => {
        process.stderr.write(`costline: ${error.message}\n`)
        process.exit(1)
      })
  })
)

// SIGTERM/SIGINT interrupt the program; once its finalizers have drained requests and closed sockets and pools,
// that is a clean stop (exit 0), not a failure.
const teardown: Runtime.Teardown = (exit, onExit) =>
  Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause) ? onExit(0) : Runtime.defaultTeardown(exit, onExit)

NodeRuntime.runMain(program, { teardown })
