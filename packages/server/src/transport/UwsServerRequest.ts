// An HttpServerRequest over what UwsHttpServer copied out of a uWS request: method, url and headers as plain values,
// the body as a UwsBody filled from res.onData. It calls no uWS API itself; the source (UwsExchange) does.
import type { FileSystem, Path, Schema, Scope } from "effect"
import { Cause, Effect, Inspectable, type Option, Queue, Stream } from "effect"
import * as Cookies from "effect/http/Cookies"
import type * as Headers from "effect/http/Headers"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import { HttpServerError, RequestParseError } from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Multipart from "effect/http/Multipart"
import * as UrlParams from "effect/http/UrlParams"

/**
 * A request body as it arrives from uWS. Chunks are copies (uWS neuters its buffer when onData returns) and are kept
 * until the request ends, so the body can be read more than once; the transport's body limit bounds the memory.
 */
export class UwsBody {
  readonly chunks: Array<Uint8Array> = []
  bytes = 0
  state: "open" | "done" | "failed" = "open"
  failure = ""
  private readonly listeners = new Set<() => void>()
  private joined: ArrayBuffer | undefined

  /** Called from res.onData: copies the chunk before the callback returns. */
  push(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.state !== "open") return
    if (chunk.byteLength > 0) {
      this.chunks.push(new Uint8Array(chunk.slice(0)))
      this.bytes += chunk.byteLength
    }
    if (isLast) this.state = "done"
    this.notify()
  }

  fail(reason: string): void {
    if (this.state !== "open") return
    this.state = "failed"
    this.failure = reason
    this.notify()
  }

  /** Runs `listener` on every change until the returned function removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  join(): ArrayBuffer {
    if (this.joined !== undefined) return this.joined
    const out = new Uint8Array(this.bytes)
    let offset = 0
    for (const chunk of this.chunks) {
      out.set(chunk, offset)
      offset += chunk.byteLength
    }
    this.joined = out.buffer
    return this.joined
  }

  private notify(): void {
    for (const listener of Array.from(this.listeners)) listener()
  }
}

/** The request line and headers, read synchronously inside the uWS handler. */
export interface UwsRequestSource {
  readonly method: string
  /** Path and query as sent, e.g. `/projects/1?x=2`. */
  readonly url: string
  readonly headers: Headers.Headers
  readonly remoteAddress: Option.Option<string>
  /** Undefined when the request has no body (no content-length > 0 and no transfer-encoding). */
  readonly body: UwsBody | undefined
}

const textDecoder = new TextDecoder()
const emptyBuffer = new ArrayBuffer(0)

