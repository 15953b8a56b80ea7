// A real Costline-shaped server for the SDK tests: the CostlineApi over HTTP and the CostlineRpcs over a WebSocket at
// /api/v1/rpc?token=…, on 127.0.0.1 and a free port, with in-memory handlers and hooks to publish events and drop sockets.

import { createServer } from "node:http"
import {
  Authentication,
  AuthResponse,
  Conflict,
  CostlineApi,
  CostlineRpcs,
  CurrentUser,
  InvalidRequest,
  type Job,
  JobId,
  NotFound,
  type Project,
  ProjectEvent,
  type ProjectEventBody,
  ProjectId,
  ResyncRequired,
  type SubscriptionItem,
  Unauthorized,
  UserId
} from "@costline/core"
import { NodeHttpServer } from "@effect/platform-node"
import { Clock, Context, Effect, Fiber, Layer, PubSub, Redacted, type Scope, Stream } from "effect"
import { Headers, HttpRouter, HttpServer, HttpServerRequest, HttpServerResponse } from "effect/http"
import { HttpApiBuilder } from "effect/http-api"
import { RpcSerialization, RpcServer } from "effect/rpc"

interface TestUser {
  readonly id: UserId
  readonly email: string
  readonly password: string
  readonly fullName: string
}

interface Journal {
  readonly events: Array<ProjectEvent>
  /** The oldest seq still kept; older resume points get ResyncRequired. */
  oldest: number
  readonly pubsub: PubSub.PubSub<ProjectEvent>
}

export interface TestServer {
  readonly baseUrl: string
  /** A token the server accepts, belonging to `alice`. */
  readonly aliceToken: string
  readonly alice: TestUser
  /** Every token presented in the query string of a socket upgrade, accepted or not. */
  readonly tokensSeen: Array<string>
  /** Appends an event to a project's journal and sends it to subscribers. */
  readonly publish: (projectId: ProjectId, body: ProjectEventBody) => Effect.Effect<ProjectEvent>
  /** Forgets journal entries below `oldest`, as a server that keeps a bounded history would. */
  readonly truncate: (projectId: ProjectId, oldest: number) => void
  /** Closes every open RPC socket from the server side. */
  readonly dropConnections: Effect.Effect<void>
  /** How many RPC sockets are open. */
  readonly openSockets: () => number
  /** Every SubscribeProject the server accepted, recorded once it receives live events. */
  readonly subscribeRequests: Array<{ readonly projectId: string; readonly afterSeq: number | undefined }>
}

const uuid = (n: number) => `00000000-0000-4000-8000-${n.toString().padStart(12, "0")}`
const now = Effect.map(Clock.currentTimeMillis, (ms) => new Date(ms).toISOString())

