// One uWS request/response pair and the writing of an Effect HttpServerResponse onto it: status and headers corked,
// bodies at once or streamed with onWritable backpressure. It does not read requests or run the app (UwsHttpServer).

import type * as uWS from "uWebSockets.js"
import { STATUS_CODES } from "node:http"
import { Cause, Effect, Exit, type Fiber, Latch, Option, Stream } from "effect"
import * as Cookies from "effect/http/Cookies"
import * as Headers from "effect/http/Headers"
import type * as HttpBody from "effect/http/HttpBody"
import { ClientAbort } from "effect/http/HttpServerError"
import type { HttpServerRequest } from "effect/http/HttpServerRequest"
import type { HttpServerResponse } from "effect/http/HttpServerResponse"
import type { UwsAppShape } from "./UwsApp.ts"
import { UwsBody, type UwsBodyFlow, type UwsRequestSource } from "./UwsServerRequest.ts"

/** The JSON body of a 413, shared by the content-length check and the streaming check. */
export const payloadTooLargeBody = (limit: number): string =>
  JSON.stringify({
    _tag: "PayloadTooLarge",
    message: `request body exceeds ${limit} bytes; send a smaller body (limit set by MAX_BODY_BYTES)`
  })

// uWS sets these itself from what the response is ended with.
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

/** The response whose uWS handler is running right now (uWS runs handlers one at a time, synchronously). */
let handling: uWS.HttpResponse | undefined

/** Marks `res` as the one whose uWS handler is running (or none), so answers written meanwhile skip the cork. */
export const setHandling = (res: uWS.HttpResponse | undefined): void => {
  handling = res
}

/**
 * One request/response pair. It is the request's `source`, so handleResponse finds the uWS response through any
 * `request.modify` view. `done` flips once the response is ended or aborted: uWS throws on any later use of `res`.
 * It is also its body's flow control: the body pauses and resumes reading the socket through it.
 */
export class UwsExchange implements UwsRequestSource, UwsBodyFlow {
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
    hasBody: boolean
  ) {
    this.res = res
    this.uws = uws
    this.method = method
    this.url = url
    this.headers = headers
    this.body = hasBody ? new UwsBody(this) : undefined
  }

  readonly pauseReading = (): void => {
    if (!this.done) this.res.pause()
  }

  readonly resumeReading = (): void => {
    if (!this.done) this.res.resume()
  }

  /**
   * Read on first use, not per request: a native call plus a decode is a measurable share of a small request.
   * uWS forgets it once the response is sent, so read it while handling (tracers and rate limiters do).
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
    // Answered before the body was read to the end (a 404, a refused upload): a paused socket would never deliver the
    // rest, and the connection would hang; resumed, uWS reads it and onData drops it.
    if (this.body?.isPaused === true) this.res.resume()
    this.done = true
    this.uws.requestFinished()
    // uWS corks a response for the duration of its own handler: a synchronous answer needs no cork of its own.
    if (handling === this.res) write(this.res, this.uws.isShuttingDown())
    else this.res.cork(() => write(this.res, this.uws.isShuttingDown()))
  }

  /** From res.onAborted: the client went away; `res` must not be touched again. */
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

  /** A fiber that ended without a response (interrupted at shutdown, or a bug) still answers. */
  afterFiber(exit: Exit.Exit<void>): void {
    if (this.done) return
    const interrupted = Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)
    this.end((res) => {
      res.writeStatus(interrupted ? "503 Service Unavailable" : "500 Internal Server Error")
      res.end("", true)
    })
  }
}

const writeHead = (res: uWS.HttpResponse, response: HttpServerResponse, headers: Headers.Headers): void => {
  res.writeStatus(statusLine(response.status, response.statusText))
  for (const name in headers) {
    if (!skippedHeaders.has(name)) res.writeHeader(name, headers[name]!)
  }
  // Most responses share the empty constant: skip the record scan for them.
  if (response.cookies !== Cookies.empty && !Cookies.isEmpty(response.cookies)) {
    for (const cookie of Cookies.toSetCookieHeaders(response.cookies)) res.writeHeader("set-cookie", cookie)
  }
}

