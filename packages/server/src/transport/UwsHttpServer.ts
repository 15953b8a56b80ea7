// Effect's HttpServer over the shared uWS app: one catch-all route that copies each request out of uWS, runs the
// Effect app in a fiber and writes the response back corked, with backpressure for streams. It owns the transport
// body limit (413) and the graceful drain on shutdown; routing, decoding and errors belong to the Effect app.

import type * as uWS from "uWebSockets.js"
import { STATUS_CODES } from "node:http"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as NodeServices from "@effect/platform-node/NodeServices"
import { Cause, Context, Effect, Exit, Fiber, Latch, Layer, Option, Scope, Stream } from "effect"
import * as Cookies from "effect/http/Cookies"
import type * as Etag from "effect/http/Etag"
import * as Headers from "effect/http/Headers"
import type * as HttpBody from "effect/http/HttpBody"
import * as HttpEffect from "effect/http/HttpEffect"
import type * as HttpPlatform from "effect/http/HttpPlatform"
import * as HttpServer from "effect/http/HttpServer"
import { ClientAbort, ServeError } from "effect/http/HttpServerError"
import { HttpServerRequest } from "effect/http/HttpServerRequest"
import type { HttpServerResponse } from "effect/http/HttpServerResponse"
import * as NetAddress from "effect/net/NetAddress"
import { defaultShutdownTimeoutMs, UwsApp, type UwsAppShape } from "./UwsApp.ts"
import { UwsBody, type UwsRequestSource, UwsServerRequest } from "./UwsServerRequest.ts"

export interface UwsHttpServerOptions {
  readonly port: number
  readonly host: string
  /** Largest request body accepted, in bytes; bigger ones get 413 PayloadTooLarge. */
  readonly maxBodyBytes: number
  /** Per-route override of maxBodyBytes (e.g. imports); called only for requests that carry a body. */
  readonly bodyLimitFor?: ((method: string, url: string) => number) | undefined
  /** How long shutdown waits for in-flight requests before closing them; default 10 s. */
  readonly shutdownTimeoutMs?: number | undefined
}

/** The JSON body of a 413, shared by the content-length check and the streaming check. */
export const payloadTooLargeBody = (limit: number): string =>
  JSON.stringify({
    _tag: "PayloadTooLarge",
    message: `request body exceeds ${limit} bytes; send a smaller body (limit set by MAX_BODY_BYTES)`
  })

const HeadersProto: object = Object.getPrototypeOf(Headers.empty)
// uWS sets these itself from what we end the response with.
const skippedHeaders = new Set(["content-length", "transfer-encoding", "connection"])

const statusLines = new Map<number, string>()
const statusLine = (status: number, text: string | undefined): string => {
  if (text !== undefined) return `${status} ${text}`
  let line = statusLines.get(status)
  if (line === undefined) {
    line = `${status} ${STATUS_CODES[status] ?? "Unknown"}`
    statusLines.set(status, line)
  }
  return line
}

/** The response whose uWS handler is running right now (uWS calls handlers one at a time, synchronously). */
let handling: uWS.HttpResponse | undefined

/**
 * One request/response pair. It is the request's `source`, so handleResponse finds the uWS response through any
 * `request.modify` view. `done` flips once the response is ended or aborted: uWS throws on any later use of `res`.
 */
class Exchange implements UwsRequestSource {
  done = false
  fiber: Fiber.Fiber<void> | undefined = undefined
  writable: Latch.Latch | undefined = undefined
  readonly res: uWS.HttpResponse
  readonly uws: UwsAppShape
  readonly method: string
  readonly url: string
  readonly headers: Headers.Headers
  readonly body: UwsBody | undefined
  private remote: Option.Option<string> | undefined = undefined
  constructor(
    res: uWS.HttpResponse,
    uws: UwsAppShape,
    method: string,
    url: string,
    headers: Headers.Headers,
    body: UwsBody | undefined
  ) {
    this.res = res
    this.uws = uws
    this.method = method
    this.url = url
    this.headers = headers
    this.body = body
  }

