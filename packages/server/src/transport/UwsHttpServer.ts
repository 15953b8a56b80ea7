// Effect's HttpServer over the shared uWS app: one catch-all route that copies each request out of uWS and runs the
// Effect app on it in a fiber (UwsExchange writes the answer). It owns the transport body limit (413) and the
// graceful drain on shutdown; routing, decoding and error mapping belong to the Effect app.

import type * as uWS from "uWebSockets.js"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import type * as NodeServices from "@effect/platform-node/NodeServices"
import { Context, Effect, Fiber, Layer, Scope } from "effect"
import type * as Etag from "effect/http/Etag"
import * as Headers from "effect/http/Headers"
import * as HttpEffect from "effect/http/HttpEffect"
import type * as HttpPlatform from "effect/http/HttpPlatform"
import * as HttpServer from "effect/http/HttpServer"
import { ServeError } from "effect/http/HttpServerError"
import { HttpServerRequest } from "effect/http/HttpServerRequest"
import * as NetAddress from "effect/net/NetAddress"
import { defaultShutdownTimeoutMs, UwsApp, type UwsAppShape } from "./UwsApp.ts"
import { handleResponse, payloadTooLargeBody, setHandling, UwsExchange } from "./UwsExchange.ts"
import { UwsServerRequest } from "./UwsServerRequest.ts"

export { payloadTooLargeBody } from "./UwsExchange.ts"

export interface UwsHttpServerOptions {
  readonly port: number
  readonly host: string
  /** Largest request body accepted, in bytes; a bigger one gets 413 PayloadTooLarge and a closed connection. */
  readonly maxBodyBytes: number
  /** Per-route override of maxBodyBytes (e.g. imports); called only for requests that carry a body. */
  readonly bodyLimitFor?: ((method: string, url: string) => number) | undefined
  /** How long shutdown waits for in-flight requests before cutting them; default 10 s. */
  readonly shutdownTimeoutMs?: number | undefined
}

const HeadersProto: object = Object.getPrototypeOf(Headers.empty)

const readHeaders = (req: uWS.HttpRequest): Headers.Headers => {
  const headers: Record<string, string> = Object.create(HeadersProto)
  req.forEach((name, value) => {
    const previous = headers[name]
    headers[name] = previous === undefined ? value : `${previous}${name === "cookie" ? "; " : ", "}${value}`
  })
  return headers as Headers.Headers
}

/** The uWS route handler: everything it needs from `req` is copied before it returns (req is stack-allocated). */
const makeHandler = (
  uws: UwsAppShape,
  options: UwsHttpServerOptions,
  run: (request: UwsServerRequest) => Fiber.Fiber<void>,
  fibers: Scope.Scope,
  report: (defect: unknown) => void
) => {
  const serve = (res: uWS.HttpResponse, req: uWS.HttpRequest): void => {
    const method = req.getCaseSensitiveMethod().toUpperCase()
    const path = req.getUrl()
    const query = req.getQuery()
    const url = query === "" || query === undefined ? path : `${path}?${query}`
    const headers = readHeaders(req)
    const contentLength = headers["content-length"]
    const hasBody = contentLength === undefined ? headers["transfer-encoding"] !== undefined : contentLength !== "0"
    const limit = hasBody ? (options.bodyLimitFor?.(method, url) ?? options.maxBodyBytes) : 0
    if (hasBody && contentLength !== undefined && Number(contentLength) > limit) {
      // Answered before any of the body is read, and closed: the client must not stream megabytes first.
      res.writeStatus("413 Payload Too Large").writeHeader("content-type", "application/json")
      res.end(payloadTooLargeBody(limit), true)
      return
    }
    uws.requestStarted()
    const exchange = new UwsExchange(res, uws, method, url, headers, hasBody)
    // uWS aborts the process when a handler returns without answering or registering onAborted.
    res.onAborted(() => exchange.aborted())
    const body = exchange.body
    if (body !== undefined) {
      res.onData((chunk, isLast) => {
        if (exchange.done) return
        if (body.bytes + chunk.byteLength > limit) exchange.tooLarge(limit)
        else body.push(chunk, isLast)
      })
    }
    setHandling(res)
    const fiber = run(new UwsServerRequest(exchange))
    setHandling(undefined)
    const exit = fiber.pollUnsafe()
    if (exit !== undefined) {
      exchange.afterFiber(exit)
      return
    }
    exchange.fiber = fiber
    Fiber.runIn(fiber, fibers)
    fiber.addObserver((exit) => exchange.afterFiber(exit))
  }
  return (res: uWS.HttpResponse, req: uWS.HttpRequest): void => {
    // An exception escaping a uWS callback ends the process: answer 500 instead (bodyLimitFor is caller code).
    try {
      serve(res, req)
    } catch (defect) {
      setHandling(undefined)
      report(defect)
      try {
        res.cork(() => res.writeStatus("500 Internal Server Error").end("", true))
      } catch {
        // Already answered or aborted: nothing left to tell the client.
      }
    }
  }
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
          const report = (defect: unknown) =>
            Effect.runForkWith(services)(Effect.logError("UwsHttpServer: request handler threw", defect))
          const run = (request: UwsServerRequest) =>
            Effect.runForkWith(Context.add(services, HttpServerRequest, request))(handled)
          uws.app.any("/*", makeHandler(uws, options, run, fibers, report))
          yield* Scope.addFinalizer(serveScope, uws.shutdown(options.shutdownTimeoutMs ?? defaultShutdownTimeoutMs))
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
