// Deno 2 end-to-end: the SDK inside Deno (Deno's own fetch and WebSocket) against the real server running as a Node
// process, with a TCP proxy between them to drop connections.

import { Effect, Fiber, Queue, Schedule, Stream } from "effect"
import type { ProjectId } from "../../packages/core/src/index.ts"
import { CostlineClient, NotFound, Unauthorized } from "../../packages/sdk/src/index.ts"
import { startTcpProxy } from "../../packages/sdk/test/TcpProxy.ts"
import { signUp } from "../support/signUp.ts"
import { startServerProcess } from "./serverProcess.ts"

const assert = (condition: unknown, message: string): void => {
  if (!condition) throw new Error(message)
}

const missingProject = "2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11" as ProjectId

/**
 * A connected client whose socket has carried a call. KNOWN SERVER BUG (see packages/sdk/test/CostlineClient.test.ts
 * `connect`): uWebSockets.js sometimes closes the first socket of a token right after it opens; the SDK reconnects, but
 * the first call would see a ConnectionError. Drop the wait once the server no longer drops fresh sockets.
 */
const connect = (baseUrl: string, token: string) =>
  CostlineClient.make({ baseUrl, token, reconnect: { initialDelay: "50 millis", maxDelay: "300 millis" } }).pipe(
    Effect.tap((client) =>
      client.listProjects({ limit: 1 }).pipe(
        Effect.retry({
          schedule: Schedule.spaced("20 millis"),
          while: (error) => error._tag === "ConnectionError",
          times: 250
        })
      )
    )
  )

/** Starts a recalculation (it journals JobProgress ×3 and JobCompleted) and waits until the job is done. */
const runJob = (client: CostlineClient["Service"], projectId: ProjectId) =>
  Effect.gen(function* () {
    const job = yield* client.recalculateProject(projectId)
    const done = yield* client.getJob(job.id).pipe(
      Effect.repeat({
        schedule: Schedule.spaced("25 millis"),
        until: (job) => job.status !== "queued" && job.status !== "running"
      })
    )
    assert(done.status === "completed", `job ended ${done.status}`)
  })

Deno.test("the SDK in Deno against the real server", async (t) => {
  const server = await startServerProcess()
  try {
    await t.step("calls and typed errors over a real socket", () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const alice = yield* Effect.promise(() => signUp(server.url))
          const client = yield* connect(server.url, alice.accessToken)
          const project = yield* client.createProject({ name: "Deno" })
          assert(project.ownerId === alice.user.id, "the socket belongs to the user whose token opened it")
          const again = yield* client.getProject(project.id)
          assert(again.id === project.id && again.lastEventSeq === 0, `unexpected project ${JSON.stringify(again)}`)
          const missing = yield* Effect.flip(client.getProject(missingProject))
          assert(missing instanceof NotFound, `expected NotFound, got ${String(missing)}`)
          const refused = yield* Effect.flip(CostlineClient.make({ baseUrl: server.url, token: "bad" }))
          assert(refused instanceof Unauthorized, `expected Unauthorized, got ${String(refused)}`)
        }).pipe(Effect.scoped, Effect.timeout("30 seconds"))
      )
    )

    await t.step("subscribeProject resumes after a dropped connection", () =>
      Effect.runPromise(
        Effect.gen(function* () {
          const alice = yield* Effect.promise(() => signUp(server.url))
          const gate = yield* Effect.acquireRelease(
            Effect.promise(() => startTcpProxy(server.url)),
            (proxy) => Effect.promise(proxy.close)
          )
          const subscriber = yield* connect(gate.url, alice.accessToken)
          const publisher = yield* connect(server.url, alice.accessToken)
          const project = yield* publisher.createProject({ name: "Resume" })

          const seen = yield* Queue.unbounded<number>()
          const consumer = yield* subscriber.subscribeProject(project.id, { afterSeq: 0 }).pipe(
            Stream.tap((item) => Queue.offer(seen, item._tag === "ProjectEvent" ? item.seq : -1)),
            Stream.take(12),
            Stream.runCollect,
            Effect.forkChild
          )
          yield* runJob(publisher, project.id)
          yield* Effect.replicateEffect(Queue.take(seen), 4)
          // Cut off for a whole job, then dropped while the next one runs.
          gate.setDown(true)
          yield* runJob(publisher, project.id)
          gate.setDown(false)
          yield* Effect.replicateEffect(Queue.take(seen), 4)
          yield* publisher.recalculateProject(project.id)
          yield* Queue.take(seen)
          gate.dropConnections()

          const items = yield* Fiber.join(consumer)
          const seqs = items.map((item) => (item._tag === "ProjectEvent" ? item.seq : -1))
          const expected = Array.from({ length: 12 }, (_, i) => i + 1)
          assert(
            JSON.stringify(seqs) === JSON.stringify(expected),
            `expected 1..12 once each, got ${JSON.stringify(seqs)}`
          )
          const resumes = gate.rpcMessages().flatMap((message) => {
            const request = message as { _tag?: string; tag?: string; payload?: { afterSeq?: number } }
            return request._tag === "Request" && request.tag === "SubscribeProject" ? [request.payload?.afterSeq] : []
          })
          assert(resumes[0] === 0 && resumes.includes(4), `resubscribed after seq 4: ${JSON.stringify(resumes)}`)
        }).pipe(Effect.scoped, Effect.timeout("45 seconds"))
      )
    )
  } finally {
    const code = await server.stop()
    assert(code === 0, `the server exited with ${code}:\n${server.output()}`)
  }
})
