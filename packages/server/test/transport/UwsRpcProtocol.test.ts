// UwsRpcProtocol over real websockets on 127.0.0.1: RpcClient (global WebSocket) against RpcServer on the same
// uWS app and port as an HTTP route; authentication at the upgrade, streams, ordering and disconnects.

import { execFile } from "node:child_process"
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Exit, Layer, Schema, Scope, Stream } from "effect"
import { HttpRouter, HttpServer, HttpServerResponse } from "effect/http"
import { Rpc, RpcClient, RpcGroup, RpcSerialization, RpcServer } from "effect/rpc"
import { Socket } from "effect/socket"
import { UwsApp } from "../../src/transport/UwsApp.ts"
import * as UwsHttpServer from "../../src/transport/UwsHttpServer.ts"
import * as UwsRpcProtocol from "../../src/transport/UwsRpcProtocol.ts"
import { httpRequest } from "./httpRequest.ts"

const Group = RpcGroup.make(
  Rpc.make("WhoAmI", { success: Schema.Struct({ userId: Schema.String, host: Schema.String }) }),
  Rpc.make("Count", { payload: { n: Schema.Number }, success: Schema.Number, stream: true }),
  Rpc.make("Ticks", { success: Schema.Number, stream: true }),
  Rpc.make("Big", { payload: { size: Schema.Number }, success: Schema.String })
)

class Probe extends Context.Service<
  Probe,
  { readonly ticking: Deferred.Deferred<void>; readonly ticksEnded: Deferred.Deferred<void> }
>()("test/RpcProbe") {}

const Handlers = Group.toLayer(
  Effect.gen(function* () {
    const probe = yield* Probe
    return Group.of({
      WhoAmI: (_, { headers }) => Effect.succeed({ userId: headers["x-user-id"] ?? "none", host: headers.host ?? "" }),
      Count: ({ n }) => Stream.range(1, n),
      Big: ({ size }) => Effect.succeed("x".repeat(size)),
      Ticks: () =>
        Stream.iterate(0, (n) => n + 1).pipe(
          Stream.tap(() => Deferred.succeed(probe.ticking, undefined)),
          Stream.tap(() => Effect.sleep(5)),
          Stream.onExit(() => Deferred.succeed(probe.ticksEnded, undefined))
        )
    })
  })
)

const authenticate: UwsRpcProtocol.UwsRpcProtocolOptions["authenticate"] = ({ headers, query }) => {
  const token = new URLSearchParams(query).get("token") ?? headers.authorization?.replace(/^Bearer /, "")
  return Effect.succeed(token === "good" ? { "x-user-id": "user-1" } : undefined)
}

const health = HttpRouter.add("GET", "/health", HttpServerResponse.text("ok"))

const serverLayer = (probe: Probe["Service"], protocol?: Partial<UwsRpcProtocol.UwsRpcProtocolOptions>) =>
  Layer.mergeAll(
    HttpRouter.serve(health, { disableLogger: true, disableListenLog: true }),
    RpcServer.layer(Group).pipe(
      Layer.provide(Handlers),
      Layer.provide(UwsRpcProtocol.layer({ path: "/rpc", authenticate, ...protocol })),
      Layer.provide(RpcSerialization.layerJson)
    )
  ).pipe(
    Layer.provideMerge(UwsHttpServer.layer({ host: "127.0.0.1", port: 0, maxBodyBytes: 1024 })),
    Layer.provide(Layer.succeed(Probe, probe)),
    Layer.provide(UwsApp.layer)
  )

const startIn = Effect.fnUntraced(function* (
  scope: Scope.Scope,
  protocol?: Partial<UwsRpcProtocol.UwsRpcProtocolOptions>
) {
  const probe = { ticking: yield* Deferred.make<void>(), ticksEnded: yield* Deferred.make<void>() }
  const context = yield* Layer.buildWithScope(serverLayer(probe, protocol), scope)
  const port = (Context.get(context, HttpServer.HttpServer).address as { readonly port: number }).port
  return { port, probe }
})

