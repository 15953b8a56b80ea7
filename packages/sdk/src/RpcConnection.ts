// The realtime half of the client: one effect-RPC client for CostlineRpcs over a WebSocket that reconnects on its own,
// and whether its first socket opened. Uses the global WebSocket, which browsers, Deno and Node 22 all have.
import { CostlineRpcs } from "@costline/core/contracts/Rpcs"
import { Deferred, type Duration, Effect, Layer, type Schedule, type Scope } from "effect"
import { RpcClient, type RpcClientError, RpcSerialization } from "effect/rpc"
import { Socket } from "effect/socket"

/** The raw effect-RPC client for the Costline RPCs; `CostlineClient` wraps it with validation and typed errors. */
export type CostlineRpcClient = RpcClient.FromGroup<typeof CostlineRpcs, RpcClientError.RpcClientError>

export interface RpcConnection {
  readonly client: CostlineRpcClient
  /** Waits for the outcome of the first socket: true once it opened, false when it failed or timed out first. */
  readonly firstOpen: Effect.Effect<boolean>
}

export interface RpcConnectionOptions {
  /** Evaluated on every (re)connect, so a refreshed token is used for the next socket. */
  readonly url: Effect.Effect<string>
  readonly openTimeout: Duration.Input
  readonly pingInterval: Duration.Input
  /** Delay between reconnect attempts of the socket. */
  readonly reconnect: Schedule.Schedule<unknown, Socket.SocketError>
}

/**
 * Opens the socket and the RPC client in the current scope; closing the scope closes both.
 *
 * Open failures are NOT retried silently (`retryTransientErrors: false`): with silent retries a call made while the
 * server is unreachable or rejects the token would wait forever. The protocol still reconnects in the background with
 * `reconnect`, and calls fail fast with a transport error until it is back.
 */
export const makeRpcConnection = (options: RpcConnectionOptions): Effect.Effect<RpcConnection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const first = Deferred.makeUnsafe<boolean>()
    const MonitoredWebSocket = Layer.succeed(Socket.WebSocketConstructor)((url, protocols) => {
      if (protocols !== undefined && typeof protocols !== "string" && !Array.isArray(protocols)) {
        throw new TypeError("WebSocket client options are not supported by the global WebSocket constructor")
      }
      const ws = new globalThis.WebSocket(url, protocols)
      // Only the first socket decides `firstOpen`; later outcomes are no-ops because a Deferred completes once.
      ws.addEventListener("open", () => Deferred.doneUnsafe(first, Effect.succeed(true)), { once: true })
      // Node 22's WebSocket reports a refused connection with "error" alone (no "close"), so watch both.
      ws.addEventListener("error", () => Deferred.doneUnsafe(first, Effect.succeed(false)), { once: true })
      ws.addEventListener("close", () => Deferred.doneUnsafe(first, Effect.succeed(false)), { once: true })
      return ws
    })

    const ProtocolLive = RpcClient.layerProtocolSocket({
      retryTransientErrors: false,
      retryPolicy: options.reconnect,
      pingInterval: options.pingInterval
    }).pipe(
      Layer.provide(
        Socket.layerWebSocket(options.url, { openTimeout: options.openTimeout }).pipe(Layer.provide(MonitoredWebSocket))
      ),
      Layer.provide(RpcSerialization.layerJson)
    )
    // Built into the caller's scope (not `Effect.provide` around `make`), so the protocol lives as long as the client.
    const protocol = yield* Layer.build(ProtocolLive)
    const client = yield* RpcClient.make(CostlineRpcs).pipe(Effect.provide(protocol))
    return {
      client,
      // Belt and braces: a socket that neither opens nor reports an error within openTimeout counts as failed.
      firstOpen: Deferred.await(first).pipe(
        Effect.timeoutOrElse({ duration: options.openTimeout, orElse: () => Effect.succeed(false) })
      )
    }
  })
