// Assembles the whole server for the profile the configuration selects: storage, services, actors, HTTP and RPC
// on one uWS app and port. main.ts launches it; tests launch it in-process.
import { CostlineApi, CostlineRpcs } from "@costline/core"
import { Effect, type FileSystem, Layer, Option, type Path } from "effect"
import type { Sharding } from "effect/cluster"
import { type Etag, type HttpPlatform, HttpRouter, HttpServer } from "effect/http"
import { HttpApiBuilder, HttpApiScalar } from "effect/http-api"
import { RpcSerialization, RpcServer } from "effect/rpc"
import type { SqlClient } from "effect/sql"
import * as ActorCluster from "./actors/ActorCluster.ts"
import { ProjectActorLayer } from "./actors/ProjectActor.ts"
import { AuthService } from "./auth/AuthService.ts"
import { JwtSecret } from "./auth/JwtSecret.ts"
import { PasswordHasher } from "./auth/PasswordHasher.ts"
import { SessionRepo } from "./auth/SessionRepo.ts"
import { TokenService } from "./auth/TokenService.ts"
import { UserRepo } from "./auth/UserRepo.ts"
import { BlobStore, type BlobStoreError } from "./blobs/BlobStore.ts"
import { BudgetRepo } from "./budget/BudgetRepo.ts"
import { AppConfig, type AppConfigShape } from "./config/AppConfig.ts"
import * as Database from "./database/Database.ts"
import { DocumentCommands } from "./documents/DocumentCommands.ts"
import { DocumentRepo } from "./documents/DocumentRepo.ts"
import { uploadBodyLimit } from "./documents/uploadBodyLimit.ts"
import { EventBus } from "./events/EventBus.ts"
import { ProjectEventLog } from "./events/ProjectEventLog.ts"
import { ProjectHub } from "./events/ProjectHub.ts"
import { AuthenticationLive } from "./http/AuthenticationLive.ts"
import { AuthHandlers } from "./http/handlers/AuthHandlers.ts"
import { DocumentsHandlers } from "./http/handlers/DocumentsHandlers.ts"
import { JobsHandlers } from "./http/handlers/JobsHandlers.ts"
import { PipelineHandlers } from "./http/handlers/PipelineHandlers.ts"
import { ProjectsHandlers } from "./http/handlers/ProjectsHandlers.ts"
import { SystemHandlers } from "./http/handlers/SystemHandlers.ts"
import { Readiness } from "./http/Readiness.ts"
import { requestMiddleware } from "./http/RequestMiddleware.ts"
import { JobCommands } from "./jobs/JobCommands.ts"
import { JobQueue } from "./jobs/JobQueue.ts"
import { JobRepo } from "./jobs/JobRepo.ts"
import * as PipelineLayers from "./jobs/processors/PipelineLayers.ts"
import { PipelineCommands } from "./pipeline/PipelineCommands.ts"
import { ProjectAccess } from "./projects/ProjectAccess.ts"
import { ProjectCommands } from "./projects/ProjectCommands.ts"
import { ProjectRepo } from "./projects/ProjectRepo.ts"
import { Redis } from "./redis/Redis.ts"
import { RpcHandlers, USER_ID_HEADER } from "./rpc/RpcHandlers.ts"
import { UwsApp } from "./transport/UwsApp.ts"
import * as UwsHttpServer from "./transport/UwsHttpServer.ts"
import * as UwsRpcProtocol from "./transport/UwsRpcProtocol.ts"

export const RPC_PATH = "/api/v1/rpc"

/** Storage and the services every process of the profile shares (the worker uses this too). */
export const infrastructureLayer = (config: AppConfigShape) => {
  const database =
    config.profile === "production" && config.databaseUrl !== undefined
      ? Database.layerPostgres({ url: config.databaseUrl, maxConnections: config.databasePoolSize })
      : Database.layerPglite({ dataDir: Database.embeddedDataDir(config.dataDir) })
  const messaging =
    config.profile === "production" ? EventBus.layerRedis.pipe(Layer.provideMerge(Redis.layer)) : EventBus.layerMemory
  return Layer.mergeAll(database, messaging).pipe(Layer.provideMerge(Layer.succeed(AppConfig, config)))
}

