import { Effect, Layer, Schema } from "effect"
import { HttpRouter, HttpServer } from "effect/http"
import { HttpApi, HttpApiBuilder, HttpApiEndpoint, HttpApiGroup } from "effect/http-api"
import { UwsApp } from "../packages/server/src/transport/UwsApp.ts"
import * as UwsHttpServer from "../packages/server/src/transport/UwsHttpServer.ts"
import { NodeHttpServer } from "@effect/platform-node"
import { createServer } from "node:http"

class Item extends Schema.Class<Item>("Item")({ id: Schema.Number, name: Schema.String }) {}
const Api = HttpApi.make("b").add(HttpApiGroup.make("items").add(HttpApiEndpoint.get("get", "/items/:id", { params: { id: Schema.NumberFromString }, success: Item })))
const Handlers = HttpApiBuilder.group(Api, "items", (h) => Effect.succeed(h.handle("get", ({ params }) => Effect.succeed(new Item({ id: params.id, name: "brick" })))))
const routes = HttpApiBuilder.layer(Api).pipe(Layer.provide(Handlers))
const kind = process.argv[2]
const server = kind === "node"
  ? NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })
  : UwsHttpServer.layer({ host: "127.0.0.1", port: 0, maxBodyBytes: 1 << 20 }).pipe(Layer.provide(UwsApp.layer))
import { HttpServerResponse } from "effect/http"
const plain = HttpRouter.add("GET", "/items/:id", Effect.gen(function* () { const p = yield* HttpRouter.params; return HttpServerResponse.jsonUnsafe({ id: Number(p.id), name: "brick" }) }))
const main = HttpRouter.serve(process.argv[3] === "router" ? plain : routes, { disableLogger: true, disableListenLog: true }).pipe(Layer.provideMerge(server))
Effect.runFork(Layer.launch(Layer.effectDiscard(Effect.gen(function* () {
  const s = yield* HttpServer.HttpServer
  console.log("PORT", (s.address as any).port)
})).pipe(Layer.provideMerge(main))))
process.on("SIGINT", () => { console.error((globalThis as any).__stats); process.exit(0) })
