// The Effect API of the SDK: every Costline RPC as a typed method over one self-healing WebSocket, resumable project
// subscriptions, and the typed HTTP client, all authenticated with the caller's access token.
import { Unauthorized } from "@costline/core/contracts/ApiErrors"
import type { JobId, ProjectId } from "@costline/core/contracts/Ids"
import type { Job, JobPage, JobStatus } from "@costline/core/contracts/Job"
import type { CreateProjectPayload, Project, ProjectPage } from "@costline/core/contracts/Project"
import type { SubscriptionItem } from "@costline/core/contracts/ProjectEvent"
import { CostlineRpcs } from "@costline/core/contracts/Rpcs"
import { Context, Duration, Effect, Layer, Ref, Schedule, Schema, type Scope, Stream } from "effect"
import { RpcClientError } from "effect/rpc"
import { ConnectionError, type CostlineError } from "./ClientErrors.ts"
import { type CostlineHttpApi, makeHttpApi } from "./CostlineHttp.ts"
import { type CostlineRpcClient, makeRpcConnection } from "./RpcConnection.ts"
import { resumeSubscription } from "./resumeSubscription.ts"
import { rpcUrl } from "./rpcUrl.ts"
import { invalidInput, withCostlineErrors, withCostlineStreamErrors } from "./toCostlineError.ts"

export interface CostlineClientOptions {
  /** Where the server listens, e.g. "https://costline.example.com"; the socket goes to <baseUrl>/api/v1/rpc. */
  readonly baseUrl: string
  /** The access token from login/register/refresh; replace it with `setToken` after a refresh. */
  readonly token: string
  /** How long a socket may take to open. Default 10 seconds. */
  readonly openTimeout?: Duration.Input
  /** How often the client pings; a silent server is dropped after one interval. Default 5 seconds. */
  readonly pingInterval?: Duration.Input
  /** Backoff between reconnects and resubscriptions: exponential from `initialDelay` (250 ms) up to `maxDelay` (5 s). */
  readonly reconnect?: { readonly initialDelay?: Duration.Input; readonly maxDelay?: Duration.Input }
}

export interface SubscribeOptions {
  /**
   * The last seq the caller has already seen: the stream replays everything after it. Omit to get new events only:
   * the client then reads the project's `lastEventSeq` first and resumes from it, so a drop before the first event
   * loses nothing.
   */
  readonly afterSeq?: number
}

export interface ListProjectsOptions {
  readonly limit?: number
  readonly offset?: number
}

export interface ListJobsOptions {
  readonly status?: JobStatus
  readonly limit?: number
  readonly offset?: number
}

const backoff = (options: CostlineClientOptions["reconnect"]) =>
  Schedule.min([
    Schedule.exponential(options?.initialDelay ?? "250 millis", 2),
    Schedule.spaced(options?.maxDelay ?? "5 seconds")
  ]).pipe(Schedule.jittered)

// Payloads are checked against the contract before sending: the RPC client would turn a bad payload into a defect.
const checkPayload = (tag: string) => {
  const rpc = CostlineRpcs.requests.get(tag)
  if (rpc === undefined) throw new Error(`unknown RPC ${tag}`)
  const decode = Schema.decodeUnknownEffect(Schema.toType(rpc.payloadSchema))
  return (input: unknown): Effect.Effect<void, CostlineError> =>
    Effect.mapError(Effect.asVoid(decode(input)), invalidInput)
}
const checks = {
  CreateProject: checkPayload("CreateProject"),
  GetProject: checkPayload("GetProject"),
  ListProjects: checkPayload("ListProjects"),
  RecalculateProject: checkPayload("RecalculateProject"),
  GetJob: checkPayload("GetJob"),
  CancelJob: checkPayload("CancelJob"),
  RetryJob: checkPayload("RetryJob"),
  ListJobs: checkPayload("ListJobs"),
  SubscribeProject: checkPayload("SubscribeProject")
}

const isOpenFailure = (error: unknown): error is RpcClientError.RpcClientError =>
  error instanceof RpcClientError.RpcClientError && error.reason._tag === "SocketOpenError"