const start = Effect.flatMap(Effect.scope, (scope) => startIn(scope))

// A client in another process (its event loop is blocked while it does not read, ours is not): it sends `count`
// requests for `size`-byte answers, stops reading for 1.5 s, then counts the successful answers it gets.
const slowReader = (url: string, count: number, size: number) => `
  const ws = new WebSocket(${JSON.stringify(url)})
  let ok = 0
  ws.onopen = () => {
    for (let i = 0; i < ${count}; i++) {
      ws.send(JSON.stringify({ _tag: "Request", id: String(i), tag: "Big", payload: { size: ${size} }, headers: [] }))
    }
    setTimeout(() => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 1500), 50)
  }
  ws.onmessage = (event) => {
    const message = JSON.parse(String(event.data))
    if (message._tag === "Exit" && message.exit._tag === "Success" && message.exit.value.length === ${size}) ok++
    if (ok === ${count}) { console.log("ok " + ok); process.exit(0) }
  }
  ws.onclose = (event) => { console.log("closed " + event.code + " after " + ok); process.exit(0) }
  setTimeout(() => { console.log("timeout after " + ok); process.exit(0) }, 10000)
`

const clientLayer = (url: string) =>
  RpcClient.layerProtocolSocket({ retryTransientErrors: false }).pipe(
    Layer.provide(Socket.layerWebSocket(url)),
    Layer.provide(Socket.layerWebSocketConstructorGlobal),
    Layer.provide(RpcSerialization.layerJson)
  )

/** Opens a bare global WebSocket; resolves "open", or "error" / the close code it got instead. */
const openRaw = (url: string) =>
  Effect.callback<{ readonly ws: WebSocket; readonly outcome: string }>((resume) => {
    const ws = new WebSocket(url)
    ws.onopen = () => resume(Effect.succeed({ ws, outcome: "open" }))
    // Node 22's WebSocket reports a refused handshake as `error` only; it never fires `close` for it.
    ws.onerror = () => resume(Effect.succeed({ ws, outcome: "error" }))
    ws.onclose = (event) => resume(Effect.succeed({ ws, outcome: `closed ${event.code}` }))
  })

