// Benchmark peer: our exact Effect application (same handlers, services and database layer) served by
// @effect/platform-node's node:http server instead of our uWS adapter. The difference is the transport alone.
import { createServer } from "node:http"
import { parseConfig } from "@costline/server/config/AppConfig"
import { httpOnlyLayer } from "@costline/server/ServerLayer"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Logger, References } from "effect"

const program = Effect.gen(function* () {
  const config = yield* parseConfig(process.env)
  return yield* Layer.launch(
    httpOnlyLayer(config, NodeHttpServer.layer(createServer, { port: config.port, host: config.host }))
  )
}).pipe(
  // The same runtime settings as packages/server/src/main.ts, so the transport stays the only difference.
  Effect.provide(Logger.layer([Logger.consoleJson])),
  Effect.provideService(References.MinimumLogLevel, "Info"),
  Effect.provideService(References.TracerEnabled, false)
)

NodeRuntime.runMain(program)