export class UwsServerRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: typeof HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: typeof HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  readonly source: UwsRequestSource
  readonly url: string
  readonly headers: Headers.Headers
  readonly protocol: "http" | "https" | undefined
  private readonly remoteOverride: Option.Option<string> | undefined
  private readonly peerOverride: Option.Option<string> | undefined

  constructor(
    source: UwsRequestSource,
    overrides?: {
      readonly url?: string | undefined
      readonly headers?: Headers.Headers | undefined
      readonly remoteAddress?: Option.Option<string> | undefined
      readonly peerAddress?: Option.Option<string> | undefined
      readonly protocol?: "http" | "https" | undefined
    }
  ) {
    super()
    this.source = source
    this.url = overrides?.url ?? source.url
    this.headers = overrides?.headers ?? source.headers
    this.remoteOverride = overrides?.remoteAddress
    this.peerOverride = overrides?.peerAddress
    this.protocol = overrides?.protocol
  }

  // Read through to the source, which reads the address lazily.
  get remoteAddress(): Option.Option<string> {
    return this.remoteOverride ?? this.source.remoteAddress
  }

  get peerAddress(): Option.Option<string> {
    return this.peerOverride ?? this.source.remoteAddress
  }

  get method(): string {
    return this.source.method
  }

  get originalUrl(): string {
    const host = this.source.headers.host
    return host === undefined ? this.source.url : `http://${host}${this.source.url}`
  }

  modify(options: {
    readonly url?: string | undefined
    readonly headers?: Headers.Headers | undefined
    readonly remoteAddress?: Option.Option<string> | undefined
    readonly peerAddress?: Option.Option<string> | undefined
    readonly protocol?: "http" | "https" | undefined
  }): UwsServerRequest {
    return new UwsServerRequest(this.source, {
      url: options.url ?? this.url,
      headers: options.headers ?? this.headers,
      remoteAddress: "remoteAddress" in options ? options.remoteAddress : this.remoteOverride,
      peerAddress: options.peerAddress ?? this.peerOverride,
      protocol: options.protocol ?? this.protocol
    })
  }

  private cachedCookies: Record<string, string> | undefined
  get cookies(): Record<string, string> {
    this.cachedCookies ??= Cookies.parseHeader(this.headers.cookie ?? "")
    return this.cachedCookies
  }

  private parseError(description: string, cause?: unknown): HttpServerError {
    return new HttpServerError({ reason: new RequestParseError({ request: this, description, cause }) })
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpServerError> {
    const body = this.source.body
    if (body === undefined) return Effect.succeed(emptyBuffer)
    if (body.state === "done") return Effect.succeed(body.join())
    return Effect.callback<ArrayBuffer, HttpServerError>((resume) => {
      const settle = () => {
        if (body.state === "done") resume(Effect.succeed(body.join()))
        else if (body.state === "failed") resume(Effect.fail(this.parseError(`request body ${body.failure}`)))
      }
      if (body.state !== "open") return settle()
      const unsubscribe = body.subscribe(() => {
        if (body.state === "open") return
        unsubscribe()
        settle()
      })
      return Effect.sync(unsubscribe)
    })
  }

  get text(): Effect.Effect<string, HttpServerError> {
    return Effect.map(this.arrayBuffer, (buffer) => textDecoder.decode(buffer))
  }

  get json(): Effect.Effect<Schema.Json, HttpServerError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => JSON.parse(text) as Schema.Json,
        catch: (cause) => this.parseError("invalid JSON body", cause)
      })
    )
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpServerError> {
    // A leading "?" is form data; URLSearchParams would drop it as a query prefix.
    return Effect.map(this.text, (text) => UrlParams.fromInput(new URLSearchParams(text.replace(/^\?/, "%3F"))))
  }

  get stream(): Stream.Stream<Uint8Array, HttpServerError> {
    const body = this.source.body
    if (body === undefined) return Stream.empty
    return Stream.callback<Uint8Array, HttpServerError>((queue) =>
      Effect.suspend(() => {
        let sent = 0
        const flush = () => {
          while (sent < body.chunks.length) Queue.offerUnsafe(queue, body.chunks[sent++]!)
          if (body.state === "done") Queue.endUnsafe(queue)
          else if (body.state === "failed") {
            Queue.failCauseUnsafe(queue, Cause.fail(this.parseError(`request body ${body.failure}`)))
          }
        }
        flush()
        if (body.state !== "open") return Effect.void
        const unsubscribe = body.subscribe(flush)
        return Effect.addFinalizer(() => Effect.sync(unsubscribe))
      })
    )
  }

  private multipartEffect:
    | Effect.Effect<Multipart.Persisted, Multipart.MultipartError, Scope.Scope | FileSystem.FileSystem | Path.Path>
    | undefined
  get multipart(): Effect.Effect<
    Multipart.Persisted,
    Multipart.MultipartError,
    Scope.Scope | FileSystem.FileSystem | Path.Path
  > {
    this.multipartEffect ??= Effect.runSync(Effect.cached(Multipart.toPersisted(this.multipartStream)))
    return this.multipartEffect
  }

  get multipartStream(): Stream.Stream<Multipart.Part, Multipart.MultipartError> {
    return Stream.pipeThroughChannel(
      Stream.mapError(this.stream, (cause) => Multipart.MultipartError.fromReason("InternalError", cause)),
      Multipart.makeChannel(this.headers)
    )
  }

  get upgrade(): Effect.Effect<never, HttpServerError> {
    return this.upgradeWith({})
  }

  upgradeWith(_options: { readonly headers?: Headers.Input | undefined }): Effect.Effect<never, HttpServerError> {
    return Effect.fail(this.parseError("not upgradeable: websockets are served by UwsRpcProtocol on app.ws"))
  }

  override toString(): string {
    return `ServerRequest(${this.method} ${UrlParams.redactUrl(this.url)})`
  }

  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "HttpServerRequest",
      method: this.method,
      url: UrlParams.redactUrl(this.originalUrl)
    })
  }
}
