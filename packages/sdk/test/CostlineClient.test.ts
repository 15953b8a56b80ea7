// CostlineClient against the real server (in-process, embedded profile) over real sockets: calls, the token, typed
// errors, and subscriptions that survive connections dropped by a TCP proxy between the SDK and the server.
import { createServer } from "node:net"
import {
  Conflict,
  InvalidRequest,
  type Job,
  NotFound,
  type ProjectId,
  type SubscriptionItem,
  Unauthorized
} from "@costline/core"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Queue, Schedule, Stream } from "effect"
import { type InProcessServer, startInProcessServer } from "../../../test/support/inProcessServer.ts"
import { signUp } from "../../../test/support/signUp.ts"
import { ConnectionError } from "../src/ClientErrors.ts"
import { CostlineAuth } from "../src/CostlineAuth.ts"
import { CostlineClient, type CostlineClientOptions } from "../src/CostlineClient.ts"
import { withCostlineErrors } from "../src/toCostlineError.ts"
import { startTcpProxy } from "./TcpProxy.ts"

let server: InProcessServer
beforeAll(async () => {
  server = await startInProcessServer()
})
afterAll(() => server?.stop())

const missingProject = "2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11" as ProjectId
const fast = { reconnect: { initialDelay: "50 millis", maxDelay: "300 millis" } } as const

const account = Effect.promise(() => signUp(server.url))
/** A proxy in front of the server for this test only, closed with the test's scope. */
const proxy = Effect.acquireRelease(
  Effect.promise(() => startTcpProxy(server.url)),
  (proxy) => Effect.promise(proxy.close)
)
/** A client with the test's fast timings. */
const connect = (baseUrl: string, token: string, options: Partial<CostlineClientOptions> = {}) =>
  CostlineClient.make({ baseUrl, token, ...fast, ...options })

/** Starts a recalculation (it journals JobProgress ×3 and JobCompleted) and waits until the job is done. */
const runJob = (client: CostlineClient["Service"], projectId: ProjectId) =>
  Effect.gen(function* () {
    const job = yield* client.recalculateProject(projectId)
    const done = yield* client.getJob(job.id).pipe(
      Effect.repeat({
        schedule: Schedule.spaced("25 millis"),
        until: (job: Job) => job.status !== "queued" && job.status !== "running"
      })
    )
    expect(done.status).toBe("completed")
    return done
  })

const seqs = (items: ReadonlyArray<SubscriptionItem>) =>
  items.map((item) => (item._tag === "ProjectEvent" ? item.seq : `resync@${item.fromSeq}`))

/** The afterSeq of every SubscribeProject the SDK sent through `messages`, as read off the wire. */
const subscribeRequests = (messages: ReadonlyArray<unknown>, projectId: string) =>
  messages.flatMap((message) => {
    const request = message as { _tag?: string; tag?: string; payload?: { projectId?: string; afterSeq?: number } }
    return request._tag === "Request" && request.tag === "SubscribeProject" && request.payload?.projectId === projectId
      ? [request.payload.afterSeq]
      : []
  })

const eventually = (what: string, check: () => boolean) =>
  Effect.suspend(() => (check() ? Effect.void : Effect.fail(new Error(`not yet: ${what}`)))).pipe(
    Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 1000 })
  )

const closedPort = Effect.callback<number>((resume) => {
  const listener = createServer().listen(0, "127.0.0.1", () => {
    const address = listener.address()
    listener.close(() => resume(Effect.succeed(typeof address === "object" && address !== null ? address.port : 0)))
  })
})

