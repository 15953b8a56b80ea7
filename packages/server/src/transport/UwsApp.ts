// The one uWebSockets.js app of this process: its listen socket, the count of in-flight HTTP requests, the open
// websockets, and the shutdown order over them. It routes and parses nothing: UwsHttpServer and UwsRpcProtocol do.

import * as uWS from "uWebSockets.js"
import { Context, Deferred, Effect, Layer } from "effect"
import { ServeError } from "effect/http/HttpServerError"

export interface UwsAppShape {
  readonly app: uWS.TemplatedApp
  /** Binds the app to host:port (port 0 = any free port) and returns the bound port. Once per app. */
  readonly listen: (options: { readonly host: string; readonly port: number }) => Effect.Effect<number, ServeError>
  /** True from the start of shutdown on: adapters close connections after the current response and refuse upgrades. */
  readonly isShuttingDown: () => boolean
  /** Bracket every HTTP request so shutdown can wait for it; `requestFinished` must run exactly once per start. */
  readonly requestStarted: () => void
  readonly requestFinished: () => void
  /** Websockets that shutdown closes after the HTTP drain; remove a socket in its `close` handler. */
  readonly addSocket: (ws: uWS.WebSocket<unknown>) => void
  readonly removeSocket: (ws: uWS.WebSocket<unknown>) => void
  /**
   * Stops accepting connections, waits up to `graceMs` for in-flight HTTP requests, then closes every websocket.
   * Runs once: later calls wait for the first. The app itself is closed when the layer's scope closes.
   */
  readonly shutdown: (graceMs: number) => Effect.Effect<void>
}

/** Shutdown grace for in-flight HTTP requests when nothing configured one (see UwsHttpServer's shutdownTimeoutMs). */
export const defaultShutdownTimeoutMs = 10_000

const make = Effect.gen(function* () {
  const app = uWS.App()
  let listenSocket: uWS.us_listen_socket | undefined
  let shuttingDown = false
  let inFlight = 0
  // Created at shutdown only, so the per-request bookkeeping stays two integer operations.
  let drained: Deferred.Deferred<void> | undefined
  const sockets = new Set<uWS.WebSocket<unknown>>()
  const finished = yield* Deferred.make<void>()

  const stopListening = () => {
    if (listenSocket !== undefined) {
      uWS.us_listen_socket_close(listenSocket)
      listenSocket = undefined
    }
  }

  const listen = (options: { readonly host: string; readonly port: number }) =>
    Effect.callback<number, ServeError>((resume) => {
      if (listenSocket !== undefined || shuttingDown) {
        return resume(Effect.fail(new ServeError({ cause: new Error("the uWS app is already listening or closed") })))
      }
      app.listen(options.host, options.port, (socket) => {
        if (socket === false) {
          const cause = new Error(
            `cannot listen on ${options.host}:${options.port}: the port is in use or the address is not local; set PORT/HOST to a free local address`
          )
          return resume(Effect.fail(new ServeError({ cause })))
        }
        listenSocket = socket
        // us_socket_local_port takes a us_socket; a listen socket is one at the C level, the typings just split them.
        resume(Effect.succeed(uWS.us_socket_local_port(socket as unknown as uWS.us_socket)))
      })
    })

  const requestFinished = () => {
    inFlight--
    if (inFlight === 0 && drained !== undefined) Deferred.doneUnsafe(drained, Effect.void)
  }

  const shutdown = (graceMs: number): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (shuttingDown) return Deferred.await(finished)
      shuttingDown = true
      stopListening()
      const waitForRequests = Effect.suspend(() => {
        if (inFlight === 0) return Effect.void
        drained = Deferred.makeUnsafe<void>()
        return Deferred.await(drained).pipe(Effect.timeoutOrElse({ duration: graceMs, orElse: () => Effect.void }))
      })
      return waitForRequests.pipe(
        Effect.andThen(
          Effect.sync(() => {
            // ws.end runs the close handler at once, which removes the socket from the set: iterate over a copy.
            for (const ws of Array.from(sockets)) ws.end(1001, "server shutting down")
            sockets.clear()
          })
        ),
        Effect.ensuring(Deferred.succeed(finished, undefined))
      )
    })

  yield* Effect.addFinalizer(() =>
    shutdown(defaultShutdownTimeoutMs).pipe(
      // app.close force-closes what is left: idle keep-alive connections and requests past the grace period.
      Effect.andThen(Effect.sync(() => app.close()))
    )
  )

  return UwsApp.of({
    app,
    listen,
    isShuttingDown: () => shuttingDown,
    requestStarted: () => {
      inFlight++
    },
    requestFinished,
    addSocket: (ws) => {
      sockets.add(ws)
    },
    removeSocket: (ws) => {
      sockets.delete(ws)
    },
    shutdown
  })
})

export class UwsApp extends Context.Service<UwsApp, UwsAppShape>()("@costline/server/UwsApp") {
  /** One app per layer build; provide it once under both UwsHttpServer.layer and UwsRpcProtocol.layer so they share it. */
  static readonly layer: Layer.Layer<UwsApp> = Layer.effect(UwsApp, make)
}