  /**
   * Read on first use, not per request: it is a native call plus a buffer decode, a measurable share of a small
   * request. uWS forgets it once the response is sent, so read it while handling (loggers and rate limiters do).
   */
  get remoteAddress(): Option.Option<string> {
    if (this.remote === undefined) {
      if (this.done) return Option.none()
      this.remote = Option.some(Buffer.from(this.res.getRemoteAddressAsText()).toString("latin1"))
    }
    return this.remote
  }

  /** Ends the uWS response exactly once; `write` runs corked and must end it. */
  end(write: (res: uWS.HttpResponse, close: boolean) => void): void {
    if (this.done) return
    this.done = true
    // uWS corks the response for the duration of its own handler: a synchronous answer needs no cork of its own.
    if (handling === this.res) write(this.res, this.uws.isShuttingDown())
    else this.res.cork(() => write(this.res, this.uws.isShuttingDown()))
    this.uws.requestFinished()
  }

  aborted(): void {
    if (this.done) return
    this.done = true
    this.uws.requestFinished()
    this.body?.fail("aborted by the client")
    this.writable?.openUnsafe()
    this.fiber?.interruptUnsafe(undefined, ClientAbort.annotation)
  }

  tooLarge(limit: number): void {
    // The 413 goes out first: failing the body resumes the handler, whose own error response must find `done` set.
    this.end((res) => {
      res.writeStatus("413 Payload Too Large").writeHeader("content-type", "application/json")
      res.end(payloadTooLargeBody(limit), true)
    })
    this.body?.fail(`exceeds ${limit} bytes`)
    this.fiber?.interruptUnsafe()
  }
}

const writeHead = (res: uWS.HttpResponse, response: HttpServerResponse, headers: Headers.Headers): void => {
  res.writeStatus(statusLine(response.status, response.statusText))
  for (const name in headers) {
    if (!skippedHeaders.has(name)) res.writeHeader(name, headers[name]!)
  }
  if (!Cookies.isEmpty(response.cookies)) {
    for (const cookie of Cookies.toSetCookieHeaders(response.cookies)) res.writeHeader("set-cookie", cookie)
  }
}

const bodyError = (cause: unknown) => cause

/** Raw bodies: bytes and strings are sent at once, anything else (web or Node streams, Blob) is streamed. */
const rawBody = (body: unknown): string | Uint8Array | Stream.Stream<Uint8Array, unknown> => {
  if (typeof body === "string" || body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  if (body instanceof Response)
    return body.body === null ? "" : Stream.fromReadableStream({ evaluate: () => body.body!, onError: bodyError })
  if (body instanceof ReadableStream)
    return Stream.fromReadableStream({ evaluate: () => body as ReadableStream<Uint8Array>, onError: bodyError })
  if (typeof body === "object" && body !== null && Symbol.asyncIterator in body) {
    return Stream.fromAsyncIterable(body as AsyncIterable<Uint8Array>, bodyError)
  }
  const web = new Response(body as BodyInit).body
  return web === null ? "" : Stream.fromReadableStream({ evaluate: () => web, onError: bodyError })
}

const streamBody = (
  exchange: Exchange,
  response: HttpServerResponse,
  headers: Headers.Headers,
  stream: Stream.Stream<Uint8Array, unknown>
): Effect.Effect<void, unknown> => {
  const res = exchange.res
  const writable = Latch.makeUnsafe(true)
  exchange.writable = writable
  res.cork(() => writeHead(res, response, headers))
  // uWS keeps what write() could not send; onWritable fires once it has drained.
  res.onWritable(() => {
    writable.openUnsafe()
    return true
  })
  return stream.pipe(
    Stream.runForEachArray((chunks) => {
      if (exchange.done) return Effect.interrupt
      let ok = true
      res.cork(() => {
        for (const chunk of chunks) ok = res.write(chunk) && ok
      })
      if (ok) return Effect.void
      writable.closeUnsafe()
      return writable.await
    }),
    Effect.interruptible,
    Effect.onExit((exit) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) exchange.end((res, close) => res.end("", close))
        // A failed body after the headers went out: cut the connection so the client cannot take it as complete.
        else exchange.end((res) => res.close())
      })
    )
  )
}