describe("CostlineClient", () => {
  it.live("calls every unary RPC over the socket as the user whose token opened it", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const { url, upgrades } = yield* proxy
      const client = yield* connect(url, alice.accessToken)

      const created = yield* client.createProject({ name: "Bytový dům", description: "SO 01" })
      expect(created).toMatchObject({ name: "Bytový dům", description: "SO 01", role: "owner", lastEventSeq: 0 })
      // The server derived the owner from the token the socket carried in its upgrade's query string.
      expect(created.ownerId).toBe(alice.user.id)
      expect(new Set(upgrades().map((target) => new URL(target, url).searchParams.get("token")))).toEqual(
        new Set([alice.accessToken])
      )

      expect(yield* client.getProject(created.id)).toEqual(created)
      const page = yield* client.listProjects({ limit: 10 })
      expect(page.items.map((project) => project.id)).toEqual([created.id])
      expect(page.total).toBe(1)
      const job = yield* client.recalculateProject(created.id)
      expect(job).toMatchObject({ projectId: created.id, type: "recalculate_budget" })
      expect(yield* client.getJob(job.id)).toMatchObject({ id: job.id, projectId: created.id })
    })
  )

  it.live("maps contract errors to the typed classes, checked before and after the wire", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const bob = yield* account
      const client = yield* connect(server.url, alice.accessToken)

      const notFound = yield* Effect.flip(client.getProject(missingProject))
      expect(notFound).toBeInstanceOf(NotFound)
      expect(notFound).toMatchObject({ resource: "project", id: missingProject })
      expect(yield* Effect.flip(client.getJob("nope" as Job["id"]))).toBeInstanceOf(NotFound)
      // Someone else's project is indistinguishable from a missing one.
      const bobs = yield* Effect.flatMap(connect(server.url, bob.accessToken), (bob) =>
        bob.createProject({ name: "B" })
      )
      expect(yield* Effect.flip(client.getProject(bobs.id))).toBeInstanceOf(NotFound)
      expect(yield* Effect.flip(client.recalculateProject(bobs.id))).toBeInstanceOf(NotFound)

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
      const { url, upgrades } = yield* proxy
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: url, token: "stolen-or-expired" }))
      expect(error).toBeInstanceOf(Unauthorized)
      // The socket was attempted with that token and refused; the SDK did not give up before asking.
      expect(upgrades().map((target) => new URL(target, url).searchParams.get("token"))).toContain("stolen-or-expired")
    })
  )

  it.live("a closed port fails with ConnectionError instead of hanging", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: `http://127.0.0.1:${port}`, token: "t" }))
      expect(error).toBeInstanceOf(ConnectionError)
      expect(error.message).toContain("could not reach")
    }).pipe(Effect.timeout("10 seconds"))
  )

  it.live("a bad baseUrl is an InvalidRequest naming baseUrl", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(CostlineClient.make({ baseUrl: "ftp://example.com", token: "t" }))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "baseUrl" })
    })
  )

  it.live("calls fail fast with ConnectionError while the server is unreachable, then work again", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const gate = yield* proxy
      const client = yield* connect(gate.url, alice.accessToken)
      const project = yield* client.createProject({ name: "A" })

      gate.setDown(true)
      const [elapsed, down] = yield* Effect.timed(Effect.flip(client.getProject(project.id)))
      expect(down).toBeInstanceOf(ConnectionError)
      // Fast means not waiting for a reconnect that cannot happen; the margin allows for a busy machine.
      expect(Duration.toMillis(elapsed)).toBeLessThan(3000)
      expect(yield* Effect.flip(client.listProjects())).toBeInstanceOf(ConnectionError)

      gate.setDown(false)
      // It reconnects by itself: the same call succeeds again shortly after.
      const again = yield* client.getProject(project.id).pipe(
        Effect.retry({
          schedule: Schedule.spaced("20 millis"),
          while: (error) => error._tag === "ConnectionError",
          times: 500
        })
      )
      expect(again.id).toBe(project.id)
    })
  )

  it.live("subscribeProject resumes after dropped connections: every seq once, in order, from the last one seen", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const gate = yield* proxy
      const subscriber = yield* connect(gate.url, alice.accessToken)
      // Jobs are started over a direct connection, so they run while the subscriber is cut off.
      const publisher = yield* connect(server.url, alice.accessToken)
      const project = yield* publisher.createProject({ name: "Live" })

      const seen = yield* Queue.unbounded<SubscriptionItem>()
      const consumer = yield* subscriber.subscribeProject(project.id, { afterSeq: 0 }).pipe(
        Stream.tap((item) => Queue.offer(seen, item)),
        Stream.take(16),
        Stream.runCollect,
        Effect.forkChild
      )
      const waitFor = (n: number) => Effect.replicateEffect(Queue.take(seen), n)

      yield* runJob(publisher, project.id)
      yield* waitFor(4)
      // Down for a whole job: its four events are journaled while the subscriber cannot connect.
      gate.setDown(true)
      yield* runJob(publisher, project.id)
      gate.setDown(false)
      yield* waitFor(4)
      // Dropped twice in a row, then a job.
      gate.dropConnections()
      gate.dropConnections()
      yield* runJob(publisher, project.id)
      yield* waitFor(4)
      // Dropped while a job's events are arriving.
      const job = yield* publisher.recalculateProject(project.id)
      yield* waitFor(1)
      gate.dropConnections()
      yield* waitFor(3)

      const items = yield* Fiber.join(consumer)
      expect(seqs(items)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16])
      const last = items.at(-1)
      expect(last?._tag === "ProjectEvent" && last.event._tag === "JobCompleted" && last.event.job.id).toBe(job.id)
      // Each resubscription asked for the events after the last seq the consumer had.
      const resumes = subscribeRequests(gate.rpcMessages(), project.id)
      expect(resumes[0]).toBe(0)
      expect(resumes).toContain(4)
      expect(resumes).toContain(8)
      // The last drop came after seq 13 at the earliest (more of the job may have arrived by then).
      expect(resumes.some((afterSeq) => afterSeq !== undefined && afterSeq >= 13)).toBe(true)
      expect(resumes.every((afterSeq) => afterSeq !== undefined && [0, 4, 8, 13, 14, 15, 16].includes(afterSeq))).toBe(
        true
      )
    }).pipe(Effect.timeout("45 seconds"))
  )

  it.live("ResyncRequired reaches the consumer and the stream goes on from fromSeq", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const project = yield* client.createProject({ name: "Restored" })
      yield* runJob(client, project.id)
      // A resume point this journal never reached (say, from before a database restore) must not be trusted.
      const seen = yield* Queue.unbounded<SubscriptionItem>()
      const consumer = yield* client.subscribeProject(project.id, { afterSeq: 10_000 }).pipe(
        Stream.tap((item) => Queue.offer(seen, item)),
        Stream.take(5),
        Stream.runCollect,
        Effect.forkChild
      )
      // The notice comes first; the next job's events then continue from its fromSeq.
      expect(seqs([yield* Queue.take(seen)])).toEqual(["resync@5"])
      yield* runJob(client, project.id)
      const items = yield* Fiber.join(consumer)
      expect(seqs(items)).toEqual(["resync@5", 5, 6, 7, 8])
    }).pipe(Effect.timeout("30 seconds"))
  )

  it.live(
    "without afterSeq only events after the project's lastEventSeq arrive, even across a drop before the first",
    () =>
      Effect.gen(function* () {
        const alice = yield* account
        const gate = yield* proxy
        const publisher = yield* connect(server.url, alice.accessToken)
        const project = yield* publisher.createProject({ name: "New" })
        yield* runJob(publisher, project.id)

        const subscriber = yield* connect(gate.url, alice.accessToken)
        const consumer = yield* subscriber
          .subscribeProject(project.id)
          .pipe(Stream.take(4), Stream.runCollect, Effect.forkChild)
        // The SDK pinned "new" to the project's newest seq before subscribing.
        yield* eventually(
          "the SubscribeProject request",
          () => subscribeRequests(gate.rpcMessages(), project.id).length > 0
        )
        expect(subscribeRequests(gate.rpcMessages(), project.id)).toEqual([4])
        // The connection drops before any new event; the events of the next job happen while it is down.
        gate.setDown(true)
        yield* runJob(publisher, project.id)
        gate.setDown(false)
        // Resubscribing with "only new events" would wait here forever: 5..8 are old by now.
        expect(seqs(yield* Fiber.join(consumer).pipe(Effect.timeout("15 seconds")))).toEqual([5, 6, 7, 8])
      }).pipe(Effect.timeout("30 seconds"))
  )

  it.live("a missing project fails the stream with NotFound", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const error = yield* Effect.flip(Stream.runCollect(client.subscribeProject(missingProject)))
      expect(error).toBeInstanceOf(NotFound)
    }).pipe(Effect.timeout("20 seconds"))
  )

  it.live("a missing project fails a subscription with afterSeq with NotFound", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const error = yield* Effect.flip(Stream.runCollect(client.subscribeProject(missingProject, { afterSeq: 0 })))
      expect(error).toBeInstanceOf(NotFound)
    }).pipe(Effect.timeout("20 seconds"))
  )
})

