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
        const session = yield* auth.register({ email: "a@example.com", password: "password-1", fullName: "A" })
        const client = yield* CostlineClient.make({ baseUrl: server.url, token: session.accessToken })
        const missing = yield* Effect.exit(client.subscribeProject("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11" as never, { afterSeq: 0 }).pipe(Stream.runCollect))
        console.log("missing sub", JSON.stringify(missing))
        const job = yield* Effect.exit(client.getJob("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11" as never))
        console.log("missing job", JSON.stringify(job))
        const job2 = yield* Effect.exit(client.getJob("nope" as never))
        console.log("bad job", JSON.stringify(job2))
      }).pipe(Effect.scoped)
    )
  } finally {
    t = Date.now()
    await server.stop()
    console.log("stop ms", Date.now() - t)
  }
  expect(1).toBe(1)
})
