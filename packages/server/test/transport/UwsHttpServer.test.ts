// UwsHttpServer over real sockets on 127.0.0.1: a tiny HttpApi served through it, body limits, aborts, concurrency
// and the graceful drain on shutdown.
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Fiber, Layer, Schema, Scope, Stream } from "effect"
import { HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { UwsApp } from "../../src/transport/UwsApp.ts"
import * as UwsHttpServer from "../../src/transport/UwsHttpServer.ts"
import { httpRequest, rawExchange, tryConnect } from "./httpRequest.ts"

class Item extends Schema.Class<Item>("Item")({ id: Schema.Number, name: Schema.String }) {}

const Api = HttpApi.make("transport-test").add(
  HttpApiGroup.make("items")
    .add(HttpApiEndpoint.get("get", "/items/:id", { params: { id: Schema.NumberFromString }, success: Item }))
    .add(HttpApiEndpoint.post("create", "/items", { payload: Schema.Struct({ name: Schema.String }), success: Item }))
    .add(HttpApiEndpoint.get("slow", "/slow", { success: Schema.Struct({ ok: Schema.Boolean }) }))
    .add(HttpApiEndpoint.get("sleep", "/sleep", { success: Schema.Struct({ ok: Schema.Boolean }) }))
    .add(HttpApiEndpoint.get("whoami", "/whoami", { success: Schema.Struct({ remoteAddress: Schema.String }) }))
)

/** What the tests observe from inside the handlers. */
class Probe extends Context.Service<
  Probe,
  {
    readonly started: Deferred.Deferred<void>
    readonly release: Deferred.Deferred<void>
    readonly interrupted: Deferred.Deferred<void>
  }
>()("test/Probe") {}

const Handlers = HttpApiBuilder.group(Api, "items", (handlers) =>
  Effect.gen(function* () {
    const probe = yield* Probe
    return handlers
      .handle("get", ({ params }) => Effect.succeed(new Item({ id: params.id, name: `item ${params.id}` })))
      .handle("create", ({ payload }) => Effect.succeed(new Item({ id: 7, name: payload.name })))
      .handle("slow", () =>
        Deferred.succeed(probe.started, undefined).pipe(
          Effect.andThen(Deferred.await(probe.release)),
          Effect.as({ ok: true }),
          Effect.onInterrupt(() => Deferred.succeed(probe.interrupted, undefined))
        )
      )
      .handle("sleep", () => Effect.sleep(100).pipe(Effect.as({ ok: true })))
      .handle("whoami", () =>
        Effect.gen(function* () {
          const request = yield* HttpServerRequest.HttpServerRequest
          return { remoteAddress: request.remoteAddress._tag === "Some" ? request.remoteAddress.value : "none" }
        })
      )
  })
)

const makeProbe = Effect.all({
  started: Deferred.make<void>(),
  release: Deferred.make<void>(),
  interrupted: Deferred.make<void>()
})

// 80 chunks of 64 KiB, chunk i filled with byte i: big enough to fill socket buffers, checkable byte by byte.
const streamChunks = 80
const StreamRoute = HttpRouter.add(
  "GET",
  "/stream",
  HttpServerResponse.stream(
    Stream.range(0, streamChunks - 1).pipe(Stream.map((i) => new Uint8Array(64 * 1024).fill(i))),
    { contentType: "application/octet-stream" }
  )
)

const serverLayer = (probe: Probe["Service"], options?: Partial<UwsHttpServer.UwsHttpServerOptions>) =>
  HttpRouter.serve(Layer.merge(HttpApiBuilder.layer(Api).pipe(Layer.provide(Handlers)), StreamRoute), {
    disableLogger: true,
    disableListenLog: true
  }).pipe(
    Layer.provideMerge(UwsHttpServer.layer({ host: "127.0.0.1", port: 0, maxBodyBytes: 1024, ...options })),
    Layer.provide(Layer.succeed(Probe, probe)),
    Layer.provide(UwsApp.layer)
  )

/** Starts a server in `scope` and returns its port. */
const startServer = (
  scope: Scope.Scope,
  probe: Probe["Service"],
  options?: Partial<UwsHttpServer.UwsHttpServerOptions>
) =>
  Effect.gen(function* () {
    const context = yield* Layer.buildWithScope(serverLayer(probe, options), scope)
    const address = Context.get(context, HttpServer.HttpServer).address
    assert.strictEqual(address._tag, "InetAddressV4")
    return (address as { readonly port: number }).port
  })

const tooLarge = (limit: number) =>
  JSON.stringify({
    _tag: "PayloadTooLarge",
    message: `request body exceeds ${limit} bytes; send a smaller body (limit set by MAX_BODY_BYTES)`
  })

describe("UwsHttpServer", () => {
  it.live("answers GET and POST JSON through an HttpApi", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      assert.notStrictEqual(port, 0)

      const got = yield* httpRequest(port, { path: "/items/42?x=1" })
      assert.strictEqual(got.status, 200)
      assert.match(String(got.headers["content-type"]), /application\/json/)
      assert.deepStrictEqual(JSON.parse(got.body), { id: 42, name: "item 42" })

      const created = yield* httpRequest(port, {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name: "brick" })
      })
      assert.strictEqual(created.status, 200)
      assert.deepStrictEqual(JSON.parse(created.body), { id: 7, name: "brick" })

      const chunked = yield* httpRequest(port, {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        write: (request) => {
          request.write('{"name":')
          request.end('"beam"}')
        }
      })
      assert.deepStrictEqual(JSON.parse(chunked.body), { id: 7, name: "beam" })

      const head = yield* httpRequest(port, { method: "HEAD", path: "/items/1" })
      assert.strictEqual(head.status, 200)
      assert.strictEqual(head.body, "")

      const missing = yield* httpRequest(port, { path: "/nope" })
      assert.strictEqual(missing.status, 404)

      const who = yield* httpRequest(port, { path: "/whoami" })
      assert.deepStrictEqual(JSON.parse(who.body), { remoteAddress: "127.0.0.1" })
    })
  )

  it.live("streams a 5 MiB response to a slow reader completely and in order", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      const result = yield* httpRequest(port, { path: "/stream", pauseMs: 300, slowRead: true })
      assert.strictEqual(result.status, 200)
      assert.strictEqual(result.headers["transfer-encoding"], "chunked")
      assert.strictEqual(result.bytes.length, streamChunks * 64 * 1024)
      for (let i = 0; i < streamChunks; i++) {
        const chunk = result.bytes.subarray(i * 64 * 1024, (i + 1) * 64 * 1024)
        assert.isTrue(
          chunk.every((byte) => byte === i),
          `chunk ${i} is intact`
        )
      }
    })
  )

  it.live("answers 413 at once for a content-length over the limit, without reading the body", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      const result = yield* httpRequest(port, {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json", "content-length": String(10 * 1024 * 1024) },
        // Only 1 KiB of the announced 10 MiB is ever sent: the answer must not wait for the rest.
        write: (request) => request.write("x".repeat(1024))
      }).pipe(Effect.timeout(5_000))
      assert.strictEqual(result.status, 413)
      assert.strictEqual(result.body, tooLarge(1024))

      // On a keep-alive connection the server announces and performs the close itself.
      const raw = yield* rawExchange(
        port,
        "POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 5000\r\n\r\n{"
      )
      assert.isTrue(raw.closedByServer)
      assert.match(raw.text, /^HTTP\/1\.1 413 /)
      assert.match(raw.text, /\r\nconnection: close\r\n/i)
      assert.isTrue(raw.text.endsWith(tooLarge(1024)))
    })
  )

  it.live("answers 413 and cuts off a chunked body that passes the limit while streaming", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe, {
        maxBodyBytes: 1_000_000,
        bodyLimitFor: (method, url) => (method === "POST" && url.startsWith("/items") ? 4096 : 1_000_000)
      })
      let sent = 0
      const result = yield* httpRequest(port, {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json", "transfer-encoding": "chunked" },
        write: (request) => {
          const timer = setInterval(() => {
            // Bounded: 200 chunks of 1 KiB at most, far past the 4 KiB limit.
            if (request.destroyed || sent >= 200) return clearInterval(timer)
            sent++
            request.write("y".repeat(1024))
          }, 2)
          request.once("response", () => clearInterval(timer))
          request.once("close", () => clearInterval(timer))
        }
      }).pipe(Effect.timeout(5_000))
      assert.strictEqual(result.status, 413)
      assert.strictEqual(result.body, tooLarge(4096))
      assert.isBelow(sent, 200)
    })
  )

  it.live("survives an aborted request and interrupts its handler", () =>
    Effect.gen(function* () {
      const probe = yield* makeProbe
      const port = yield* startServer(yield* Effect.scope, probe)
      const slow = yield* httpRequest(port, { path: "/slow" }).pipe(Effect.forkChild)
      yield* Deferred.await(probe.started)
      yield* Fiber.interrupt(slow) // destroys the client socket mid-request
      yield* Deferred.await(probe.interrupted).pipe(Effect.timeout(5_000))

      // A body cut off half way must not crash the server either.
      const half = yield* httpRequest(port, {
        method: "POST",
        path: "/items",
        headers: { "content-type": "application/json", "content-length": "100" },
        write: (request) => {
          request.write('{"name":"')
          setTimeout(() => request.destroy(), 20)
        }
      }).pipe(Effect.exit)
      assert.isTrue(Exit.isFailure(half))

      const after = yield* httpRequest(port, { path: "/items/3" })
      assert.strictEqual(after.status, 200)
    })
  )

  it.live("serves concurrent requests concurrently", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      const started = Date.now()
      const results = yield* Effect.forEach(
        Array.from({ length: 50 }, (_, i) => i),
        (i) => httpRequest(port, { path: i % 2 === 0 ? "/sleep" : `/items/${i}` }),
        { concurrency: "unbounded" }
      )
      // 25 handlers sleep 100 ms each: run one after the other they would take 2.5 s.
      assert.isBelow(Date.now() - started, 2_000)
      for (const [i, result] of results.entries()) {
        assert.strictEqual(result.status, 200)
        assert.deepStrictEqual(JSON.parse(result.body), i % 2 === 0 ? { ok: true } : { id: i, name: `item ${i}` })
      }
    })
  )

  it.live("shuts down gracefully: finishes the in-flight request, then refuses new connections", () =>
    Effect.gen(function* () {
      const probe = yield* makeProbe
      const scope = yield* Scope.make()
      const port = yield* startServer(scope, probe)
      const slow = yield* httpRequest(port, { path: "/slow" }).pipe(Effect.forkChild)
      yield* Deferred.await(probe.started)

      const closing = yield* Scope.close(scope, Exit.void).pipe(Effect.forkChild)
      yield* Effect.sleep(100)
      // Draining: the listen socket is closed while the slow request is still being served.
      assert.strictEqual(yield* tryConnect(port), "ECONNREFUSED")
      assert.isUndefined(slow.pollUnsafe())
      assert.isUndefined(closing.pollUnsafe())

      yield* Deferred.succeed(probe.release, undefined)
      const result = yield* Fiber.join(slow)
      assert.strictEqual(result.status, 200)
      assert.deepStrictEqual(JSON.parse(result.body), { ok: true })
      yield* Fiber.join(closing).pipe(Effect.timeout(5_000))
      assert.isFalse(yield* Deferred.isDone(probe.interrupted))
      assert.strictEqual(yield* tryConnect(port), "ECONNREFUSED")
    })
  )

  it.live("stops waiting for in-flight requests after shutdownTimeoutMs", () =>
    Effect.gen(function* () {
      const probe = yield* makeProbe
      const scope = yield* Scope.make()
      const port = yield* startServer(scope, probe, { shutdownTimeoutMs: 200 })
      const slow = yield* httpRequest(port, { path: "/slow" }).pipe(Effect.exit, Effect.forkChild)
      yield* Deferred.await(probe.started)
      const started = Date.now()
      yield* Scope.close(scope, Exit.void).pipe(Effect.timeout(5_000))
      const elapsed = Date.now() - started
      assert.isAtLeast(elapsed, 150)
      assert.isBelow(elapsed, 2_000)
      yield* Deferred.await(probe.interrupted).pipe(Effect.timeout(1_000))
      const result = yield* Fiber.join(slow)
      // The cut request gets a 503 (or its connection closed), never a hang.
      if (Exit.isSuccess(result)) assert.strictEqual(result.value.status, 503)
    })
  )

  it.live("fails with ServeError when the port is taken or the host is not an IP", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      const taken = yield* startServer(yield* Effect.scope, yield* makeProbe, { port }).pipe(Effect.flip)
      assert.strictEqual(taken._tag, "ServeError")
      assert.include(String((taken as { cause: unknown }).cause), `127.0.0.1:${port}`)
      const named = yield* startServer(yield* Effect.scope, yield* makeProbe, { host: "example.org" }).pipe(Effect.flip)
      assert.strictEqual(named._tag, "ServeError")
    })
  )

  it.live("keeps a keep-alive connection usable after answering a POST without reading its body", () =>
    Effect.gen(function* () {
      const port = yield* startServer(yield* Effect.scope, yield* makeProbe)
      const raw = yield* rawExchange(
        port,
        "POST /nope HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello" +
          "GET /items/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
      )
      const statuses = Array.from(raw.text.matchAll(/HTTP\/1\.1 (\d{3})/g), (match) => match[1])
      assert.deepStrictEqual(statuses, ["404", "200"])
      assert.isTrue(raw.text.endsWith(JSON.stringify({ id: 5, name: "item 5" })))
    })
  )
})