describe("UwsRpcProtocol", () => {
  it.live("serves a unary RPC with the authenticated identity in its headers", () =>
    Effect.gen(function* () {
      const { port } = yield* start
      const result = yield* Effect.gen(function* () {
        const client = yield* RpcClient.make(Group)
        const plain = yield* client.WhoAmI()
        // A client cannot claim another identity: the authenticate result overrides its headers.
        const spoofed = yield* client.WhoAmI(undefined, { headers: { "x-user-id": "attacker" } })
        return { plain, spoofed }
      }).pipe(Effect.provide(clientLayer(`ws://127.0.0.1:${port}/rpc?token=good`)))
      assert.deepStrictEqual(result.plain, { userId: "user-1", host: `127.0.0.1:${port}` })
      assert.deepStrictEqual(result.spoofed, { userId: "user-1", host: `127.0.0.1:${port}` })

      // The same port still serves HTTP, including a plain GET on the websocket path.
      assert.strictEqual((yield* httpRequest(port, { path: "/health" })).body, "ok")
      assert.strictEqual((yield* httpRequest(port, { path: "/rpc" })).status, 404)
    })
  )

  it.live("answers 401 with a JSON body instead of upgrading for a bad token", () =>
    Effect.gen(function* () {
      const { port } = yield* start
      const upgradeHeaders = {
        connection: "Upgrade",
        upgrade: "websocket",
        "sec-websocket-version": "13",
        "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ=="
      }
      const refused = yield* httpRequest(port, { path: "/rpc?token=bad", headers: upgradeHeaders })
      assert.strictEqual(refused.status, 401)
      const body = JSON.parse(refused.body)
      assert.strictEqual(body._tag, "Unauthorized")
      assert.isString(body.message)

      const viaHeader = yield* httpRequest(port, {
        path: "/rpc",
        headers: { ...upgradeHeaders, authorization: "Bearer good" }
      })
      assert.strictEqual(viaHeader.status, 101)

      const raw = yield* openRaw(`ws://127.0.0.1:${port}/rpc?token=bad`)
      assert.strictEqual(raw.outcome, "error")

      // Through RpcClient the call fails instead of hanging.
      const call = yield* Effect.gen(function* () {
        const client = yield* RpcClient.make(Group)
        return yield* client.WhoAmI()
      }).pipe(Effect.provide(clientLayer(`ws://127.0.0.1:${port}/rpc?token=bad`)), Effect.timeout(5_000), Effect.exit)
      assert.strictEqual(call._tag, "Failure")
      assert.notInclude(String(call), "TimeoutError")
      const ok = yield* openRaw(`ws://127.0.0.1:${port}/rpc?token=good`)
      assert.strictEqual(ok.outcome, "open")
      ok.ws.close()
    })
  )

  it.live("streams 1,000 items complete and in order", () =>
    Effect.gen(function* () {
      const { port } = yield* start
      const items = yield* Effect.gen(function* () {
        const client = yield* RpcClient.make(Group)
        return yield* Stream.runCollect(client.Count({ n: 1000 }))
      }).pipe(Effect.provide(clientLayer(`ws://127.0.0.1:${port}/rpc?token=good`)))
      assert.deepStrictEqual(
        items,
        Array.from({ length: 1000 }, (_, i) => i + 1)
      )
    })
  )

  it.live("interrupts the server-side stream when the client disconnects", () =>
    Effect.gen(function* () {
      const { port, probe } = yield* start
      const { ws, outcome } = yield* openRaw(`ws://127.0.0.1:${port}/rpc?token=good`)
      assert.strictEqual(outcome, "open")
      const firstChunk = yield* Effect.callback<unknown>((resume) => {
        ws.onmessage = (event) => resume(Effect.succeed(JSON.parse(String(event.data))))
        ws.send(JSON.stringify({ _tag: "Request", id: "1", tag: "Ticks", payload: null, headers: [] }))
      })
      assert.strictEqual((firstChunk as { _tag: string })._tag, "Chunk")
      yield* Deferred.await(probe.ticking)
      assert.isFalse(yield* Deferred.isDone(probe.ticksEnded))
      // No Interrupt message: the socket just goes away.
      ws.close()
      yield* Deferred.await(probe.ticksEnded).pipe(Effect.timeout(5_000))
    })
  )

  it.live("closes open websockets with 1001 when the server shuts down", () =>
    Effect.gen(function* () {
      const scope = yield* Scope.make()
      const { port } = yield* startIn(scope)
      const { ws, outcome } = yield* openRaw(`ws://127.0.0.1:${port}/rpc?token=good`)
      assert.strictEqual(outcome, "open")
      const closed = yield* Effect.callback<number>((resume) => {
        ws.onclose = (event) => resume(Effect.succeed(event.code))
        Effect.runFork(Scope.close(scope, Exit.void))
      }).pipe(Effect.timeout(5_000))
      assert.strictEqual(closed, 1001)
    })
  )

  it.live("holds sends while a slow reader's buffer is above the high-water mark instead of dropping them", () =>
    Effect.gen(function* () {
      // 32 answers of 1 MiB, 16 times maxBackpressure and more than loopback buffers hold: without the wait uWS
      // would drop a send and close the socket.
      const scope = yield* Effect.scope
      const { port } = yield* startIn(scope, { highWaterMark: 64 * 1024, maxBackpressure: 2 * 1024 * 1024 })
      const script = slowReader(`ws://127.0.0.1:${port}/rpc?token=good`, 32, 1024 * 1024)
      const output = yield* Effect.callback<string>((resume) => {
        const child = execFile(process.execPath, ["-e", script], (error, stdout) =>
          resume(Effect.succeed(error ? String(error) : stdout.trim()))
        )
        return Effect.sync(() => child.kill())
      })
      assert.strictEqual(output, "ok 32")
    })
  )
})
