import Fastify from "fastify"
const app = Fastify({ logger: false })
app.get("/items/:id", async (req) => ({ id: Number(req.params.id), name: "brick" }))
await app.listen({ port: 0, host: "127.0.0.1" })
console.log("PORT", app.server.address().port)
