// Deno 2 end-to-end: the SDK over real HTTP and a real WebSocket (Deno's own fetch and WebSocket) against the SDK's
// in-memory test server, which runs inside Deno as well.

import { Effect, Fiber, Queue, Stream } from "effect"
import { JobId, ProjectId } from "../../packages/core/src/index.ts"
import { CostlineClient, NotFound, Unauthorized } from "../../packages/sdk/src/index.ts"
import { makeTestServer } from "../../packages/sdk/test/TestServer.ts"

const assert = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message)
}

const progress = (step: number) => ({
  _tag: "JobProgress" as const,
  jobId: JobId.make("job-1"),
  progress: step / 10,
  message: `step ${step}`,
  step,
  totalSteps: 10
})

Deno.test("CostlineClient calls and maps errors over a real socket in Deno", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const project = yield* client.createProject({ name: "Deno" })
      assert(project.ownerId === server.alice.id, "the token in the query string reached the server")
      const missing = yield* Effect.flip(client.getProject(ProjectId.make("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")))
      assert(missing instanceof NotFound, `expected NotFound, got ${String(missing)}`)
      const refused = yield* Effect.flip(CostlineClient.make({ baseUrl: server.baseUrl, token: "bad" }))
      assert(refused instanceof Unauthorized, `expected Unauthorized, got ${String(refused)}`)
    }).pipe(Effect.scoped, Effect.timeout("20 seconds"))
  ))

Deno.test("subscribeProject resumes after the server drops the socket in Deno", () =>
  Effect.runPromise(
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({
        baseUrl: server.baseUrl,
        token: server.aliceToken,
        reconnect: { initialDelay: "50 millis", maxDelay: "300 millis" }
      })
      const project = yield* client.createProject({ name: "Resume" })
      const seen = yield* Queue.unbounded<number>()
      const consumer = yield* client.subscribeProject(project.id, { afterSeq: 0 }).pipe(
        Stream.tap((item) => Queue.offer(seen, item._tag === "ProjectEvent" ? item.seq : -1)),
        Stream.take(6),
        Stream.runCollect,
        Effect.forkChild
      )
      for (let step = 1; step <= 3; step++) yield* server.publish(project.id, progress(step))
      yield* Effect.replicateEffect(Queue.take(seen), 3)
      yield* server.dropConnections
      for (let step = 4; step <= 6; step++) yield* server.publish(project.id, progress(step))
      const items = yield* Fiber.join(consumer)
      const seqs = items.map((item) => (item._tag === "ProjectEvent" ? item.seq : -1))
      assert(JSON.stringify(seqs) === "[1,2,3,4,5,6]", `expected 1..6 once each, got ${JSON.stringify(seqs)}`)
      assert(
        server.subscribeRequests.some((request) => request.afterSeq === 3),
        "resubscribed after seq 3"
      )
    }).pipe(Effect.scoped, Effect.timeout("20 seconds"))
  ))
