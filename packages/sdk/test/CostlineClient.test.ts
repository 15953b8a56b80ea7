// CostlineClient against a real server over a real WebSocket (TestServer): calls, token, typed errors, resumable streams.
import {
  Conflict,
  InvalidRequest,
  JobId,
  NotFound,
  ProjectId,
  type SubscriptionItem,
  Unauthorized
} from "@costline/core"
import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Queue, Schedule, Stream } from "effect"
import { ConnectionError } from "../src/ClientErrors.ts"
import { CostlineClient } from "../src/CostlineClient.ts"
import { makeTestServer } from "./TestServer.ts"

const jobProgress = (step: number) => ({
  _tag: "JobProgress" as const,
  jobId: JobId.make("job-1"),
  progress: step / 10,
  message: `step ${step}`,
  step,
  totalSteps: 10
})

const seqs = (items: ReadonlyArray<SubscriptionItem>) =>
  items.map((item) => (item._tag === "ProjectEvent" ? item.seq : `resync@${item.fromSeq}`))

const fast = { reconnect: { initialDelay: "50 millis", maxDelay: "300 millis" } } as const

describe("CostlineClient", () => {
  it.live("calls every unary RPC over the socket and the token reaches the server", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })

      const created = yield* client.createProject({ name: "Bytový dům", description: "SO 01" })
      expect(created.name).toBe("Bytový dům")
      // The server derives the owner from the token it read in the upgrade's query string.
      expect(created.ownerId).toBe(server.alice.id)
      expect(server.tokensSeen).toContain(server.aliceToken)

      expect(yield* client.getProject(created.id)).toEqual(created)
      const page = yield* client.listProjects({ limit: 10 })
      expect(page.items.map((project) => project.id)).toEqual([created.id])
      const job = yield* client.recalculateProject(created.id)
      expect(job.projectId).toBe(created.id)
      expect(yield* client.getJob(job.id)).toEqual(job)
    })
  )

  it.live("maps contract errors to the typed classes, checked before and after the wire", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const missing = ProjectId.make("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")

      const notFound = yield* Effect.flip(client.getProject(missing))
      expect(notFound).toBeInstanceOf(NotFound)
      expect(notFound).toMatchObject({ resource: "project", id: missing })
      expect(yield* Effect.flip(client.getJob(JobId.make("nope")))).toBeInstanceOf(NotFound)

      // Rejected by the server handler.
      const blank = yield* Effect.flip(client.createProject({ name: "   " }))
      expect(blank).toBeInstanceOf(InvalidRequest)
      expect(blank).toMatchObject({ field: "name" })
      // Rejected by the contract schema before sending.
      const empty = yield* Effect.flip(client.createProject({ name: "" }))
      expect(empty).toBeInstanceOf(InvalidRequest)
      expect(empty).toMatchObject({ field: "name" })
      const badLimit = yield* Effect.flip(client.listProjects({ limit: 1000 }))
      expect(badLimit).toMatchObject({ _tag: "InvalidRequest", field: "limit" })
      // A JS caller passing a non-UUID where a ProjectId belongs.
      const badId = yield* Effect.flip(client.getProject("not-a-uuid" as ProjectId))
      expect(badId).toMatchObject({ _tag: "InvalidRequest", field: "projectId" })
      // The connection still works after all those failures.
      expect((yield* client.listProjects()).total).toBe(0)
    })
  )

  it.live("a refused token fails with Unauthorized when connecting", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: server.baseUrl, token: "stolen-or-expired" }))
      expect(error).toBeInstanceOf(Unauthorized)
      expect(server.tokensSeen).toContain("stolen-or-expired")
    })
  )

  it.live("a closed port fails with ConnectionError instead of hanging", () =>
    Effect.gen(function* () {
      const port = yield* Effect.scoped(Effect.map(makeTestServer, (server) => new URL(server.baseUrl).port))
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: `http://127.0.0.1:${port}`, token: "t" }))
      expect(error).toBeInstanceOf(ConnectionError)
      expect(error.message).toContain("could not reach")
    }).pipe(Effect.timeout("8 seconds"))
  )

  it.live("a bad baseUrl is an InvalidRequest naming baseUrl", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: "ftp://example.com", token: "t" }))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "baseUrl" })
    })
  )

  it.live("calls fail fast with ConnectionError while the socket is down, then work again", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken, ...fast })
      const project = yield* client.createProject({ name: "A" })
      yield* server.dropConnections
      const [elapsed, down] = yield* Effect.timed(Effect.flip(client.getProject(project.id)))
      expect(down).toBeInstanceOf(ConnectionError)
      expect(Duration.toMillis(elapsed)).toBeLessThan(1000)
      // It reconnects by itself: the same call succeeds again shortly after.
      const again = yield* client.getProject(project.id).pipe(
        Effect.retry({
          schedule: Schedule.spaced("20 millis"),
          while: (error) => error._tag === "ConnectionError",
          times: 100
        })
      )
      expect(again.id).toBe(project.id)
    })
  )

  it.live("subscribeProject resumes after the server drops the socket: every seq once, in order", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken, ...fast })
      const project = yield* client.createProject({ name: "Live" })
      const seen = yield* Queue.unbounded<SubscriptionItem>()
      const consumer = yield* client.subscribeProject(project.id, { afterSeq: 0 }).pipe(
        Stream.tap((item) => Queue.offer(seen, item)),
        Stream.take(12),
        Stream.runCollect,
        Effect.forkChild
      )
      const waitFor = (n: number) => Effect.replicateEffect(Queue.take(seen), n)

      for (let step = 1; step <= 3; step++) yield* server.publish(project.id, jobProgress(step))
      yield* waitFor(3)
      // Drop the socket, publish while the client is away, then let it come back and publish more.
      yield* server.dropConnections
      for (let step = 4; step <= 6; step++) yield* server.publish(project.id, jobProgress(step))
      yield* waitFor(3)
      yield* server.dropConnections
      yield* server.dropConnections
      for (let step = 7; step <= 9; step++) yield* server.publish(project.id, jobProgress(step))
      yield* waitFor(3)
      yield* server.dropConnections
      for (let step = 10; step <= 12; step++) yield* server.publish(project.id, jobProgress(step))

      const items = yield* Fiber.join(consumer)
      expect(seqs(items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
      // It resubscribed from the last seq it had delivered each time.
      const resumes = server.subscribeRequests.map((request) => request.afterSeq)
      expect(resumes[0]).toBe(0)
      expect(resumes).toContain(3)
      expect(resumes).toContain(6)
      expect(resumes).toContain(9)
    }).pipe(Effect.timeout("20 seconds"))
  )

  it.live("ResyncRequired reaches the consumer and the stream goes on from fromSeq", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const project = yield* client.createProject({ name: "Old" })
      for (let step = 1; step <= 5; step++) yield* server.publish(project.id, jobProgress(step))
      server.truncate(project.id, 4)
      const items = yield* client.subscribeProject(project.id, { afterSeq: 1 }).pipe(Stream.take(3), Stream.runCollect)
      expect(seqs(items)).toEqual(["resync@4", 4, 5])
    })
  )

  it.live("without afterSeq only new events arrive; a missing project fails the stream with NotFound", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const project = yield* client.createProject({ name: "New" })
      yield* server.publish(project.id, jobProgress(1))
      const consumer = yield* client
        .subscribeProject(project.id)
        .pipe(Stream.take(1), Stream.runCollect, Effect.forkChild)
      // Publish only once the server has the subscription, so the event is "new" for it.
      yield* Effect.suspend(() => (server.subscribeRequests.length > 0 ? Effect.void : Effect.fail("not yet"))).pipe(
        Effect.retry({ schedule: Schedule.spaced("10 millis"), times: 200 })
      )
      yield* server.publish(project.id, jobProgress(2))
      expect(seqs(yield* Fiber.join(consumer))).toEqual([2])

      const missing = ProjectId.make("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")
      const error = yield* Effect.flip(Stream.runCollect(client.subscribeProject(missing, { afterSeq: 0 })))
      expect(error).toBeInstanceOf(NotFound)
    })
  )

  it.live("the typed HTTP client sends the current token; setToken replaces it", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const created = yield* client.http.projects.create({ payload: { name: "Over HTTP" } })
      expect(created.ownerId).toBe(server.alice.id)
      expect((yield* client.http.projects.get({ params: { id: created.id } })).name).toBe("Over HTTP")

      yield* client.setToken("revoked")
      const error = yield* Effect.flip(client.http.projects.list({ query: {} }))
      expect(error).toBeInstanceOf(Unauthorized)
    })
  )
})

describe("CostlineClient errors from HTTP", () => {
  it.live("conflict and unauthorized come back as contract classes", () =>
    Effect.gen(function* () {
      const server = yield* makeTestServer
      const client = yield* CostlineClient.make({ baseUrl: server.baseUrl, token: server.aliceToken })
      const error = yield* Effect.flip(
        client.http.auth.register({ payload: { email: server.alice.email, password: "whatever-long", fullName: "A" } })
      )
      expect(error).toBeInstanceOf(Conflict)
    })
  )
})
