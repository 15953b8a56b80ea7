// A plain node:http client for the transport tests: a fresh TCP connection per request (agent: false), so each test
// sees exactly what the server does on the wire, with no pooled connection hiding a refusal or a close.
import * as Http from "node:http"
import * as Net from "node:net"
import { Effect } from "effect"

export interface HttpResult {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
  readonly bytes: Buffer
}

export interface HttpRequestOptions {
  readonly method?: string
  readonly path: string
  readonly headers?: Record<string, string>
  readonly body?: string
  /** Writes the body itself (e.g. chunk by chunk); the request is ended only if `write` ends it. */
  readonly write?: (request: Http.ClientRequest) => void
  /** Stops reading the response for this long first, so the server's socket buffer fills (backpressure). */
  readonly pauseMs?: number
  /** Also stops reading for 20 ms after every 16 chunks received, so backpressure builds up again and again. */
  readonly slowRead?: boolean
}

export const httpRequest = (port: number, options: HttpRequestOptions): Effect.Effect<HttpResult, Error> =>
  Effect.callback<HttpResult, Error>((resume) => {
    const request = Http.request(
      {
        host: "127.0.0.1",
        port,
        agent: false,
        method: options.method ?? "GET",
        path: options.path,
        headers: options.headers
      },
      (response) => {
        const chunks: Array<Buffer> = []
        if (options.pauseMs !== undefined) {
          response.pause()
          setTimeout(() => response.resume(), options.pauseMs)
        }
        response.on("data", (chunk: Buffer) => {
          chunks.push(chunk)
          if (options.slowRead === true && chunks.length % 16 === 0) {
            response.pause()
            setTimeout(() => response.resume(), 20)
          }
        })
        response.on("error", (error) => resume(Effect.fail(error)))
        response.on("end", () => {
          const bytes = Buffer.concat(chunks)
          resume(
            Effect.succeed({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: bytes.toString("utf8"),
              bytes
            })
          )
        })
      }
    )
    request.on("error", (error) => resume(Effect.fail(error)))
    // A 101 is not a response to node:http: report it as one and drop the upgraded socket.
    request.on("upgrade", (response, socket) => {
      socket.destroy()
      resume(
        Effect.succeed({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: "",
          bytes: Buffer.alloc(0)
        })
      )
    })
    if (options.write !== undefined) options.write(request)
    else request.end(options.body)
    return Effect.sync(() => request.destroy())
  })

/** Resolves with the connect error code (e.g. "ECONNREFUSED"), or "connected" if the port still accepts. */
export const tryConnect = (port: number): Effect.Effect<string> =>
  Effect.callback<string>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    socket.once("connect", () => {
      socket.destroy()
      resume(Effect.succeed("connected"))
    })
    socket.once("error", (error: NodeJS.ErrnoException) => resume(Effect.succeed(error.code ?? error.message)))
    return Effect.sync(() => socket.destroy())
  })

/** Writes raw bytes on a keep-alive connection and collects what comes back until the server closes (or 5 s). */
export const rawExchange = (
  port: number,
  text: string
): Effect.Effect<{ readonly text: string; readonly closedByServer: boolean }> =>
  Effect.callback((resume) => {
    let received = ""
    const socket = Net.connect({ host: "127.0.0.1", port }, () => socket.write(text))
    const timer = setTimeout(() => {
      socket.destroy()
      resume(Effect.succeed({ text: received, closedByServer: false }))
    }, 5_000)
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("utf8")
    })
    socket.on("error", () => undefined)
    socket.once("close", () => {
      clearTimeout(timer)
      resume(Effect.succeed({ text: received, closedByServer: true }))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      socket.destroy()
    })
  })
