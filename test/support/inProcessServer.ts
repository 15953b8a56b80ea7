// Runs the whole server inside the test process (embedded profile unless told otherwise) and hands back its URL.
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type AppConfigShape, parseConfig } from "@costline/server/config/AppConfig"
import { serverLayer } from "@costline/server/ServerLayer"
import { Context, Effect, Exit, Layer, Logger, References, Scope } from "effect"
import { HttpServer } from "effect/http"

export interface InProcessServer {
  readonly url: string
  readonly config: AppConfigShape
  readonly stop: () => Promise<void>
}

export const startInProcessServer = async (env: Record<string, string> = {}): Promise<InProcessServer> => {
  const dataDir = await mkdtemp(join(tmpdir(), "costline-test-"))
  const config = await Effect.runPromise(
    parseConfig({ HOST: "127.0.0.1", PORT: "0", CLUSTER_PORT: "0", COSTLINE_DATA_DIR: dataDir, ...env })
  )
  const scope = Effect.runSync(Scope.make())
  const context = await Effect.runPromise(
    Layer.buildWithScope(serverLayer(config), scope).pipe(
      Effect.provide(Logger.layer([Logger.consoleJson])),
      Effect.provideService(References.MinimumLogLevel, "Warn")
    )
  )
  const server = Context.get(context, HttpServer.HttpServer)
  const url = new URL(HttpServer.formatAddress(server.address)).origin
  return {
    url,
    config,
    stop: async () => {
      await Effect.runPromise(Scope.close(scope, Exit.void))
      await rm(dataDir, { recursive: true, force: true })
    }
  }
}
