// effect-rpc's server Protocol over websockets on the shared uWS app (app.ws(path)): authentication at the upgrade,
// one ordered reader per connection, corked sends that wait for the socket to drain. It knows nothing of the RPCs
// themselves; RpcServer.layer runs them, and the authenticate callback decides who the connection belongs to.

import type * as uWS from "uWebSockets.js"
import { Cause, Effect, Exit, Fiber, Latch, Layer, Queue, Schema, Scope } from "effect"
import { RpcSerialization, RpcServer } from "effect/rpc"
import type { FromClientEncoded, FromServerEncoded } from "effect/rpc/RpcMessage"
import { ResponseDefectEncoded } from "effect/rpc/RpcMessage"
import { UwsApp } from "./UwsApp.ts"

export interface UwsRpcProtocolOptions {
  /** uWS route pattern of the websocket endpoint, e.g. "/api/v1/rpc". */
  readonly path: string
  /**
   * Runs at the upgrade with the request headers (lowercase names) and the raw query string (browsers cannot set
   * headers on a WebSocket, so a token may come as `?token=`). A record accepts the connection and is merged into
   * the headers of every request on it, over client-sent headers of the same names; undefined or a failure answers
   * 401 instead of upgrading.
   */
  readonly authenticate: (request: {
    readonly headers: Record<string, string>
    readonly query: string
  }) => Effect.Effect<Record<string, string> | undefined, unknown>
  /** Bytes buffered on a socket above which `send` waits for uWS's drain; default 256 KiB. */
  readonly highWaterMark?: number | undefined
  /** uWS closes a socket whose buffer would pass this; keep it well above highWaterMark; default 8 MiB. */
  readonly maxBackpressure?: number | undefined
  /** Largest incoming message; uWS closes the connection on a bigger one; default 1 MiB. */
  readonly maxPayloadLength?: number | undefined
  /** Seconds without traffic before uWS closes the socket (pings keep it open); default 120. */
  readonly idleTimeout?: number | undefined
}

/** What uWS stores on a socket from the upgrade on. */
interface UserData {
  readonly id: number
  readonly headers: ReadonlyArray<readonly [string, string]>
  readonly identity: ReadonlyArray<readonly [string, string]>
}

interface Connection {
  readonly id: number
  readonly ws: uWS.WebSocket<UserData>
  readonly data: UserData
  readonly inbox: Queue.Queue<string | Uint8Array>
  readonly parser: RpcSerialization.Parser
  /** Closed while the socket's buffer is above the high-water mark, opened again in `drain`. */
  readonly drained: Latch.Latch
  /** Set in uWS's close handler: from then on uWS throws on any use of `ws`. */
  closed: boolean
  reader: Fiber.Fiber<void> | undefined
}

const textDecoder = new TextDecoder()

const refuse = (res: uWS.HttpResponse, status: string, tag: string, message: string) => {
  res.writeStatus(status).writeHeader("content-type", "application/json")
  res.end(JSON.stringify({ _tag: tag, message }), true)
}

