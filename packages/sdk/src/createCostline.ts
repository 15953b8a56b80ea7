// The Promise API of the SDK for apps that do not use Effect: the same client, every failure thrown as a typed error
// class (NotFound, Unauthorized, Conflict, InvalidRequest, ConnectionError, ServerError).
import { JobId, ProjectId } from "@costline/core/contracts/Ids"
import type { Job, JobPage } from "@costline/core/contracts/Job"
import type { CreateProjectPayload, Project, ProjectPage } from "@costline/core/contracts/Project"
import type { AuthResponse, LoginPayload, RegisterPayload } from "@costline/core/contracts/User"
import { Effect, Exit, Schema, Scope, Stream } from "effect"
import { ConnectionError, type CostlineError } from "./ClientErrors.ts"
import { CostlineAuth } from "./CostlineAuth.ts"
import {
  CostlineClient,
  type CostlineClientOptions,
  type ListJobsOptions,
  type ListProjectsOptions
} from "./CostlineClient.ts"
import {
  makeProjectSubscription,
  type ProjectSubscription,
  type ProjectSubscriptionOptions
} from "./ProjectSubscription.ts"
import { runPromise } from "./runPromise.ts"
import { validate } from "./validate.ts"

export type CreateCostlineOptions = Omit<CostlineClientOptions, "token">

export interface CostlineConnection {
  /** Creates a project owned by the caller. Rejects with InvalidRequest on a bad name. */
  readonly createProject: (payload: CreateProjectPayload) => Promise<Project>
  /** Rejects with NotFound when the project does not exist or the caller is not a member. */
  readonly getProject: (projectId: string) => Promise<Project>
  readonly listProjects: (options?: ListProjectsOptions) => Promise<ProjectPage>
  /** Queues a recalculation; progress arrives on the project subscription. */
  readonly recalculateProject: (projectId: string) => Promise<Job>
  readonly getJob: (jobId: string) => Promise<Job>
  /** Cancels a job; rejects with Conflict when it already finished. */
  readonly cancelJob: (jobId: string) => Promise<Job>
  /** Runs a failed or cancelled job again; rejects with Conflict otherwise. */
  readonly retryJob: (jobId: string) => Promise<Job>
  /** The project's jobs, newest first. */
  readonly listJobs: (projectId: string, options?: ListJobsOptions) => Promise<JobPage>
  /**
   * The project's events, surviving reconnects with each seq exactly once and in order. Pass `onEvent` to have them
   * pushed, or iterate the result with `for await`. On ResyncRequired reload the project, then keep reading.
   *
   * @example
   * ```ts
   * let lastSeq = loadLastSeq() // persist it to resume after a reload of the page
   * for await (const item of connection.subscribeProject(projectId, { afterSeq: lastSeq })) {
   *   if (item._tag === "ResyncRequired") await reloadProject()
   *   else lastSeq = item.seq
   * }
   * ```
   */
  readonly subscribeProject: (projectId: string, options?: ProjectSubscriptionOptions) => ProjectSubscription
  /** Uses a new access token (after `refresh`) for the next socket and for HTTP calls. */
  readonly setToken: (token: string) => void
  /** Stops every subscription and closes the socket. */
  readonly close: () => Promise<void>
}

export interface Costline {
  /** Creates an account. Rejects with Conflict when the email is taken, InvalidRequest on bad input. */
  readonly register: (payload: RegisterPayload) => Promise<AuthResponse>
  /** Rejects with Unauthorized when the email or password is wrong. */
  readonly login: (payload: LoginPayload) => Promise<AuthResponse>
  /** Trades a refresh token for a new token pair. */
  readonly refresh: (refreshToken: string) => Promise<AuthResponse>
  /**
   * Opens the realtime connection. Rejects with Unauthorized for a refused token, ConnectionError when unreachable.
   *
   * @example
   * ```ts
   * const connection = await costline.connect(session.accessToken)
   * const { items } = await connection.listProjects({ limit: 20 })
   * await connection.close()
   * ```
   */
  readonly connect: (token: string) => Promise<CostlineConnection>
}

const projectIdOf = (projectId: string) =>
  Effect.map(validate(Schema.Struct({ projectId: ProjectId }))({ projectId }), (payload) => payload.projectId)