const handleResponse = (request: HttpServerRequest, response: HttpServerResponse): Effect.Effect<void, unknown> => {
  const exchange = request.source
  if (!(exchange instanceof Exchange)) {
    return Effect.die(new Error("UwsHttpServer: the request was replaced by one that is not from this server"))
  }
  const body = response.body
  if (exchange.done) return cancelBody(body)
  let headers = response.headers
  if (exchange.method === "HEAD" || response.status === 204 || response.status === 304 || response.status === 205) {
    const length = response.status === 204 || response.status === 205 ? undefined : contentLengthOf(response)
    exchange.end((res) => {
      writeHead(res, response, headers)
      // endWithoutBody(n) leaves uWS waiting for n bytes and endWithoutBody(undefined, …) announces 2^63 bytes:
      // only the no-argument form ends cleanly, with the length (for HEAD) written as a plain header.
      if (length !== undefined) res.writeHeader("content-length", length)
      res.endWithoutBody()
    })
    return cancelBody(body)
  }
  switch (body._tag) {
    case "Empty": {
      exchange.end((res, close) => {
        writeHead(res, response, headers)
        res.end("", close)
      })
      return Effect.void
    }
    case "Uint8Array": {
      exchange.end((res, close) => {
        writeHead(res, response, headers)
        res.end(body.body, close)
      })
      return Effect.void
    }
    case "Raw": {
      const raw = rawBody(body.body)
      if (typeof raw === "string" || raw instanceof Uint8Array) {
        exchange.end((res, close) => {
          writeHead(res, response, headers)
          res.end(raw, close)
        })
        return Effect.void
      }
      return streamBody(exchange, response, headers, raw)
    }
    case "FormData": {
      const web = new Response(body.formData)
      headers = Headers.set(headers, "content-type", web.headers.get("content-type") ?? "multipart/form-data")
      return streamBody(exchange, response, headers, rawBody(web) as Stream.Stream<Uint8Array, unknown>)
    }
    case "Stream": {
      return streamBody(exchange, response, headers, body.stream)
    }
  }
}

const contentLengthOf = (response: HttpServerResponse): string | undefined => {
  const header = response.headers["content-length"]
  if (header !== undefined) return header
  const length = response.body._tag === "Empty" ? undefined : response.body.contentLength
  return length === undefined ? undefined : String(length)
}

const cancelBody = (body: HttpBody.HttpBody): Effect.Effect<void> => {
  if (body._tag !== "Raw") return Effect.void
  const raw = body.body
  if (raw instanceof ReadableStream) return Effect.sync(() => void raw.cancel().catch(() => undefined))
  if (typeof raw === "object" && raw !== null && "destroy" in raw && typeof raw.destroy === "function") {
    return Effect.sync(() => (raw as { destroy: () => void }).destroy())
  }
  return Effect.void
}

const readHeaders = (req: uWS.HttpRequest): Headers.Headers => {
  const headers: Record<string, string> = Object.create(HeadersProto)
  req.forEach((name, value) => {
    const previous = headers[name]
    headers[name] = previous === undefined ? value : `${previous}${name === "cookie" ? "; " : ", "}${value}`
  })
  return headers as Headers.Headers
}

/** Safety net: a fiber that ended without a response (interrupted at shutdown, or a bug) still answers. */
const afterFiber = (exchange: Exchange, exit: Exit.Exit<void>): void => {
  if (exchange.done) return
  const status =
    Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
      ? "503 Service Unavailable"
      : "500 Internal Server Error"
  exchange.end((res) => {
    res.writeStatus(status)
    res.end("", true)
  })
}