const make = (options: UwsRpcProtocolOptions) =>
  Effect.gen(function* () {
    const uws = yield* UwsApp
    const serialization = yield* RpcSerialization.RpcSerialization
    const encodeDefect = Schema.encodeSync(serialization.codecFor(Schema.Defect()))
    const highWaterMark = options.highWaterMark ?? 256 * 1024
    const scope = yield* Effect.scope
    const services = yield* Effect.context<never>()
    const runFork = Effect.runForkWith(services)
    const disconnects = yield* Queue.unbounded<number>()
    const connections = new Map<number, Connection>()
    const clientIds = new Set<number>()
    let nextId = 0
    let stopped = false

    return yield* RpcServer.Protocol.make((writeRequest) => {
      const write = (conn: Connection, data: string | Uint8Array): Effect.Effect<void> => {
        if (conn.closed) return Effect.void
        if (conn.ws.getBufferedAmount() > highWaterMark) {
          conn.drained.closeUnsafe()
          return Effect.flatMap(conn.drained.await, () => write(conn, data))
        }
        conn.ws.cork(() => conn.ws.send(data, typeof data !== "string"))
        return Effect.void
      }

      const encode = (conn: Connection, message: unknown): string | Uint8Array | undefined => {
        try {
          return conn.parser.encode(message)
        } catch (cause) {
          return conn.parser.encode(ResponseDefectEncoded(encodeDefect(cause)))
        }
      }

      const handle = (conn: Connection, data: string | Uint8Array): Effect.Effect<void> => {
        let messages: ReadonlyArray<FromClientEncoded>
        try {
          messages = conn.parser.decode(data) as ReadonlyArray<FromClientEncoded>
        } catch (cause) {
          const encoded = encode(conn, ResponseDefectEncoded(encodeDefect(cause)))
          return encoded === undefined ? Effect.void : write(conn, encoded)
        }
        return Effect.forEach(
          messages,
          (message) => {
            if (message._tag === "Request") {
              // Later entries win: upgrade headers, then the client's own, then the authenticated identity.
              ;(message as { headers: ReadonlyArray<readonly [string, string]> }).headers = [
                ...conn.data.headers,
                ...message.headers,
                ...conn.data.identity
              ]
            }
            return writeRequest(conn.id, message)
          },
          { discard: true }
        )
      }

      // One reader per connection keeps its messages in order.
      const readLoop = (conn: Connection): Effect.Effect<void> =>
        Effect.forever(
          Effect.flatMap(Queue.takeAll(conn.inbox), (batch) =>
            Effect.forEach(batch, (data) => handle(conn, data), { discard: true })
          )
        )

      const upgrade = (res: uWS.HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t) => {
        if (stopped || uws.isShuttingDown()) {
          return refuse(res, "503 Service Unavailable", "ServiceUnavailable", "the server is shutting down; reconnect")
        }
        // req is gone once this callback returns: copy what the upgrade needs now.
        const headers: Record<string, string> = {}
        req.forEach((name, value) => {
          headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`
        })
        const query = req.getQuery() ?? ""
        const key = headers["sec-websocket-key"] ?? ""
        // Echo one subprotocol at most: a browser rejects an answer that is not one of those it offered.
        const protocol = (headers["sec-websocket-protocol"] ?? "").split(",")[0]!.trim()
        const extensions = headers["sec-websocket-extensions"] ?? ""
        let aborted = false
        let fiber: Fiber.Fiber<Record<string, string> | undefined, unknown> | undefined
        // Registered before anything asynchronous: uWS forbids touching `res` once the client has gone.
        res.onAborted(() => {
          aborted = true
          fiber?.interruptUnsafe()
        })
        const finish = (exit: Exit.Exit<Record<string, string> | undefined, unknown>) => {
          if (aborted) return
          const died = Exit.isFailure(exit) && Cause.hasDies(exit.cause)
          if (died) runFork(Effect.logError("UwsRpcProtocol: authenticate died", exit.cause))
          res.cork(() => {
            if (died) {
              return refuse(res, "500 Internal Server Error", "InternalError", "authentication failed unexpectedly")
            }
            if (Exit.isFailure(exit) || exit.value === undefined) {
              return refuse(
                res,
                "401 Unauthorized",
                "Unauthorized",
                "missing or invalid access token; connect with ?token=<access token> or an Authorization: Bearer header"
              )
            }
            const data: UserData = {
              id: nextId++,
              headers: Object.entries(headers),
              identity: Object.entries(exit.value)
            }
            res.upgrade(data, key, protocol, extensions, context)
          })
        }
        fiber = runFork(Effect.suspend(() => options.authenticate({ headers, query })))
        const exit = fiber.pollUnsafe()
        if (exit !== undefined) finish(exit)
        else fiber.addObserver(finish)
      }

      const open = (ws: uWS.WebSocket<UserData>) => {
        const data = ws.getUserData()
        if (stopped) return ws.end(1001, "server shutting down")
        const conn: Connection = {
          id: data.id,
          ws,
          data,
          inbox: Effect.runSync(Queue.unbounded<string | Uint8Array>()),
          parser: serialization.makeUnsafe(),
          drained: Latch.makeUnsafe(true),
          closed: false,
          reader: undefined
        }
        connections.set(conn.id, conn)
        clientIds.add(conn.id)
        uws.addSocket(ws as uWS.WebSocket<unknown>)
        conn.reader = Fiber.runIn(runFork(readLoop(conn)), scope)
      }

      const message = (ws: uWS.WebSocket<UserData>, message: ArrayBuffer, isBinary: boolean) => {
        const conn = connections.get(ws.getUserData().id)
        if (conn === undefined) return
        // uWS neuters `message` when this callback returns: decode or copy it now.
        Queue.offerUnsafe(conn.inbox, isBinary ? new Uint8Array(message.slice(0)) : textDecoder.decode(message))
      }

      const drain = (ws: uWS.WebSocket<UserData>) => {
        const conn = connections.get(ws.getUserData().id)
        // Resumed senders must not run inside this callback: a send from within uWS's drain that builds up new
        // backpressure leaves the socket stuck, with no further drain (seen on uws 20.x with a slow reader).
        if (conn !== undefined && ws.getBufferedAmount() <= highWaterMark) setImmediate(() => conn.drained.openUnsafe())
      }

      const close = (ws: uWS.WebSocket<UserData>) => {
        const conn = connections.get(ws.getUserData().id)
        uws.removeSocket(ws as uWS.WebSocket<unknown>)
        if (conn === undefined) return
        conn.closed = true
        connections.delete(conn.id)
        clientIds.delete(conn.id)
        conn.drained.openUnsafe()
        const reader = conn.reader
        // Report the disconnect once the reader has stopped, so no request of this client starts after it.
        if (reader === undefined) Queue.offerUnsafe(disconnects, conn.id)
        else {
          reader.addObserver(() => Queue.offerUnsafe(disconnects, conn.id))
          reader.interruptUnsafe()
        }
      }

      uws.app.ws<UserData>(options.path, {
        upgrade,
        open,
        message,
        drain,
        close,
        closeOnBackpressureLimit: true,
        maxBackpressure: options.maxBackpressure ?? 8 * 1024 * 1024,
        maxPayloadLength: options.maxPayloadLength ?? 1024 * 1024,
        idleTimeout: options.idleTimeout ?? 120,
        sendPingsAutomatically: true
      })

      return Effect.as(
        Scope.addFinalizer(
          scope,
          Effect.sync(() => {
            stopped = true
            // ws.end runs `close` at once, which edits `connections`: iterate over a copy.
            for (const conn of Array.from(connections.values())) conn.ws.end(1001, "server shutting down")
          })
        ),
        {
          disconnects,
          send: (clientId: number, response: FromServerEncoded) => {
            const conn = connections.get(clientId)
            if (conn === undefined) return Effect.void
            const encoded = encode(conn, response)
            return encoded === undefined ? Effect.void : write(conn, encoded)
          },
          end: () => Effect.void,
          clientIds: Effect.sync(() => clientIds),
          initialMessage: Effect.succeedNone,
          supportsAck: true,
          supportsTransferables: false,
          supportsSpanPropagation: true,
          supportsNotifications: true,
          codecFor: serialization.codecFor
        }
      )
    })
  })

/**
 * RpcServer.Protocol on `app.ws(options.path)` of the shared UwsApp. Needs UwsApp and an RpcSerialization
 * (RpcSerialization.layerJson for browsers and the SDK).
 */
export const layer = (
  options: UwsRpcProtocolOptions
): Layer.Layer<RpcServer.Protocol, never, UwsApp | RpcSerialization.RpcSerialization> =>
  Layer.effect(RpcServer.Protocol, make(options))
