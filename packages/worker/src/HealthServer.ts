// The worker's small HTTP endpoint on node:http: GET /health (200 while taking jobs, 503 once shutting down) and
// GET /metrics (Prometheus text). Owns the socket and its lifetime; the numbers come from WorkerMetrics.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { Effect, FiberSet, Schema, type Scope } from "effect"

export class HealthServerError extends Schema.TaggedError<HealthServerError>()("HealthServerError", {
  port: Schema.Number,
  message: Schema.String
}) {}

export interface HealthServerOptions {
  readonly host: string
  /** 0 lets the OS pick; the bound port is returned. */
  readonly port: number
  /** Whether the worker is taking jobs. */
  readonly healthy: Effect.Effect<boolean>
  readonly metrics: Effect.Effect<string>
}

export interface HealthServer {
  readonly port: number
}

const send = (res: ServerResponse, status: number, contentType: string, body: string) => {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" })
  res.end(body)
}

/** Listens until the scope closes. */
export const start = Effect.fnUntraced(function* (
  options: HealthServerOptions
): Effect.fn.Return<HealthServer, HealthServerError, Scope.Scope> {
  const runPromise = yield* FiberSet.makeRuntimePromise<never, unknown, never>()

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? "/").split("?")[0]
    if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, "text/plain", "method not allowed\n")
      return
    }
    if (path === "/health") {
      void runPromise(options.healthy).then(
        (healthy) =>
          send(
            res,
            healthy ? 200 : 503,
            "application/json",
            `${JSON.stringify({ status: healthy ? "ok" : "stopping" })}\n`
          ),
        () => send(res, 500, "application/json", '{"status":"error"}\n')
      )
      return
    }
    if (path === "/metrics") {
      void runPromise(options.metrics).then(
        (text) => send(res, 200, "text/plain; version=0.0.4; charset=utf-8", text),
        () => send(res, 500, "text/plain", "metrics unavailable\n")
      )
      return
    }
    send(res, 404, "text/plain", "not found\n")
  }

  const server = yield* Effect.acquireRelease(
    Effect.callback<ReturnType<typeof createServer>, HealthServerError>((resume) => {
      const server = createServer(handle)
      const onError = (error: Error) =>
        resume(
          Effect.fail(
            new HealthServerError({
              port: options.port,
              message: `The health server could not listen on ${options.host}:${options.port}: ${error.message}. Set WORKER_HEALTH_PORT to a free port (0 picks one).`
            })
          )
        )
      server.once("error", onError)
      server.listen(options.port, options.host, () => {
        server.off("error", onError)
        resume(Effect.succeed(server))
      })
    }),
    (server) =>
      Effect.callback<void>((resume) => {
        server.close(() => resume(Effect.void))
        // Keep-alive connections would hold close() open until they time out.
        server.closeAllConnections()
      })
  )
  // A server listening on a host and port (not a pipe) reports an AddressInfo.
  return { port: (server.address() as AddressInfo).port }
})
