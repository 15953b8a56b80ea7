import { Effect, Stream } from "effect"
import { expect, it } from "vitest"
import { startInProcessServer } from "../../../test/support/inProcessServer.ts"
import { CostlineAuth } from "../src/CostlineAuth.ts"
import { CostlineClient } from "../src/CostlineClient.ts"

it("explore", async () => {
  let t = Date.now()
  const server = await startInProcessServer()
  console.log("start ms", Date.now() - t)
  try {
    await Effect.runPromise(
      Effect.gen(function* () {
        const auth = yield* CostlineAuth.make({ baseUrl: server.url })
        t = Date.now()
        const session = yield* auth.register({ email: "a@example.com", password: "password-1", fullName: "A" })
        console.log("register ms", Date.now() - t)
        const client = yield* CostlineClient.make({ baseUrl: server.url, token: session.accessToken })
        const blank = yield* Effect.exit(client.createProject({ name: "   " }))
        console.log("blank", JSON.stringify(blank))
        const p = yield* client.createProject({ name: "X" })
        console.log("project", p)
        const r1 = yield* Effect.exit(client.http.projects.list({ query: { limit: 0 } }))
        console.log("limit0", JSON.stringify(r1).slice(0, 600))
        const r2 = yield* Effect.exit(client.http.projects.get({ params: { id: "nope" as never } }))
        console.log("badid", JSON.stringify(r2).slice(0, 600))
        const r3 = yield* Effect.exit(client.http.auth.login({ payload: { email: "x".repeat(300), password: "x" } }))
        console.log("longemail", JSON.stringify(r3).slice(0, 600))
        const items = yield* client.subscribeProject(p.id, { afterSeq: 10_000 }).pipe(Stream.take(1), Stream.runCollect)
        console.log("resync", items)
        t = Date.now()
        yield* client.recalculateProject(p.id)
        const evs = yield* client.subscribeProject(p.id, { afterSeq: 0 }).pipe(Stream.take(4), Stream.runCollect)
        console.log(
          "events ms",
          Date.now() - t,
          evs.map((e) => JSON.stringify(e))
        )
        const after = yield* client.getProject(p.id)
        console.log("lastEventSeq", after.lastEventSeq)
      }).pipe(Effect.scoped)
    )
  } finally {
    await server.stop()
  }
  expect(1).toBe(1)
})