export class CostlineClient extends Context.Service<
  CostlineClient,
  {
    /** Creates a project owned by the caller. */
    readonly createProject: (payload: CreateProjectPayload) => Effect.Effect<Project, CostlineError>
    /** Fails with NotFound when the project does not exist or the caller is not a member. */
    readonly getProject: (projectId: ProjectId) => Effect.Effect<Project, CostlineError>
    /** The caller's projects, newest first. */
    readonly listProjects: (options?: ListProjectsOptions) => Effect.Effect<ProjectPage, CostlineError>
    /** Queues a recalculation of the project's budget and returns the job; progress arrives on the subscription. */
    readonly recalculateProject: (projectId: ProjectId) => Effect.Effect<Job, CostlineError>
    readonly getJob: (jobId: JobId) => Effect.Effect<Job, CostlineError>
    /** Cancels a job: a queued one never starts, a running one stops at its next step. Conflict when it finished. */
    readonly cancelJob: (jobId: JobId) => Effect.Effect<Job, CostlineError>
    /** Runs a failed or cancelled job again. Conflict for a job that is queued, running or completed. */
    readonly retryJob: (jobId: JobId) => Effect.Effect<Job, CostlineError>
    /** The project's jobs, newest first, optionally only those in one status. */
    readonly listJobs: (projectId: ProjectId, options?: ListJobsOptions) => Effect.Effect<JobPage, CostlineError>
    /**
     * The project's events, surviving reconnects: after a drop it resubscribes with the last seq it delivered, so each
     * seq arrives exactly once and in order. ResyncRequired is delivered too: reload the project, then keep reading.
     * Ends only with a non-transient error (NotFound, Unauthorized, ServerError) or when the consumer stops.
     *
     * @example
     * ```ts
     * costline.subscribeProject(projectId, { afterSeq: lastSeq }).pipe(
     *   Stream.runForEach((item) =>
     *     item._tag === "ResyncRequired" ? reloadProject(projectId) : applyEvent(item)
     *   )
     * )
     * ```
     */
    readonly subscribeProject: (
      projectId: ProjectId,
      options?: SubscribeOptions
    ) => Stream.Stream<SubscriptionItem, CostlineError>
    /** Uses a new access token for HTTP calls and for the next socket (the open socket stays authenticated). */
    readonly setToken: (token: string) => Effect.Effect<void>
    /** The typed HTTP client, sending the current token; map its errors with `toCostlineError`. */
    readonly http: CostlineHttpApi
    /** The raw RPC client (errors untyped); for RPCs this SDK version does not wrap yet. */
    readonly rpc: CostlineRpcClient
  }
