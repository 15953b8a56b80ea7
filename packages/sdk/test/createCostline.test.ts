// The Promise facade against the real server (in-process, embedded profile): auth over HTTP, calls and subscriptions
// over the socket, typed errors, and a subscription that survives a connection dropped by a TCP proxy.
import { Conflict, InvalidRequest, NotFound, type SubscriptionItem, Unauthorized } from "@costline/core"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { type InProcessServer, startInProcessServer } from "../../../test/support/inProcessServer.ts"
import { signUp } from "../../../test/support/signUp.ts"
import { ConnectionError } from "../src/ClientErrors.ts"
import { type Costline, type CostlineConnection, createCostline } from "../src/createCostline.ts"
import { startTcpProxy, type TcpProxy } from "./TcpProxy.ts"

let server: InProcessServer
beforeAll(async () => {
  server = await startInProcessServer()
})
afterAll(() => server?.stop())

// Every connection and proxy a test opens, closed afterwards even when the test fails half-way.
const connections: Array<CostlineConnection> = []
const proxies: Array<TcpProxy> = []
afterEach(async () => {
  await Promise.all(connections.splice(0).map((connection) => connection.close()))
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()))
})

/** A connection closed after each test. */
const connect = async (costline: Costline, token: string) => {
  const connection = await costline.connect(token)
  connections.push(connection)
  return connection
}
const proxy = async () => {
  const started = await startTcpProxy(server.url)
  proxies.push(started)
  return started
}
const fast = { reconnect: { initialDelay: "50 millis", maxDelay: "300 millis" } } as const
const missingProject = "2f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11"

const seqOf = (item: SubscriptionItem) => (item._tag === "ProjectEvent" ? item.seq : -1)
const until = async (what: string, check: () => boolean, timeoutMs = 20_000) => {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}
/** Starts a recalculation (it journals JobProgress ×3 and JobCompleted) and waits until the job is done. */
const runJob = async (connection: CostlineConnection, projectId: string) => {
  let job = await connection.recalculateProject(projectId)
  const deadline = Date.now() + 20_000
  while (job.status === "queued" || job.status === "running") {
    if (Date.now() > deadline) throw new Error(`job ${job.id} did not finish`)
    await new Promise((resolve) => setTimeout(resolve, 25))
    job = await connection.getJob(job.id)
  }
  expect(job.status).toBe("completed")
}

describe("createCostline", () => {
  it("registers, logs in and refreshes over HTTP with typed errors", async () => {
    const costline = createCostline({ baseUrl: server.url })
    const email = `bob-${crypto.randomUUID()}@example.com`
    const registered = await costline.register({ email, password: "bob-secret-1", fullName: "Bob" })
    expect(registered.user.email).toBe(email)
    await expect(costline.register({ email, password: "bob-secret-1", fullName: "Bob" })).rejects.toBeInstanceOf(
      Conflict
    )
    const badEmail = await costline
      .register({ email: "bob", password: "bob-secret-1", fullName: "Bob" })
      .catch((e) => e)
    expect(badEmail).toBeInstanceOf(InvalidRequest)
    expect(badEmail.field).toBe("email")

    const session = await costline.login({ email, password: "bob-secret-1" })
    expect(session.user.id).toBe(registered.user.id)
    await expect(costline.login({ email, password: "wrong-password" })).rejects.toBeInstanceOf(Unauthorized)
    const refreshed = await costline.refresh(session.refreshToken)
    expect(refreshed.user.id).toBe(registered.user.id)
    expect(refreshed.refreshToken).not.toBe(session.refreshToken)
    // Refresh tokens rotate: the old one no longer works.
    await expect(costline.refresh(session.refreshToken)).rejects.toBeInstanceOf(Unauthorized)
  })

  it("connects with a token, calls every RPC and throws typed errors", async () => {
    const alice = await signUp(server.url)
    const costline = createCostline({ baseUrl: server.url })
    const session = await costline.login({ email: alice.email, password: alice.password })
    const connection = await connect(costline, session.accessToken)

    const project = await connection.createProject({ name: "Facade" })
    // The socket belongs to the user whose token opened it.
    expect(project.ownerId).toBe(alice.user.id)
    expect((await connection.getProject(project.id)).name).toBe("Facade")
    expect((await connection.listProjects()).total).toBe(1)
    const job = await connection.recalculateProject(project.id)
    expect((await connection.getJob(job.id)).id).toBe(job.id)

    const missing = await connection.getProject(missingProject).catch((e) => e)
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
    const costline = createCostline({ baseUrl: server.url })
    await expect(costline.connect("not-a-token")).rejects.toBeInstanceOf(Unauthorized)
    // A proxy that is gone leaves a closed port behind.
    const gone = await proxy()
    await gone.close()
    const dead = createCostline({ baseUrl: gone.url })
    await expect(dead.connect("token")).rejects.toBeInstanceOf(ConnectionError)
    await expect(dead.login({ email: "a@b.cz", password: "x" })).rejects.toBeInstanceOf(ConnectionError)
  })

  it("subscribeProject with onEvent survives a dropped connection and unsubscribes", async () => {
    const alice = await signUp(server.url)
    const gate = await proxy()
    const connection = await connect(createCostline({ baseUrl: gate.url, ...fast }), alice.accessToken)
    // Jobs are started over a direct connection, so they run whether or not the subscriber is connected.
    const publisher = await connect(createCostline({ baseUrl: server.url }), alice.accessToken)
    const project = await publisher.createProject({ name: "Push" })
    const seen: Array<number> = []
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: (item) => void seen.push(seqOf(item))
    })
    await runJob(publisher, project.id)
    await until("the first job's events", () => seen.length === 4)
    gate.setDown(true)
    await runJob(publisher, project.id)
    gate.setDown(false)
    await until("the second job's events", () => seen.length === 8)
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8])

    await subscription.unsubscribe()
    await expect(subscription.done).resolves.toBeUndefined()
    await runJob(publisher, project.id)
    // The third job's events are journaled (the project says so) but no longer delivered.
    expect((await publisher.getProject(project.id)).lastEventSeq).toBe(12)
    await new Promise((resolve) => setTimeout(resolve, 100))
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
  })

  it("subscribeProject is an AsyncIterable; close ends it and a missing project rejects done", async () => {
    const alice = await signUp(server.url)
    const connection = await connect(createCostline({ baseUrl: server.url }), alice.accessToken)
    const project = await connection.createProject({ name: "Pull" })
    await runJob(connection, project.id)
    const seen: Array<number> = []
    for await (const item of connection.subscribeProject(project.id, { afterSeq: 0 })) {
      seen.push(seqOf(item))
      if (seen.length === 2) break
    }
    expect(seen).toEqual([1, 2])

    const errors: Array<unknown> = []
    const missing = connection.subscribeProject(missingProject, {
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
    const alice = await signUp(server.url)
    const connection = await connect(createCostline({ baseUrl: server.url }), alice.accessToken)
    const project = await connection.createProject({ name: "Throws" })
    await runJob(connection, project.id)
    const boom = new Error("consumer bug")
    const subscription = connection.subscribeProject(project.id, {
      afterSeq: 0,
      onEvent: () => {
        throw boom
      }
    })
    await expect(subscription.done).rejects.toBe(boom)
  })
})
