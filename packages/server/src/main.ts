// `npm start`: the Costline server. Reads the environment, picks the profile, serves until SIGTERM/SIGINT.
import { NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, Exit, Layer, References, Runtime } from "effect"
import { parseConfig } from "./config/AppConfig.ts"
import { jsonLogs, logLevelOf } from "./config/logging.ts"
import { serverLayer } from "./ServerLayer.ts"

const program = Effect.gen(function* () {
  const config = yield* parseConfig(process.env)
  return yield* Layer.launch(serverLayer(config)).pipe(
    Effect.provide(jsonLogs),
    Effect.provideService(References.MinimumLogLevel, logLevelOf(config.logLevel)),
    // No tracer is installed (nothing exports spans), so the spans of every Effect.fn and SQL statement would be built
    // and dropped on each request: about 15% of a small request's CPU time. Whoever adds an exporter turns this on.
    Effect.provideService(References.TracerEnabled, false)
  )
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