>()("@costline/sdk/CostlineClient") {
  /**
   * Connects to the server and returns the client once the socket is open; closing the scope closes it.
   * Fails with Unauthorized when the server refuses the token, ConnectionError when it cannot be reached.
   *
   * @example
   * ```ts
   * import { CostlineClient } from "@costline/sdk"
   * import { Effect, Stream } from "effect"
   *
   * const program = Effect.gen(function* () {
   *   const costline = yield* CostlineClient.make({ baseUrl: "http://127.0.0.1:8080", token: accessToken })
   *   const project = yield* costline.createProject({ name: "Bytový dům Vinohrady" })
   *   yield* costline.subscribeProject(project.id, { afterSeq: 0 }).pipe(
   *     Stream.runForEach((item) => Effect.log(item))
   *   )
   * }).pipe(Effect.scoped)
   * ```
   */
  static readonly make = (
    options: CostlineClientOptions
  ): Effect.Effect<CostlineClient["Service"], CostlineError, Scope.Scope> =>
    Effect.gen(function* () {
      const socketUrl = yield* rpcUrl(options.baseUrl)
      const token = yield* Ref.make(options.token)
      const http = yield* makeHttpApi({ baseUrl: options.baseUrl, token: Ref.get(token) })
      const schedule = backoff(options.reconnect)
      const connection = yield* makeRpcConnection({
        url: Effect.map(Ref.get(token), socketUrl),
        openTimeout: options.openTimeout ?? "10 seconds",
        pingInterval: options.pingInterval ?? "5 seconds",
        reconnect: schedule
      })
      const rpc = connection.client

      // A browser WebSocket cannot see why an upgrade failed, so ask the HTTP API whether the token is the reason.
      const explainOpenFailure = (operation: string): Effect.Effect<never, CostlineError> =>
        http.projects.list({ query: { limit: 1 } }).pipe(
          Effect.timeout(Duration.seconds(5)),
          Effect.matchEffect({
            onFailure: (error) =>
              Effect.fail(
                error instanceof Unauthorized
                  ? error
                  : new ConnectionError({
                      message: `could not reach the Costline server at ${options.baseUrl}: check baseUrl and that the server runs`,
                      operation
                    })
              ),
            onSuccess: () =>
              Effect.fail(
                new ConnectionError({
                  message: `the HTTP API answers but the socket at ${options.baseUrl}/api/v1/rpc does not open: check that proxies pass WebSocket upgrades`,
                  operation
                })
              )
          })
        )

      const guard =
        (operation: string) =>
        <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, CostlineError> =>
          effect.pipe(
            Effect.catchIf(isOpenFailure, () => explainOpenFailure(operation)),
            withCostlineErrors(operation)
          )

      if (!(yield* connection.firstOpen)) return yield* explainOpenFailure("connect")

      // "New events only" must be pinned to a seq before subscribing: resubscribing after a drop with no afterSeq would
      // silently skip whatever was journaled while the socket was down. A transient failure is retried like a drop.
      const startingSeq = (projectId: ProjectId, afterSeq: number | undefined): Effect.Effect<number, CostlineError> =>
        afterSeq !== undefined
          ? Effect.succeed(afterSeq)
          : rpc.GetProject({ projectId }).pipe(
              Effect.map((project) => project.lastEventSeq),
              guard("subscribeProject"),
              Effect.retry({ schedule, while: (error) => error._tag === "ConnectionError" })
            )

      const subscribeOnce = (projectId: ProjectId) => (afterSeq: number | undefined) =>
        rpc.SubscribeProject(afterSeq === undefined ? { projectId } : { projectId, afterSeq }).pipe(
          Stream.catchIf(isOpenFailure, () => Stream.fromEffect(explainOpenFailure("subscribeProject"))),
          withCostlineStreamErrors("subscribeProject")
        )

      return CostlineClient.of({
        createProject: (payload) =>
          checks.CreateProject(payload).pipe(Effect.andThen(rpc.CreateProject(payload)), guard("createProject")),
        getProject: (projectId) =>
          checks.GetProject({ projectId }).pipe(Effect.andThen(rpc.GetProject({ projectId })), guard("getProject")),
        listProjects: (options = {}) =>
          checks.ListProjects(options).pipe(Effect.andThen(rpc.ListProjects(options)), guard("listProjects")),
        recalculateProject: (projectId) =>
          checks
            .RecalculateProject({ projectId })
            .pipe(Effect.andThen(rpc.RecalculateProject({ projectId })), guard("recalculateProject")),
        getJob: (jobId) => checks.GetJob({ jobId }).pipe(Effect.andThen(rpc.GetJob({ jobId })), guard("getJob")),
        cancelJob: (jobId) =>
          checks.CancelJob({ jobId }).pipe(Effect.andThen(rpc.CancelJob({ jobId })), guard("cancelJob")),
        retryJob: (jobId) =>
          checks.RetryJob({ jobId }).pipe(Effect.andThen(rpc.RetryJob({ jobId })), guard("retryJob")),
        listJobs: (projectId, options = {}) =>
          checks
            .ListJobs({ projectId, ...options })
            .pipe(Effect.andThen(rpc.ListJobs({ projectId, ...options })), guard("listJobs")),
        subscribeProject: (projectId, options = {}) =>
          Stream.fromEffect(
            checks
              .SubscribeProject({ projectId, ...options })
              .pipe(Effect.andThen(startingSeq(projectId, options.afterSeq)))
          ).pipe(
            Stream.flatMap((afterSeq) =>
              resumeSubscription({
                subscribe: subscribeOnce(projectId),
                afterSeq,
                isTransient: (error) => error._tag === "ConnectionError",
                restart: (message) => new ConnectionError({ message, operation: "subscribeProject" }),
                schedule
              })
            )
          ),
        setToken: (next) => Ref.set(token, next),
        http,
        rpc
      })
    })

  /**
   * The client as a layer, connected for the layer's lifetime.
   *
   * @example
   * ```ts
   * import { CostlineClient } from "@costline/sdk"
   * import { Effect } from "effect"
   *
   * const program = CostlineClient.use((costline) => costline.listProjects({ limit: 10 })).pipe(
   *   Effect.provide(CostlineClient.layer({ baseUrl: "http://127.0.0.1:8080", token: accessToken }))
   * )
   * ```
   */
  static readonly layer = (options: CostlineClientOptions): Layer.Layer<CostlineClient, CostlineError> =>
    Layer.effect(CostlineClient, CostlineClient.make(options))
}
