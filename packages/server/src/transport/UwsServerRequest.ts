// An HttpServerRequest over what UwsHttpServer copied out of a uWS request: method, url and headers as plain values,
// the body as a UwsBody filled from res.onData. It calls no uWS API itself; the source (UwsExchange) does.
import type { FileSystem, Path, Schema, Scope } from "effect"
import { Array as Arr, Cause, Effect, Inspectable, type Option, type Pull, Stream } from "effect"
import * as Cookies from "effect/http/Cookies"
import type * as Headers from "effect/http/Headers"
import * as HttpIncomingMessage from "effect/http/HttpIncomingMessage"
import { HttpServerError, RequestParseError } from "effect/http/HttpServerError"
import * as HttpServerRequest from "effect/http/HttpServerRequest"
import * as Multipart from "effect/http/Multipart"
import * as UrlParams from "effect/http/UrlParams"

/**
 * How a body slows its sender down: the exchange pauses and resumes the uWS socket (res.pause/res.resume), and
 * ignores both once the response is finished or aborted, when uWS forbids touching `res`.
 */
export interface UwsBodyFlow {
  readonly pauseReading: () => void
  readonly resumeReading: () => void
}

/**
 * Past this many bytes held and not yet taken by a reader, the socket is paused until the reader catches up. uWS stops
 * reading only after its current read burst, which drains what the kernel has buffered for the socket (up to its
 * receive buffer, several MB on a fast link): the memory a slow reader costs is bounded by that, not by the body.
 */
export const BODY_HIGH_WATER_BYTES = 1024 * 1024

/**
 * A request body as it arrives from uWS. Chunks are copies (uWS neuters its buffer when onData returns). How long
 * they are kept depends on the reader: a whole-body read (JSON, text, form) keeps them all until the request ends,
 * bounded by the transport's body limit, and can read again; a stream reader takes them as they come and they are
 * dropped once handed over, so an upload is never held whole. Until a reader shows up, and while a stream reader is
 * behind, the socket is paused at BODY_HIGH_WATER_BYTES.
 */
export class UwsBody {
  /** Bytes received so far, taken or not (the transport's body limit counts these). */
  bytes = 0
  state: "open" | "done" | "failed" = "open"
  failure = ""
  private chunks: Array<Uint8Array> = []
  private held = 0
  private reader: "none" | "whole" | "stream" = "none"
  /** Bytes already handed to a stream reader and dropped: the body can no longer be read whole. */
  private taken = 0
  private paused = false
  private readonly flow: UwsBodyFlow
  private readonly listeners = new Set<() => void>()
  private joined: ArrayBuffer | undefined

  constructor(flow: UwsBodyFlow) {
    this.flow = flow
  }

  /** Called from res.onData: copies the chunk before the callback returns. */
  push(chunk: ArrayBuffer, isLast: boolean): void {
    if (this.state !== "open") return
    if (chunk.byteLength > 0) {
      this.chunks.push(new Uint8Array(chunk.slice(0)))
      this.bytes += chunk.byteLength
      this.held += chunk.byteLength
    }
    if (isLast) this.state = "done"
    else if (this.reader !== "whole" && this.held >= BODY_HIGH_WATER_BYTES && !this.paused) {
      this.paused = true
      this.flow.pauseReading()
    }
    this.notify()
  }

  fail(reason: string): void {
    if (this.state !== "open") return
    this.state = "failed"
    this.failure = reason
    this.chunks = []
    this.held = 0
    this.notify()
  }

  /** Whether the socket is paused for this body (the exchange resumes it before answering, so uWS drains the rest). */
  get isPaused(): boolean {
    return this.paused
  }

  /** Runs `listener` on every change until the returned function removes it. */
  subscribe(listener: () => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /**
   * Declares a whole-body reader: everything is kept from now on and the socket reads at full speed. False when a
   * stream reader took part of the body already.
   */
  readWhole(): boolean {
    if (this.taken > 0) return false
    this.reader = "whole"
    this.resume()
    return true
  }

  /** Declares a stream reader. False when the body was read whole or is being streamed by another reader. */
  readStream(): boolean {
    if (this.reader === "whole" || this.taken > 0) return false
    this.reader = "stream"
    return true
  }

  /**
   * Hands the oldest chunks (up to BODY_HIGH_WATER_BYTES, at least one) to the stream reader and forgets them. The
   * socket resumes only once the reader has taken everything: uWS drains the kernel's whole receive buffer (many MB on
   * a fast link) after a resume, and resuming earlier would let that burst arrive while the reader still holds the
   * previous one.
   */
  take(): Array<Uint8Array> {
    let count = 0
    let size = 0
    while (count < this.chunks.length) {
      const next = this.chunks[count]!.byteLength
      if (count > 0 && size + next > BODY_HIGH_WATER_BYTES) break
      size += next
      count++
    }
    const taken = count === this.chunks.length ? this.chunks : this.chunks.slice(0, count)
    this.chunks = count === this.chunks.length ? [] : this.chunks.slice(count)
    this.held -= size
    this.taken += size
    if (this.held === 0) this.resume()
    return taken
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
    // The joined copy is what later reads get: the chunks need not be kept beside it.
    this.chunks = []
    this.held = 0
    return this.joined
  }

  private resume(): void {
    // Once the body is complete the socket stays paused until the answer: resuming then would restart uWS's idle
    // timer (10 s) and close the connection under a handler that takes longer. The exchange resumes it when it ends.
    if (!this.paused || this.state === "done") return
    this.paused = false
    this.flow.resumeReading()
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
const alreadyStreamed = "request body was read as a stream already; it cannot be read whole as well"
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
    return Effect.suspend(() => {
      if (!body.readWhole()) return Effect.fail(this.parseError(alreadyStreamed))
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

  /**
   * The body as it arrives, pulled: each pull takes what has arrived (dropping it from the body) and waits when
   * nothing has, so a slow reader pauses the socket instead of the server buffering the upload. Read once; after a
   * whole-body read it replays that.
   */
  get stream(): Stream.Stream<Uint8Array, HttpServerError> {
    const body = this.source.body
    if (body === undefined) return Stream.empty
    return Stream.unwrap(
      Effect.sync(() => {
        if (!body.readStream()) {
          return Stream.fromEffect(Effect.map(this.arrayBuffer, (buffer) => new Uint8Array(buffer)))
        }
        const changed = Effect.callback<void>((resume) => {
          const unsubscribe = body.subscribe(() => {
            unsubscribe()
            resume(Effect.void)
          })
          return Effect.sync(unsubscribe)
        })
        const parseError = (description: string) => this.parseError(description)
        const pull: Pull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, HttpServerError> = Effect.suspend(
          function loop(): Pull.Pull<Arr.NonEmptyReadonlyArray<Uint8Array>, HttpServerError> {
            if (body.state === "failed") return Effect.fail(parseError(`request body ${body.failure}`))
            const chunks = body.take()
            if (Arr.isArrayNonEmpty(chunks)) return Effect.succeed(chunks)
            if (body.state === "done") return Cause.done()
            return Effect.flatMap(changed, loop)
          }
        )
        return Stream.fromPull(Effect.succeed(pull))
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