// uWS writes header values verbatim, unlike Node which rejects them: a CR or LF would split the response.
const unsafeHeader = (headers: Headers.Headers): string | undefined => {
  for (const name in headers) {
    const value = headers[name]!
    if (value.includes("\n") || value.includes("\r") || name.includes("\n") || name.includes("\r")) return name
  }
  return undefined
}

const bodyError = (cause: unknown) => cause

/** Raw bodies: bytes and strings are sent at once; anything else (web or Node streams, Blob) is streamed. */
const rawBody = (body: unknown): string | Uint8Array | Stream.Stream<Uint8Array, unknown> => {
  if (typeof body === "string" || body instanceof Uint8Array) return body
  if (body instanceof ArrayBuffer) return new Uint8Array(body)
  const web =
    body instanceof Response
      ? body.body
      : body instanceof ReadableStream
        ? (body as ReadableStream<Uint8Array>)
        : typeof body === "object" && body !== null && Symbol.asyncIterator in body
          ? undefined
          : new Response(body as BodyInit).body
  if (web === undefined) return Stream.fromAsyncIterable(body as AsyncIterable<Uint8Array>, bodyError)
  return web === null ? "" : Stream.fromReadableStream({ evaluate: () => web, onError: bodyError })
}

const streamBody = (
  exchange: UwsExchange,
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
  // One chunk at a time: a synchronous source hands over thousands per array, which uWS would otherwise buffer whole.
  const writeFrom = (chunks: ReadonlyArray<Uint8Array>, from: number): Effect.Effect<void> => {
    let ok = true
    for (let i = from; i < chunks.length; i++) {
      if (exchange.done) return Effect.interrupt
      const chunk = chunks[i]!
      res.cork(() => {
        ok = res.write(chunk)
      })
      if (!ok) {
        writable.closeUnsafe()
        return Effect.flatMap(writable.await, () => writeFrom(chunks, i + 1))
      }
    }
    return Effect.void
  }
  return stream.pipe(
    Stream.runForEachArray((chunks) => writeFrom(chunks, 0)),
    Effect.interruptible,
    Effect.onExit((exit) =>
      Effect.sync(() => {
        if (Exit.isSuccess(exit)) exchange.end((res, close) => res.end("", close))
        // A body that failed after the headers went out: cut the connection so the client cannot take it as whole.
        else exchange.end((res) => res.close())
      })
    )
  )
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

/** The `handleResponse` of HttpEffect.toHandled: writes `response` onto the request's uWS response. */
export const handleResponse = (
  request: HttpServerRequest,
  response: HttpServerResponse
): Effect.Effect<void, unknown> => {
  const exchange = request.source
  if (!(exchange instanceof UwsExchange)) {
    return Effect.die(new Error("UwsHttpServer: the request was replaced by one that is not from this server"))
  }
  const body = response.body
  if (exchange.done) return cancelBody(body)
  let headers = response.headers
  const unsafe = unsafeHeader(headers)
  if (unsafe !== undefined) {
    return Effect.andThen(cancelBody(body), Effect.die(new Error(`response header ${unsafe} contains CR or LF`)))
  }
  const status = response.status
  if (exchange.method === "HEAD" || status === 204 || status === 205 || status === 304) {
    const length = status === 204 || status === 205 ? undefined : contentLengthOf(response)
    exchange.end((res) => {
      writeHead(res, response, headers)
      // endWithoutBody(n) leaves uWS waiting for n bytes and endWithoutBody(undefined, …) announces 2^63 bytes:
      // only the no-argument form ends cleanly, so a HEAD's length goes out as a plain header.
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
      if (typeof raw !== "string" && !(raw instanceof Uint8Array)) return streamBody(exchange, response, headers, raw)
      exchange.end((res, close) => {
        writeHead(res, response, headers)
        res.end(raw, close)
      })
      return Effect.void
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