const servicesLayer = (config: AppConfigShape) => {
  const auth = AuthService.layer.pipe(
    Layer.provideMerge(Layer.mergeAll(UserRepo.layer, SessionRepo.layer, PasswordHasher.layer)),
    Layer.provideMerge(TokenService.layer),
    Layer.provideMerge(JwtSecret.layer)
  )
  const events = ProjectHub.layer.pipe(Layer.provideMerge(ProjectEventLog.layer))
  // Production: every server is a runner of one cluster on the shared database, and the workers send to it.
  const cluster = config.profile === "production" ? ActorCluster.layerRunner(config) : ActorCluster.layerSingle
  // Embedded: the pipeline's processors run in this process and write through the actors (hence the cluster).
  const queue: Layer.Layer<
    JobQueue,
    BlobStoreError,
    JobRepo | ProjectEventLog | SqlClient.SqlClient | Redis | AppConfig | Sharding.Sharding
  > = config.profile === "production" ? JobQueue.layerBullMQ : PipelineLayers.embeddedQueue()
  // Blobs and document rows: processors (parse_document) read them, and the upload writes them.
  const documentStore = Layer.mergeAll(BlobStore.layer, DocumentRepo.layer)
  const jobs = queue.pipe(
    Layer.provide(cluster),
    Layer.provideMerge(JobRepo.layer),
    Layer.provideMerge(events),
    Layer.provideMerge(documentStore)
  )
  const actors = ProjectActorLayer.pipe(
    Layer.provideMerge(cluster),
    Layer.provide(jobs),
    Layer.provide(BudgetRepo.layer.pipe(Layer.provide(events)))
  )
  const projects = ProjectCommands.layer.pipe(
    Layer.provideMerge(actors),
    Layer.provideMerge(ProjectAccess.layer),
    Layer.provideMerge(ProjectRepo.layer),
    Layer.provideMerge(jobs)
  )
  const documents = DocumentCommands.layer.pipe(Layer.provide(projects))
  const pipeline = PipelineCommands.layer.pipe(
    Layer.provide(projects),
    Layer.provide(BudgetRepo.layer.pipe(Layer.provide(events)))
  )
  const jobCommands = JobCommands.layer.pipe(Layer.provide(projects))
  return Layer.mergeAll(auth, projects, documents, pipeline, jobCommands, Readiness.layer)
}

/** The HTTP routes (API, OpenAPI, docs) with their middleware, served by whichever HttpServer is provided. */
const httpRoutesLayer = (config: AppConfigShape) => {
  const api = HttpApiBuilder.layer(CostlineApi, { openapiPath: "/openapi.json" }).pipe(
    Layer.provide([SystemHandlers, AuthHandlers, ProjectsHandlers, JobsHandlers, DocumentsHandlers, PipelineHandlers]),
    Layer.provide(AuthenticationLive)
  )
  const cors =
    config.corsOrigins.length === 0
      ? Layer.empty
      : HttpRouter.cors({ allowedOrigins: config.corsOrigins, exposedHeaders: ["x-request-id"], maxAge: 600 })
  const routes = Layer.mergeAll(
    api,
    HttpApiScalar.layer(CostlineApi, { path: "/docs" }),
    requestMiddleware({ maxBodyBytes: config.maxBodyBytes }),
    cors
  )
  return Layer.mergeAll(HttpRouter.serve(routes, { disableLogger: true, disableListenLog: true }), announce(config))
}

/** The line a user looks for after `npm start`: where the server is and where its docs are. */
const announce = (config: AppConfigShape) =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const server = yield* HttpServer.HttpServer
      const listening = new URL(HttpServer.formatAddress(server.address))
      // 0.0.0.0 is where we listen, not an address a browser can open.
      if (["0.0.0.0", "[::]"].includes(listening.hostname)) listening.hostname = "localhost"
      const url = listening.origin
      yield* Effect.logInfo(`Costline listening on ${url} (${config.profile} profile); API docs at ${url}/docs`).pipe(
        Effect.annotateLogs({ url, profile: config.profile, port: Number(listening.port) })
      )
    })
  )

const rpcLayer = RpcServer.layer(CostlineRpcs).pipe(
  Layer.provide(RpcHandlers),
  Layer.provide(
    Layer.unwrap(
      Effect.gen(function* () {
        const tokens = yield* TokenService
        return UwsRpcProtocol.layer({
          path: RPC_PATH,
          authenticate: ({ headers, query }) => {
            const fromHeader = headers.authorization?.match(/^Bearer\s+(.+)$/i)?.[1]
            const token = fromHeader ?? new URLSearchParams(query).get("token") ?? ""
            return Effect.map(tokens.verifyAccessToken(token), (user) =>
              Option.isSome(user) ? { [USER_ID_HEADER]: user.value.userId } : undefined
            )
          }
        })
      })
    )
  ),
  Layer.provide(RpcSerialization.layerJson)
)

/** The complete server for a configuration: HTTP and RPC on one uWS app and port. */
export const serverLayer = (config: AppConfigShape) => {
  const server = UwsHttpServer.layer({
    port: config.port,
    host: config.host,
    maxBodyBytes: config.maxBodyBytes,
    bodyLimitFor: uploadBodyLimit(config),
    shutdownTimeoutMs: config.shutdownTimeoutMs
  })
  // The HttpServer stays in the output so an in-process caller (tests) can read the bound address.
  return Layer.mergeAll(httpRoutesLayer(config), rpcLayer).pipe(
    Layer.provideMerge(server),
    Layer.provide(servicesLayer(config)),
    Layer.provide(UwsApp.layer),
    Layer.provideMerge(infrastructureLayer(config))
  )
}

/**
 * The same HTTP API on another HttpServer (no RPC): how the benchmark measures what uWS buys over node:http, and a
 * starting point for runtimes where uWS does not load.
 */
export const httpOnlyLayer = <E, R>(
  config: AppConfigShape,
  server: Layer.Layer<
    HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator | FileSystem.FileSystem | Path.Path,
    E,
    R
  >
) =>
  httpRoutesLayer(config).pipe(
    Layer.provideMerge(server),
    Layer.provide(servicesLayer(config)),
    Layer.provideMerge(infrastructureLayer(config))
  )
