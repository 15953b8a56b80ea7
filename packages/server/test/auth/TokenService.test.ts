// Access tokens: what verifies, what does not, and the cache of verified tokens — bounded, only for genuine tokens,
// and never answering for a token past its expiry. Time is the TestClock, which verification reads (jose included).
import type { UserId } from "@costline/core"
import { JwtSecret } from "@costline/server/auth/JwtSecret"
import { TokenService } from "@costline/server/auth/TokenService"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import { TestClock } from "effect/testing"
import { decodeJwt, SignJWT } from "jose"

const secret = new TextEncoder().encode("token-service-test-secret-0123456789-abcdef")

const tokens = (verifiedCacheSize: number) =>
  TokenService.layerWith({ verifiedCacheSize }).pipe(
    Layer.provide(Layer.succeed(JwtSecret, JwtSecret.of({ key: secret })))
  )

const user = (n: number) => ({ id: `00000000-0000-4000-8000-00000000000${n}` as UserId, email: `user${n}@example.com` })

const service = Effect.service(TokenService)

/** Moves the TestClock to `seconds` since the epoch (jose's exp and iat are in seconds). */
const at = (seconds: number) => TestClock.setTime(seconds * 1000)

describe("TokenService", () => {
  it.effect("verifies its own tokens once, then answers from the cache", () =>
    Effect.gen(function* () {
      const svc = yield* service
      const token = yield* svc.issueAccessToken(user(1))
      yield* at(decodeJwt(token).iat!)
      assert.strictEqual(yield* svc.cachedTokens, 0)
      const first = yield* svc.verifyAccessToken(token)
      assert.deepStrictEqual(first, Option.some({ userId: user(1).id, email: user(1).email }))
      assert.strictEqual(yield* svc.cachedTokens, 1)
      assert.deepStrictEqual(yield* svc.verifyAccessToken(token), first)
      assert.strictEqual(yield* svc.cachedTokens, 1)
    }).pipe(Effect.provide(tokens(100)))
  )

  it.effect("rejects a token at its expiry, whether it was cached or not", () =>
    Effect.gen(function* () {
      const svc = yield* service
      const cached = yield* svc.issueAccessToken(user(1))
      const fresh = yield* svc.issueAccessToken(user(2))
      const exp = decodeJwt(cached).exp!
      yield* at(exp - 1)
      assert.isTrue(Option.isSome(yield* svc.verifyAccessToken(cached)))
      assert.strictEqual(yield* svc.cachedTokens, 1)
      yield* at(exp)
      // From the cache: the entry is dropped instead of answering.
      assert.isTrue(Option.isNone(yield* svc.verifyAccessToken(cached)))
      assert.strictEqual(yield* svc.cachedTokens, 0)
      // Never cached: jose itself sees the clock and rejects it, and nothing is cached.
      assert.isTrue(Option.isNone(yield* svc.verifyAccessToken(fresh)))
      assert.strictEqual(yield* svc.cachedTokens, 0)
    }).pipe(Effect.provide(tokens(100)))
  )

  it.effect("does not cache what fails verification", () =>
    Effect.gen(function* () {
      const svc = yield* service
      const genuine = yield* svc.issueAccessToken(user(1))
      yield* at(decodeJwt(genuine).iat!)
      const forged = yield* Effect.promise(() =>
        new SignJWT({ email: "mallory@example.com" })
          .setProtectedHeader({ alg: "HS256" })
          .setSubject(user(1).id)
          .setIssuer("costline")
          .setIssuedAt()
          .setExpirationTime("15m")
          .sign(new TextEncoder().encode("another-secret-0123456789-0123456789-abcdef"))
      )
      const [header, payload] = genuine.split(".")
      for (const token of [forged, `${header}.${payload}.AAAA`, `${genuine}x`, "", "not-a-jwt"]) {
        assert.isTrue(Option.isNone(yield* svc.verifyAccessToken(token)), token)
        assert.isTrue(Option.isNone(yield* svc.verifyAccessToken(token)), token)
      }
      assert.strictEqual(yield* svc.cachedTokens, 0)
    }).pipe(Effect.provide(tokens(100)))
  )

  it.effect("keeps at most the configured number of tokens; an evicted token still verifies", () =>
    Effect.gen(function* () {
      const svc = yield* service
      const [a, b, c] = yield* Effect.all([1, 2, 3].map((n) => svc.issueAccessToken(user(n))))
      yield* at(decodeJwt(a!).iat!)
      yield* svc.verifyAccessToken(a!)
      yield* svc.verifyAccessToken(b!)
      yield* svc.verifyAccessToken(a!)
      yield* svc.verifyAccessToken(c!)
      assert.strictEqual(yield* svc.cachedTokens, 2)
      // Whichever token was evicted verifies again through jose and takes the place of the least recently used.
      assert.deepStrictEqual(
        yield* svc.verifyAccessToken(b!),
        Option.some({ userId: user(2).id, email: user(2).email })
      )
      assert.strictEqual(yield* svc.cachedTokens, 2)
    }).pipe(Effect.provide(tokens(2)))
  )

  it.effect("with a cache size of 0 verifies every time and remembers nothing", () =>
    Effect.gen(function* () {
      const svc = yield* service
      const token = yield* svc.issueAccessToken(user(1))
      yield* at(decodeJwt(token).iat!)
      assert.isTrue(Option.isSome(yield* svc.verifyAccessToken(token)))
      assert.isTrue(Option.isSome(yield* svc.verifyAccessToken(token)))
      assert.strictEqual(yield* svc.cachedTokens, 0)
    }).pipe(Effect.provide(tokens(0)))
  )
})