const make = (options: UwsHttpServerOptions) =>
  Effect.gen(function* () {
    const uws = yield* UwsApp
    const host = options.host === "localhost" ? "127.0.0.1" : options.host
    if (NetAddress.inetAddressFromIpString(host, 0)._tag === "Failure") {
      return yield* new ServeError({
        cause: new Error(`HOST=${options.host} is not an IP address; use e.g. 0.0.0.0 or 127.0.0.1`)
      })
    }
    const port = yield* uws.listen({ host, port: options.port })
    const address = yield* Effect.fromResult(NetAddress.inetAddressFromIpString(host, port)).pipe(
      Effect.mapError((cause) => new ServeError({ cause }))
    )
    const shutdownTimeoutMs = options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs
    let serving = false

    return HttpServer.make({
      address,
      serve: (httpApp, middleware) =>
        Effect.gen(function* () {
          if (serving) return yield* Effect.die(new Error("UwsHttpServer serves one app per process"))
          serving = true
          const serveScope = yield* Effect.scope
          // Request fibers live in a child scope; the drain below is added after it, so it runs before they are cut.
          const fibers = Scope.forkUnsafe(serveScope, "parallel")
          const services = yield* Effect.context<never>()
          const handled = HttpEffect.toHandled(httpApp, handleResponse, middleware)

          uws.app.any("/*", (res, req) => {
            // Everything from req is read here: it is stack-allocated and gone when this callback returns.
            const method = req.getCaseSensitiveMethod().toUpperCase()
            const query = req.getQuery()
            const url = query === "" || query === undefined ? req.getUrl() : `${req.getUrl()}?${query}`
            const headers = readHeaders(req)
            const contentLength = headers["content-length"]
            const hasBody =
              contentLength === undefined ? headers["transfer-encoding"] !== undefined : contentLength !== "0"
            const limit = hasBody ? (options.bodyLimitFor?.(method, url) ?? options.maxBodyBytes) : 0
            if (hasBody && contentLength !== undefined && Number(contentLength) > limit) {
              // Answer before reading any of the body and close: the client must not stream megabytes first.
              res.writeStatus("413 Payload Too Large").writeHeader("content-type", "application/json")
              res.end(payloadTooLargeBody(limit), true)
              return
            }
            uws.requestStarted()
            const exchange = new Exchange(res, uws, method, url, headers, hasBody ? new UwsBody() : undefined)
            // uWS aborts the process if the handler returns without responding or registering onAborted.
            res.onAborted(() => exchange.aborted())
            const body = exchange.body
            if (body !== undefined) {
              res.onData((chunk, isLast) => {
                if (exchange.done) return
                if (body.bytes + chunk.byteLength > limit) return exchange.tooLarge(limit)
                body.push(chunk, isLast)
              })
            }
            const context = Context.add(services, HttpServerRequest, new UwsServerRequest(exchange))
            handling = res
            const fiber = Effect.runForkWith(context)(handled)
            handling = undefined
            const exit = fiber.pollUnsafe()
            if (exit !== undefined) return afterFiber(exchange, exit)
            exchange.fiber = fiber
            Fiber.runIn(fiber, fibers)
            fiber.addObserver((exit) => afterFiber(exchange, exit))
          })

          yield* Scope.addFinalizer(serveScope, uws.shutdown(shutdownTimeoutMs))
        })
    })
  })

/**
 * HttpServer plus what HttpRouter/HttpApiBuilder need (HttpPlatform, Etag, FileSystem, Path: the Node ones).
 * Needs UwsApp: provide UwsApp.layer once, above this and UwsRpcProtocol.layer, so both use one app and port.
 */
export const layer = (
  options: UwsHttpServerOptions
): Layer.Layer<
  HttpServer.HttpServer | HttpPlatform.HttpPlatform | Etag.Generator | NodeServices.NodeServices,
  ServeError,
  UwsApp
> => Layer.merge(Layer.effect(HttpServer.HttpServer, make(options)), NodeHttpServer.layerHttpServices)
