// The Promise facade against the real test server: auth over HTTP, calls and subscriptions over the socket, typed errors.
import { Conflict, InvalidRequest, JobId, NotFound, type SubscriptionItem, Unauthorized } from "@costline/core"
import { afterEach, beforeEach, describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Scope } from "effect"
import { ConnectionError } from "../src/ClientErrors.ts"
import { type Costline, type CostlineConnection, createCostline } from "../src/createCostline.ts"
import { makeTestServer, type TestServer } from "./TestServer.ts"

let scope: Scope.Closeable
let server: TestServer
// Every connection a test opens, closed afterwards even when the test fails half-way.
const connections: Array<CostlineConnection> = []

beforeEach(async () => {
  scope = Scope.makeUnsafe()
  server = await Effect.runPromise(Scope.provide(scope)(makeTestServer))
})
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
  await Effect.runPromise(Scope.close(scope, Exit.void))
})

const connect = async (costline: Costline, token: string) => {
  const connection = await costline.connect(token)
  connections.push(connection)
  return connection
}

const publish = (projectId: string, step: number) =>
  Effect.runPromise(
    server.publish(projectId as never, {
      _tag: "JobProgress",
      jobId: JobId.make("job-1"),
      progress: step / 10,
      message: `step ${step}`,
      step,
      totalSteps: 10
    })
  )
const seqOf = (item: SubscriptionItem) => (item._tag === "ProjectEvent" ? item.seq : -1)
const until = async (check: () => boolean) => {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10))
  expect(check()).toBe(true)
}

describe("createCostline", () => {
  it("registers, logs in and refreshes over HTTP with typed errors", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl })
    const registered = await costline.register({ email: "bob@example.com", password: "bob-secret-1", fullName: "Bob" })
    expect(registered.user.email).toBe("bob@example.com")
    await expect(
      costline.register({ email: "bob@example.com", password: "bob-secret-1", fullName: "Bob" })
    ).rejects.toBeInstanceOf(Conflict)
    const badEmail = await costline
      .register({ email: "bob", password: "bob-secret-1", fullName: "Bob" })
      .catch((e) => e)
    expect(badEmail).toBeInstanceOf(InvalidRequest)
    expect(badEmail.field).toBe("email")

    const session = await costline.login({ email: "bob@example.com", password: "bob-secret-1" })
    await expect(costline.login({ email: "bob@example.com", password: "wrong" })).rejects.toBeInstanceOf(Unauthorized)
    const refreshed = await costline.refresh(session.refreshToken)
    expect(refreshed.accessToken).not.toBe(session.accessToken)
    // Refresh tokens rotate: the old one no longer works.
    await expect(costline.refresh(session.refreshToken)).rejects.toBeInstanceOf(Unauthorized)
  })

  it("connects with a token, calls every RPC and throws typed errors", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl })
    const session = await costline.login({ email: server.alice.email, password: server.alice.password })
    const connection = await connect(costline, session.accessToken)
    expect(server.tokensSeen).toContain(session.accessToken)

    const project = await connection.createProject({ name: "Facade" })
    expect(project.ownerId).toBe(server.alice.id)
    expect((await connection.getProject(project.id)).name).toBe("Facade")
    expect((await connection.listProjects()).total).toBe(1)
    const job = await connection.recalculateProject(project.id)
    expect((await connection.getJob(job.id)).id).toBe(job.id)

    const missing = await connection.getProject("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11").catch((e) => e)
    expect(missing).toBeInstanceOf(NotFound)
    expect(missing).toBeInstanceOf(Error)
    const notAnId = await connection.getProject("42").catch((e) => e)
    expect(notAnId).toBeInstanceOf(InvalidRequest)
    expect(notAnId.field).toBe("projectId")
    await expect(connection.createProject({ name: "" })).rejects.toBeInstanceOf(InvalidRequest)

    await connection.close()
    await expect(connection.getProject(project.id)).rejects.toBeInstanceOf(ConnectionError)
  })

  it("connect rejects with Unauthorized for a refused token and ConnectionError for a dead server", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl })
    await expect(costline.connect("not-a-token")).rejects.toBeInstanceOf(Unauthorized)
    const port = new URL(server.baseUrl).port
    await Effect.runPromise(Scope.close(scope, Exit.void))
    const dead = createCostline({ baseUrl: `http://127.0.0.1:${port}` })
    await expect(dead.connect("token")).rejects.toBeInstanceOf(ConnectionError)
    await expect(dead.login({ email: "a@b.cz", password: "x" })).rejects.toBeInstanceOf(ConnectionError)
  })

  it("subscribeProject with onEvent survives a dropped socket and unsubscribes", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl, reconnect: { initialDelay: "50 millis" } })
    const connection = await connect(costline, server.aliceToken)
    const project = await connection.createProject({ name: "Push" })
    const seen: Array<number> = []
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: (item) => void seen.push(seqOf(item))
    })
    await publish(project.id, 1)
    await publish(project.id, 2)
    await until(() => seen.length === 2)
    await Effect.runPromise(server.dropConnections)
    await publish(project.id, 3)
    await until(() => seen.length === 3)
    await publish(project.id, 4)
    await until(() => seen.length === 4)
    expect(seen).toEqual([1, 2, 3, 4])

    await subscription.unsubscribe()
    await expect(subscription.done).resolves.toBeUndefined()
    await publish(project.id, 5)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).toEqual([1, 2, 3, 4])
    await connection.close()
  })

  it("subscribeProject is an AsyncIterable; close ends it and a missing project rejects done", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl })
    const connection = await connect(costline, server.aliceToken)
    const project = await connection.createProject({ name: "Pull" })
    await publish(project.id, 1)
    await publish(project.id, 2)
    const seen: Array<number> = []
    for await (const item of connection.subscribeProject(project.id, { afterSeq: 0 })) {
      seen.push(seqOf(item))
      if (seen.length === 2) break
    }
    expect(seen).toEqual([1, 2])

    const errors: Array<unknown> = []
    const missing = connection.subscribeProject("2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11", {
      onEvent: () => {},
      onError: (error) => errors.push(error)
    })
    await expect(missing.done).rejects.toBeInstanceOf(NotFound)
    expect(errors[0]).toBeInstanceOf(NotFound)

    const open = connection.subscribeProject(project.id, { onEvent: () => {} })
    await connection.close()
    await expect(open.done).resolves.toBeUndefined()
  })

  it("an onEvent that throws ends the subscription with that error", async () => {
    const costline = createCostline({ baseUrl: server.baseUrl })
    const connection = await connect(costline, server.aliceToken)
    const project = await connection.createProject({ name: "Throws" })
    await publish(project.id, 1)
    const boom = new Error("consumer bug")
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: () => {
        throw boom
      }
    })
    await expect(subscription.done).rejects.toBe(boom)
    await connection.close()
  })
})