describe("CostlineClient jobs", () => {
  it.live("lists a project's jobs by status; a finished job cannot be cancelled or retried (Conflict)", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const project = yield* client.createProject({ name: "Jobs" })
      const done = yield* runJob(client, project.id)
      const completed = yield* client.listJobs(project.id, { status: "completed" })
      expect(completed.items.map((job) => job.id)).toEqual([done.id])
      expect(completed.total).toBe(1)
      expect((yield* client.listJobs(project.id, { status: "failed" })).items).toEqual([])
      expect(yield* Effect.flip(client.cancelJob(done.id))).toBeInstanceOf(Conflict)
      expect(yield* Effect.flip(client.retryJob(done.id))).toBeInstanceOf(Conflict)

      const bob = yield* account
      const stranger = yield* connect(server.url, bob.accessToken)
      expect(yield* Effect.flip(stranger.listJobs(project.id))).toBeInstanceOf(NotFound)
      expect(yield* Effect.flip(stranger.cancelJob(done.id))).toBeInstanceOf(NotFound)
    })
  )
})

describe("CostlineClient over HTTP", () => {
  it.live("the typed HTTP client sends the current token; setToken replaces it", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const created = yield* client.http.projects.create({ payload: { name: "Over HTTP" } })
      expect(created.ownerId).toBe(alice.user.id)
      expect((yield* client.http.projects.get({ params: { id: created.id } })).name).toBe("Over HTTP")

      yield* client.setToken("revoked")
      const error = yield* Effect.flip(client.http.projects.list({ query: {} }))
      expect(error).toBeInstanceOf(Unauthorized)
    })
  )

  it.live("conflict and unauthorized come back as contract classes", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const client = yield* connect(server.url, alice.accessToken)
      const taken = yield* Effect.flip(
        client.http.auth.register({ payload: { email: alice.email, password: "whatever-long", fullName: "A" } })
      )
      expect(taken).toBeInstanceOf(Conflict)
      expect(taken).toMatchObject({ field: "email" })
      const auth = yield* CostlineAuth.make({ baseUrl: server.url })
      expect(yield* Effect.flip(auth.login({ email: alice.email, password: "wrong" }))).toBeInstanceOf(Unauthorized)
    })
  )

  // The SDK validates input with the same contract, so only a server stricter than the SDK (another version) answers
  // 400. The proxy makes the request the server sees invalid; the answer is the real server's.
  it.live("an InvalidRequest from the server keeps its field name (login, refresh, projects)", () =>
    Effect.gen(function* () {
      const alice = yield* account
      const skewed = yield* proxy
      const invalidate = (value: string) => skewed.rewriteRequests(value, "1".repeat(value.length))

      const auth = yield* CostlineAuth.make({ baseUrl: skewed.url })
      invalidate(JSON.stringify("skew@example.com"))
      const login = yield* Effect.flip(auth.login({ email: "skew@example.com", password: "whatever" }))
      expect(login).toBeInstanceOf(InvalidRequest)
      expect(login).toMatchObject({ field: "email" })
      invalidate(JSON.stringify("skew-refresh-token"))
      const refresh = yield* Effect.flip(auth.refresh("skew-refresh-token"))
      expect(refresh).toBeInstanceOf(InvalidRequest)
      expect(refresh).toMatchObject({ field: "refreshToken" })

      const client = yield* connect(skewed.url, alice.accessToken)
      skewed.rewriteRequests("limit=7", "limit=0")
      const list = yield* Effect.flip(
        client.http.projects.list({ query: { limit: 7 } }).pipe(withCostlineErrors("list"))
      )
      expect(list).toBeInstanceOf(InvalidRequest)
      expect(list).toMatchObject({ field: "limit" })
      invalidate(missingProject)
      const get = yield* Effect.flip(
        client.http.projects.get({ params: { id: missingProject } }).pipe(withCostlineErrors("get"))
      )
      expect(get).toBeInstanceOf(InvalidRequest)
      expect(get).toMatchObject({ field: "id" })
    })
  )
})
