// The effect/cluster the project actors live in, per process: one in-process runner (embedded profile), a runner on the
// socket transport that shares the shards with the other servers through PostgreSQL (production server), or a client
// that only sends to those runners (worker). Owns the cluster's wiring; does NOT own the entities (ProjectActor) or
// what they store.
import { NodeClusterSocket, NodeSocketServer } from "@effect/platform-node"
import { Effect, Layer, Option, Schema } from "effect"
import {
  RunnerAddress,
  RunnerHealth,
  Runners,
  ShardingConfig,
  SingleRunner,
  SocketRunner,
  SqlMessageStorage,
  SqlRunnerStorage
} from "effect/cluster"
import { Digest } from "effect/crypto"
import { RpcSerialization } from "effect/rpc"
import { SocketServer } from "effect/socket"
import type { AppConfigShape } from "../config/AppConfig.ts"

/** The runner's socket could not be opened; stops the server with the one line an operator needs. */
export class ClusterListenError extends Schema.TaggedError<ClusterListenError>()("ClusterListenError", {
  host: Schema.String,
  port: Schema.Number,
  message: Schema.String
}) {}

/**
 * The largest message between runners: the positions parsed from the largest upload allowed must fit in one
 * ImportPositions (they are smaller than the file that held them, so four times its size is plenty).
 */
const maxMessageBytes = (config: AppConfigShape) => Math.max(16 * 1024 * 1024, 4 * config.maxUploadBytes)

/** Embedded profile: every entity in this process, nothing shared (runners in memory, messages in the database). */
export const layerSingle = SingleRunner.layer({ runnerStorage: "memory" }).pipe(Layer.provide(Digest.layerWebCrypto))

/**
 * Production server: a runner listening on CLUSTER_HOST:CLUSTER_PORT and registered in the database as
 * CLUSTER_ADVERTISE_HOST and the bound port, so the shards are spread over every server on the same database and the
 * workers can reach the entities. Built like NodeClusterSocket.layer({ storage: "sql" }), except that the socket is
 * opened first: with CLUSTER_PORT=0 the port the OS picked is the one advertised.
 */
export const layerRunner = (config: AppConfigShape) => {
  const serialization = RpcSerialization.layerSchemaBinary({ maxFrameSize: maxMessageBytes(config) })
  const socketServer = Layer.effect(
    SocketServer.SocketServer,
    NodeSocketServer.make({ host: config.clusterHost, port: config.clusterPort }).pipe(
      Effect.mapError((error) => {
        const cause = error.reason.cause instanceof Error ? error.reason.cause.message : String(error.reason.cause)
        return new ClusterListenError({
          host: config.clusterHost,
          port: config.clusterPort,
          message: `The cluster runner could not listen on ${config.clusterHost}:${config.clusterPort} (${cause}). Set CLUSTER_PORT to a free port (0 picks one) or CLUSTER_HOST to an address of this machine.`
        })
      })
    )
  )
  const shardingConfig = Layer.unwrap(
    Effect.gen(function* () {
      const server = yield* SocketServer.SocketServer
      const port = server.address._tag === "UnixPathAddress" ? config.clusterPort : server.address.port
      // Explicit addresses: ShardingConfig.layerFromEnv would otherwise read HOST and PORT, the HTTP server's.
      return ShardingConfig.layerFromEnv({
        runnerAddress: Option.some(RunnerAddress.make(config.clusterAdvertiseHost, port)),
        runnerListenAddress: Option.some(RunnerAddress.make(config.clusterHost, port))
      })
    })
  )
  const clientProtocol = NodeClusterSocket.layerClientProtocol
  const runnerHealth = RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(clientProtocol))
  return SocketRunner.layer.pipe(
    Layer.provide([runnerHealth, clientProtocol]),
    Layer.provideMerge(SqlMessageStorage.layer.pipe(Layer.provide(Digest.layerWebCrypto))),
    Layer.provide(Layer.orDie(SqlRunnerStorage.layer)),
    Layer.provide(shardingConfig),
    Layer.provide(socketServer),
    Layer.provide(serialization)
  )
}

/**
 * Worker: sends to the entities on the servers' runners, hosts none. It finds the runners in the database, so it
 * works once one server is up; until then a send waits (ActorBudgetWriter bounds that wait).
 */
export const layerClient = (config: AppConfigShape) =>
  NodeClusterSocket.layer({
    clientOnly: true,
    storage: "sql",
    serializationMaxBufferSize: maxMessageBytes(config)
  })