export const makeTestServer: Effect.Effect<TestServer, never, Scope.Scope> = Effect.gen(function* () {
  let counter = 0
  const nextId = () => uuid(++counter)
  const alice: TestUser = {
    id: UserId.make(nextId()),
    email: "alice@example.com",
    password: "alice-secret",
    fullName: "Alice"
  }
  const users = new Map<string, TestUser>([[alice.email, alice]])
  const accessTokens = new Map<string, TestUser>([["token-alice", alice]])
  const refreshTokens = new Map<string, TestUser>()
  const projects = new Map<string, Project>()
  const jobs = new Map<string, Job>()
  const journals = new Map<string, Journal>()
  const tokensSeen: Array<string> = []
  const subscribeRequests: Array<{ projectId: string; afterSeq: number | undefined }> = []
  const sockets = new Set<Fiber.Fiber<unknown, unknown>>()

  const journalOf = (projectId: string): Effect.Effect<Journal> => {
    const existing = journals.get(projectId)
    if (existing) return Effect.succeed(existing)
    return Effect.map(PubSub.unbounded<ProjectEvent>(), (pubsub) => {
      const journal: Journal = { events: [], oldest: 1, pubsub }
      journals.set(projectId, journal)
      return journal
    })
  }

  const issueTokens = (user: TestUser) => {
    const accessToken = `access-${nextId()}`
    const refreshToken = `refresh-${nextId()}`
    accessTokens.set(accessToken, user)
    refreshTokens.set(refreshToken, user)
    return AuthResponse.make({
      user: { id: user.id, email: user.email, fullName: user.fullName, createdAt: "2025-01-01T00:00:00.000Z" },
      accessToken,
      refreshToken,
      expiresIn: 900
    })
  }

  const createProject = (owner: UserId, name: string, description: string) =>
    Effect.gen(function* () {
      if (name.trim() === "") return yield* new InvalidRequest({ message: "name must not be blank", field: "name" })
      const at = yield* now
      const project: Project = {
        id: ProjectId.make(nextId()),
        name,
        description,
        ownerId: owner,
        role: "owner",
        currentVersion: 0,
        lastEventSeq: 0,
        totalCost: "0.00" as Project["totalCost"],
        statusCounts: { green: 0, amber: 0, red: 0, unaudited: 0 },
        createdAt: at,
        updatedAt: at
      }
      projects.set(project.id, project)
      return project
    })

  const findProject = (projectId: string) => {
    const project = projects.get(projectId)
    return project
      ? Effect.succeed(project)
      : Effect.fail(new NotFound({ message: `no project ${projectId}`, resource: "project", id: projectId }))
  }

  const recalculate = (projectId: ProjectId) =>
    Effect.gen(function* () {
      yield* findProject(projectId)
      const at = yield* now
      const job: Job = {
        id: JobId.make(`recalculate:${projectId}:${nextId()}`),
        projectId,
        type: "recalculate_budget",
        status: "queued",
        progress: 0,
        message: "queued",
        step: 0,
        totalSteps: 1,
        attempts: 0,
        maxAttempts: 3,
        result: null,
        error: null,
        createdAt: at,
        startedAt: null,
        finishedAt: null
      }
      jobs.set(job.id, job)
      return job
    })

  const findJob = (jobId: string) => {
    const job = jobs.get(jobId)
    return job
      ? Effect.succeed(job)
      : Effect.fail(new NotFound({ message: `no job ${jobId}`, resource: "job", id: jobId }))
  }

  const userOfHeaders = (headers: Headers.Headers): TestUser => accessTokens.get(headers["x-test-token"] ?? "") ?? alice

  const RpcHandlers = CostlineRpcs.toLayer({
    CreateProject: (payload, { headers }) =>
      createProject(userOfHeaders(headers).id, payload.name, payload.description ?? ""),
    GetProject: ({ projectId }) => findProject(projectId),
    ListProjects: ({ limit = 20, offset = 0 }) =>
      Effect.sync(() => {
        const items = Array.from(projects.values())
        return { items: items.slice(offset, offset + limit), total: items.length, limit, offset }
      }),
    RecalculateProject: ({ projectId }) => recalculate(projectId),
    GetJob: ({ jobId }) => findJob(jobId),
    SubscribeProject: ({ projectId, afterSeq }) =>
      Stream.unwrap(
        Effect.gen(function* () {
          yield* findProject(projectId)
          const journal = yield* journalOf(projectId)
          // Subscribe before reading the journal so nothing published in between is lost.
          const live = yield* PubSub.subscribe(journal.pubsub)
          subscribeRequests.push({ projectId, afterSeq })
          const resync: Array<SubscriptionItem> =
            afterSeq !== undefined && afterSeq < journal.oldest - 1
              ? [ResyncRequired.make({ projectId, fromSeq: journal.oldest, message: "history truncated" })]
              : []
          const replay = afterSeq === undefined ? [] : journal.events.filter((event) => event.seq > afterSeq)
          const lastSeq = journal.events.at(-1)?.seq ?? 0
          return Stream.fromIterable<SubscriptionItem>([...resync, ...replay]).pipe(
            Stream.concat(Stream.fromSubscription(live).pipe(Stream.filter((event) => event.seq > lastSeq)))
          )
        })
      )
  })

  const AuthenticationLive = Layer.succeed(Authentication)({
    bearer: (httpEffect, { credential }) => {
      const user = accessTokens.get(Redacted.value(credential))
      return user
        ? Effect.provideService(httpEffect, CurrentUser, { userId: user.id, email: user.email })
        : Effect.fail(new Unauthorized({ message: "invalid access token" }))
    }
  })

  const SystemHandlers = HttpApiBuilder.group(CostlineApi, "system", (handlers) =>
    handlers
      .handle("health", () => Effect.succeed({ status: "ok" as const }))
      .handle("ready", () => Effect.succeed({ status: "ready" as const, checks: {} }))
  )
  const AuthHandlers = HttpApiBuilder.group(CostlineApi, "auth", (handlers) =>
    handlers
      .handle("register", ({ payload }) => {
        if (users.has(payload.email)) {
          return Effect.fail(new Conflict({ message: "email already registered", field: "email" }))
        }
        const user: TestUser = { id: UserId.make(nextId()), ...payload }
        users.set(user.email, user)
        return Effect.succeed(issueTokens(user))
      })
      .handle("login", ({ payload }) => {
        const user = users.get(payload.email)
        return user && user.password === payload.password
          ? Effect.succeed(issueTokens(user))
          : Effect.fail(new Unauthorized({ message: "wrong email or password" }))
      })
      .handle("refresh", ({ payload }) => {
        const user = refreshTokens.get(payload.refreshToken)
        refreshTokens.delete(payload.refreshToken)
        return user
          ? Effect.succeed(issueTokens(user))
          : Effect.fail(new Unauthorized({ message: "refresh token unknown" }))
      })
  )
  const ProjectsHandlers = HttpApiBuilder.group(CostlineApi, "projects", (handlers) =>
    handlers
      .handle("create", ({ payload }) =>
        Effect.flatMap(CurrentUser, (user) =>
          Effect.orDie(createProject(user.userId, payload.name, payload.description ?? ""))
        )
      )
      .handle("list", ({ query }) =>
        Effect.sync(() => {
          const items = Array.from(projects.values())
          const limit = query.limit ?? 20
          const offset = query.offset ?? 0
          return { items: items.slice(offset, offset + limit), total: items.length, limit, offset }
        })
      )
      .handle("get", ({ params }) => findProject(params.id))
      .handle("recalculate", ({ params }) => Effect.map(recalculate(params.id), (job) => ({ job })))
  )
  const JobsHandlers = HttpApiBuilder.group(CostlineApi, "jobs", (handlers) =>
    handlers.handle("get", ({ params }) => findJob(params.id))
  )

  // The RPC socket: authenticate the upgrade from the query string (401 instead of upgrading), then hand the
  // connection to the effect RPC server. Each socket runs in its own fiber so the test can drop it.
  const { httpEffect, protocol } = yield* RpcServer.makeProtocolWithHttpEffectWebsocket.pipe(
    Effect.provide(RpcSerialization.layerJson)
  )
  yield* RpcServer.make(CostlineRpcs).pipe(
    Effect.provideService(RpcServer.Protocol, protocol),
    Effect.provide(RpcHandlers),
    Effect.forkScoped
  )
  const RpcRoute = HttpRouter.add("GET", "/api/v1/rpc", (request) =>
    Effect.gen(function* () {
      const token = new URL(request.url, "http://localhost").searchParams.get("token") ?? ""
      tokensSeen.push(token)
      if (!accessTokens.has(token)) return HttpServerResponse.empty({ status: 401 })
      const authenticated = request.modify({ headers: Headers.set(request.headers, "x-test-token", token) })
      const fiber = yield* httpEffect.pipe(
        Effect.scoped,
        Effect.provideService(HttpServerRequest.HttpServerRequest, authenticated),
        Effect.forkDetach
      )
      sockets.add(fiber)
      return yield* Fiber.join(fiber).pipe(
        Effect.onExit(() => Effect.sync(() => sockets.delete(fiber))),
        Effect.catchCause(() => Effect.succeed(HttpServerResponse.empty()))
      )
    })
  )

  const ApiRoutes = HttpApiBuilder.layer(CostlineApi).pipe(
    Layer.provide([SystemHandlers, AuthHandlers, ProjectsHandlers, JobsHandlers]),
    Layer.provide(AuthenticationLive)
  )
  const ServerLive = HttpRouter.serve(Layer.mergeAll(ApiRoutes, RpcRoute), {
    disableLogger: true,
    disableListenLog: true
  }).pipe(Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })))
  const context = yield* Effect.orDie(Layer.build(ServerLive))
  const address = Context.get(context, HttpServer.HttpServer).address
  if (address._tag === "UnixPathAddress") return yield* Effect.die(new Error("expected a TCP address"))

  return {
    baseUrl: `http://127.0.0.1:${address.port}`,
    aliceToken: "token-alice",
    alice,
    tokensSeen,
    subscribeRequests,
    publish: (projectId, body) =>
      Effect.gen(function* () {
        const journal = yield* journalOf(projectId)
        const event = ProjectEvent.make({
          projectId,
          seq: (journal.events.at(-1)?.seq ?? 0) + 1,
          at: yield* now,
          event: body
        })
        journal.events.push(event)
        yield* PubSub.publish(journal.pubsub, event)
        return event
      }),
    truncate: (projectId, oldest) => {
      const journal = journals.get(projectId)
      if (!journal) return
      journal.oldest = oldest
      journal.events.splice(
        0,
        journal.events.findIndex((event) => event.seq >= oldest)
      )
    },
    dropConnections: Effect.suspend(() => Fiber.interruptAll(Array.from(sockets))),
    openSockets: () => sockets.size
  }
})
