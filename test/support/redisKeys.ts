// A Redis key prefix per test run, and its removal afterwards.
import { Redis } from "ioredis"

export const testRedisUrl = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379"

export const uniqueRedisPrefix = () => `costline-test-${crypto.randomUUID().slice(0, 12)}`

export const deleteRedisKeys = async (prefix: string) => {
  const redis = new Redis(testRedisUrl)
  try {
    let cursor = "0"
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000)
      cursor = next
      if (keys.length > 0) await redis.del(...keys)
    } while (cursor !== "0")
  } finally {
    await redis.quit()
  }
}
