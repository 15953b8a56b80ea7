// GET /api/v1/projects/:id — our server (production and embedded profiles) side by side with a Fastify 5 peer doing
// the same database read and with our own Effect app on @effect/platform-node's node:http server. Each target runs
// in its own process; autocannon (100 connections, no pipelining) loads them in alternating rounds after a discarded
// warm-up, and the medians and ratios are printed.

import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { Redis } from "ioredis"
import { createTestDatabase } from "../test/support/TestDatabase.ts"
import { load, median, type Sample } from "./support/measure.ts"
import { seedProject, startTarget, type Target } from "./support/targets.ts"

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3)
const CONNECTIONS = 100

const database = await createTestDatabase({ migrate: true })
const redisPrefix = `costline-bench-${crypto.randomUUID().slice(0, 8)}`
const dataDir = await mkdtemp(join(tmpdir(), "costline-bench-"))
const jwtSecret = `bench-secret-${crypto.randomUUID()}-${crypto.randomUUID()}`
const production = {
  DATABASE_URL: database.url,
  REDIS_URL: process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379",
  REDIS_PREFIX: redisPrefix,
  JWT_SECRET: jwtSecret
}

/** JSON with object keys sorted, so bodies compare by content whatever order each server writes the keys in. */
const canonicalJson = (text: string): string => {
  const sorted = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(sorted)
      : typeof value === "object" && value !== null
        ? Object.fromEntries(
            Object.entries(value)
              .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
              .map(([key, item]) => [key, sorted(item)])
          )
        : value
  return JSON.stringify(sorted(JSON.parse(text)))
}

const targets: Array<Target> = []
try {
  targets.push(await startTarget("ours (uWS, PostgreSQL)", "packages/server/src/main.ts", production))
  targets.push(await startTarget("effect node:http (PostgreSQL)", "bench/peers/effectNodeHttp.ts", production))
  targets.push(await startTarget("fastify 5 + pg (PostgreSQL)", "bench/peers/fastify.ts", production))
  targets.push(
    await startTarget("ours embedded (uWS, PGlite)", "packages/server/src/main.ts", { COSTLINE_DATA_DIR: dataDir })
  )

  // One project in the shared PostgreSQL database serves the three production-profile targets.
  const shared = await seedProject(targets[0]!.url)
  const embedded = await seedProject(targets[3]!.url)
  const requestFor = (target: Target) => {
    const seed = target === targets[3] ? embedded : shared
    return {
      url: `${target.url}/api/v1/projects/${seed.projectId}`,
      headers: { authorization: `Bearer ${seed.token}` }
    }
  }

  const bodies = new Map<Target, string>()
  for (const target of targets) {
    const check = await fetch(requestFor(target).url, { headers: requestFor(target).headers })
    const body = await check.text()
    if (check.status !== 200) throw new Error(`${target.name} answered ${check.status}: ${body}`)
    bodies.set(target, canonicalJson(body))
    await load({ ...requestFor(target), connections: CONNECTIONS, durationSeconds: WARMUP_SECONDS })
  }
  // The peers must do the same work: the three production-profile targets read one project and answer one body.
  for (const target of targets.slice(1, 3)) {
    if (bodies.get(target) !== bodies.get(targets[0]!)) {
      throw new Error(
        `${target.name} answered a different body than ${targets[0]!.name}:\n${bodies.get(target)}\n${bodies.get(targets[0]!)}`
      )
    }
  }

  const samples = new Map<Target, Array<Sample>>(targets.map((target) => [target, []]))
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate the order so no target always runs on a warmer or cooler machine.
    const order = round % 2 === 1 ? targets : [...targets].reverse()
    for (const target of order) {
      const sample = await load({ ...requestFor(target), connections: CONNECTIONS, durationSeconds: SECONDS })
      if (sample.errors > 0 || sample.non2xx > 0) {
        throw new Error(`${target.name}: ${sample.errors} errors, ${sample.non2xx} non-2xx responses`)
      }
      samples.get(target)!.push(sample)
      process.stdout.write(
        `round ${round} ${target.name}: ${sample.requestsPerSecond.toFixed(0)} req/s, p99 ${sample.p99Ms} ms\n`
      )
    }
  }

  const summary = targets.map((target) => {
    const list = samples.get(target)!
    return {
      name: target.name,
      rps: median(list.map((sample) => sample.requestsPerSecond)),
      p99: median(list.map((sample) => sample.p99Ms))
    }
  })
  const [ours, effectNode, fastify, oursEmbedded] = summary
  process.stdout.write(
    `\nGET /api/v1/projects/:id — ${CONNECTIONS} connections, no pipelining, ${ROUNDS} alternating rounds of ${SECONDS} s (medians)\n`
  )
  for (const row of summary) {
    process.stdout.write(`  ${row.name.padEnd(32)} ${row.rps.toFixed(0).padStart(7)} req/s   p99 ${row.p99} ms\n`)
  }
  const ratio = (a: number, b: number) => (a / b).toFixed(2)
  process.stdout.write(
    `  ratio ours / fastify:            ${ratio(ours!.rps, fastify!.rps)}x req/s (target >= 1.0)\n` +
      `  ratio ours / effect node:http:   ${ratio(ours!.rps, effectNode!.rps)}x req/s\n` +
      `  ratio ours embedded / fastify:   ${ratio(oursEmbedded!.rps, fastify!.rps)}x req/s\n`
  )
} finally {
  await Promise.all(targets.map((target) => target.stop()))
  await database.drop()
  await rm(dataDir, { recursive: true, force: true })
  const redis = new Redis(production.REDIS_URL)
  const keys = await redis.keys(`${redisPrefix}*`)
  if (keys.length > 0) await redis.del(...keys)
  await redis.quit()
}
