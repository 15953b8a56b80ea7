// `npm start`: the Costline server. Reads the environment, picks the profile, serves until SIGTERM/SIGINT.
import { NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, References } from "effect"
import { parseConfig } from "./config/AppConfig.ts"
import { logLevelOf } from "./config/logging.ts"
import { serverLayer } from "./ServerLayer.ts"

const program = Effect.gen(function* () {
  const config = yield* parseConfig(process.env)
  return yield* Layer.launch(serverLayer(config)).pipe(
    Effect.provide(Logger.layer([Logger.consoleJson])),
    Effect.provideService(References.MinimumLogLevel, logLevelOf(config.logLevel))
  )
}).pipe(
  Effect.catchTag("ConfigInvalid", (error) =>
    Effect.sync(() => {
      // One line the operator can act on, not a stack trace.
      process.stderr.write(`costline: ${error.message}\n`)
      process.exit(78)
    })
  )
)

NodeRuntime.runMain(program)
