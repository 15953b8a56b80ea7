// Request bodies through UwsHttpServer over real sockets: a stream reader slower than the sender gets every byte in
// order (the socket is paused and resumed under it), an answer given without reading a large body leaves the
// keep-alive connection usable, a handler that works past uWS's idle timer after reading its body still answers,
// and a body streamed once cannot be read whole afterwards.
import { createHash } from "node:crypto"
import { assert, describe, it } from "@effect/vitest"
import { Context, Effect, Layer, Stream } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { UwsApp } from "../../src/transport/UwsApp.ts"
import * as UwsHttpServer from "../../src/transport/UwsHttpServer.ts"
import { BODY_HIGH_WATER_BYTES } from "../../src/transport/UwsServerRequest.ts"
import { httpRequest, rawExchange } from "./httpRequest.ts"

const MiB = 1024 * 1024

// Reads the body as a stream, 2 ms per chunk: far slower than a local sender, so the body has to pause the socket.
const SlowReader = HttpRouter.add(
  "POST",
  "/slow-reader",
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const hash = createHash("sha256")
    let bytes = 0
    yield* Stream.runForEach(request.stream, (chunk) =>
      Effect.sync(() => {
        hash.update(chunk)
        bytes += chunk.byteLength
      }).pipe(Effect.andThen(Effect.sleep(2)))
    )
    return yield* HttpServerResponse.json({ bytes, sha256: hash.digest("hex") })
  })
)

// Streams the body, then asks for it whole: the second read must fail as a bad request, not hand back a part.
const ReadTwice = HttpRouter.add(
  "POST",
  "/read-twice",
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    yield* Stream.runDrain(request.stream)
    const whole = yield* request.arrayBuffer
    return yield* HttpServerResponse.json({ bytes: whole.byteLength })
  })
)

// Reads the body whole once it has arrived (and paused the socket past the high-water mark), then works for longer
// than uWS's idle timer (10 s) before it answers.
const LONG_HANDLER_MS = 11_500
const ReadThenWork = HttpRouter.add(
  "POST",
  "/read-then-work",
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    yield* Effect.sleep(300)
    const whole = yield* request.arrayBuffer
    yield* Effect.sleep(LONG_HANDLER_MS)
    return yield* HttpServerResponse.json({ bytes: whole.byteLength })
  })
)

// Answers after a moment without touching the body: by then the body has paused the socket.
const IgnoreBody = HttpRouter.add(
  "POST",
  "/ignore-body",
  Effect.sleep(100).pipe(Effect.andThen(HttpServerResponse.json({ ignored: true })))
)

const startServer = Effect.gen(function* () {
  const layer = HttpRouter.serve(Layer.mergeAll(SlowReader, ReadTwice, IgnoreBody, ReadThenWork), {
    disableLogger: true,
    disableListenLog: true
  }).pipe(
    Layer.provideMerge(UwsHttpServer.layer({ host: "127.0.0.1", port: 0, maxBodyBytes: 64 * MiB })),
    Layer.provide(UwsApp.layer)
  )
  const context = yield* Layer.buildWithScope(layer, yield* Effect.scope)
  return (Context.get(context, HttpServer.HttpServer).address as { readonly port: number }).port
})

/** `size` bytes that differ from chunk to chunk, so a lost, doubled or reordered chunk changes the digest. */
const bodyOf = (size: number) => {
  const bytes = Buffer.alloc(size)
  for (let i = 0; i < size; i += 1024) bytes.writeUInt32LE(i, i)
  return bytes
}

describe("UwsHttpServer request bodies", () => {
  it.live("a slow stream reader gets a 24 MiB body whole and in order", () =>
    Effect.gen(function* () {
      const port = yield* startServer
      const body = bodyOf(24 * MiB)
      const result = yield* httpRequest(port, {
        method: "POST",
        path: "/slow-reader",
        headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
        write: (request) => request.end(body)
      }).pipe(Effect.timeout(30_000))
      assert.strictEqual(result.status, 200)
      assert.deepStrictEqual(JSON.parse(result.body), {
        bytes: body.length,
        sha256: createHash("sha256").update(body).digest("hex")
      })
    })
  )

  it.live("answers a request whose large body nobody reads, and the keep-alive connection serves the next one", () =>
    Effect.gen(function* () {
      const port = yield* startServer
      // Several times the high-water mark: the body pauses the socket while no one reads it, and the answer has to
      // resume it so uWS can read past the rest to the next request.
      const size = 4 * BODY_HIGH_WATER_BYTES
      const raw = yield* rawExchange(
        port,
        `POST /ignore-body HTTP/1.1\r\nHost: x\r\nContent-Length: ${size}\r\n\r\n${"z".repeat(size)}` +
          "POST /read-twice HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi"
      )
      const statuses = Array.from(raw.text.matchAll(/HTTP\/1\.1 (\d{3})/g), (match) => match[1])
      assert.deepStrictEqual(statuses, ["200", "400"])
      assert.isTrue(raw.closedByServer)
    })
  )

  // Once a body is read, its socket stays paused until the answer: resumed, uWS would start its 10 s idle timer
  // and close the connection under a handler still at work (an upload's parse, an export).
  it.live(
    "a handler that reads its body and then works for longer than uWS's idle timer still answers",
    () =>
      Effect.gen(function* () {
        const port = yield* startServer
        const body = bodyOf(2 * BODY_HIGH_WATER_BYTES)
        const started = Date.now()
        const result = yield* httpRequest(port, {
          method: "POST",
          path: "/read-then-work",
          headers: { "content-type": "application/octet-stream", "content-length": String(body.length) },
          write: (request) => request.end(body)
        }).pipe(Effect.timeout(30_000))
        assert.strictEqual(result.status, 200)
        assert.deepStrictEqual(JSON.parse(result.body), { bytes: body.length })
        assert.isAtLeast(Date.now() - started, LONG_HANDLER_MS)
      }),
    { timeout: 40_000 }
  )

  it.live("a body streamed once cannot be read whole afterwards: 400, not a truncated body", () =>
    Effect.gen(function* () {
      const port = yield* startServer
      const result = yield* httpRequest(port, {
        method: "POST",
        path: "/read-twice",
        headers: { "content-type": "application/octet-stream" },
        body: "x".repeat(3 * MiB)
      })
      assert.strictEqual(result.status, 400)
    })
  )
})