const jobIdOf = (jobId: string) =>
  Effect.map(validate(Schema.Struct({ jobId: JobId }))({ jobId }), (payload) => payload.jobId)

const makeConnection = (client: CostlineClient["Service"], scope: Scope.Closeable): CostlineConnection => {
  let closed = false
  const subscriptions = new Set<ProjectSubscription>()
  const closedError = (operation: string) =>
    new ConnectionError({ message: "the connection is closed: call connect() again", operation })
  const run = <A>(operation: string, effect: Effect.Effect<A, CostlineError>) =>
    closed ? Promise.reject(closedError(operation)) : runPromise(operation, effect)

  return {
    createProject: (payload) => run("createProject", client.createProject(payload)),
    getProject: (projectId) => run("getProject", Effect.flatMap(projectIdOf(projectId), client.getProject)),
    listProjects: (options) => run("listProjects", client.listProjects(options)),
    recalculateProject: (projectId) =>
      run("recalculateProject", Effect.flatMap(projectIdOf(projectId), client.recalculateProject)),
    getJob: (jobId) => run("getJob", Effect.flatMap(jobIdOf(jobId), client.getJob)),
    cancelJob: (jobId) => run("cancelJob", Effect.flatMap(jobIdOf(jobId), client.cancelJob)),
    retryJob: (jobId) => run("retryJob", Effect.flatMap(jobIdOf(jobId), client.retryJob)),
    listJobs: (projectId, options) =>
      run(
        "listJobs",
        Effect.flatMap(projectIdOf(projectId), (id) => client.listJobs(id, options))
      ),
    subscribeProject: (projectId, options = {}) => {
      const items = closed
        ? Stream.fail(closedError("subscribeProject"))
        : Stream.unwrap(
            Effect.map(projectIdOf(projectId), (id) =>
              client.subscribeProject(id, options.afterSeq === undefined ? {} : { afterSeq: options.afterSeq })
            )
          )
      const subscription = makeProjectSubscription(items, options, () => subscriptions.delete(subscription))
      subscriptions.add(subscription)
      return subscription
    },
    setToken: (token) => Effect.runSync(client.setToken(token)),
    close: () => {
      if (closed) return Promise.resolve()
      closed = true
      // Stop subscriptions first so their `done` resolves instead of failing with a closed connection.
      return Promise.all(Array.from(subscriptions, (subscription) => subscription.unsubscribe().catch(() => {}))).then(
        () => Effect.runPromise(Scope.close(scope, Exit.void))
      )
    }
  }
}

/**
 * Creates the Promise client. Nothing connects until `connect`; `register`, `login` and `refresh` need no token.
 *
 * @example
 * ```ts
 * import { createCostline, NotFound } from "@costline/sdk"
 *
 * const costline = createCostline({ baseUrl: "https://costline.example.com" })
 * const { accessToken } = await costline.login({ email: "jana@example.com", password: "correct horse" })
 * const connection = await costline.connect(accessToken)
 * const project = await connection.createProject({ name: "Bytový dům Vinohrady" })
 * const subscription = connection.subscribeProject(project.id, { afterSeq: 0, onEvent: (item) => console.log(item) })
 * try {
 *   await connection.getProject("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")
 * } catch (error) {
 *   if (error instanceof NotFound) console.log("no such project")
 * }
 * await subscription.unsubscribe()
 * await connection.close()
 * ```
 */
export const createCostline = (options: CreateCostlineOptions): Costline => {
  const auth = Effect.runSync(CostlineAuth.make({ baseUrl: options.baseUrl }))
  return {
    register: (payload) => runPromise("register", auth.register(payload)),
    login: (payload) => runPromise("login", auth.login(payload)),
    refresh: (refreshToken) => runPromise("refresh", auth.refresh(refreshToken)),
    connect: (token) => {
      const scope = Scope.makeUnsafe()
      return runPromise(
        "connect",
        CostlineClient.make({ ...options, token }).pipe(
          Scope.provide(scope),
          Effect.onError(() => Scope.close(scope, Exit.void))
        )
      ).then((client) => makeConnection(client, scope))
    }
  }
}
