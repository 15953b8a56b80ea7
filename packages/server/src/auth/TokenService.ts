// Issues and verifies short-lived access tokens (JWT, HS256 via jose). Refresh tokens are SessionRepo's.
// Verified tokens are remembered until they expire, so a client sending the same token on every request pays for the
// signature check once per token instead of once per request.
import type { AuthenticatedUser, UserId } from "@costline/core"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { jwtVerify, SignJWT } from "jose"
import { JwtSecret } from "./JwtSecret.ts"

export const ACCESS_TOKEN_SECONDS = 15 * 60
const ISSUER = "costline"

/** How many verified tokens are remembered by default: far more than the clients one server sees in 15 minutes. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000

interface Verified {
  readonly user: Option.Option<AuthenticatedUser>
  /** Epoch milliseconds from which jose would answer JWTExpired: `exp` seconds × 1000. */
  readonly expiresAt: number
}

/**
 * Tokens that passed jose, least recently used first (a Map iterates in insertion order, and a hit re-inserts).
 * Only verified tokens get in, so the bound holds however many forged tokens arrive, and an entry is dropped at the
 * instant jose would start rejecting its token. Access tokens cannot be revoked before they expire (logout revokes
 * the refresh token), so remembering a verdict for the token's lifetime answers exactly what jose would.
 */
class VerifiedTokens {
  private readonly entries = new Map<string, Verified>()
  private readonly capacity: number

  constructor(capacity: number) {
    this.capacity = capacity
  }

  get(token: string, now: number): Option.Option<AuthenticatedUser> | undefined {
    const entry = this.entries.get(token)
    if (entry === undefined) return undefined
    this.entries.delete(token)
    if (now >= entry.expiresAt) return undefined
    this.entries.set(token, entry)
    return entry.user
  }

  set(token: string, entry: Verified): void {
    if (this.capacity <= 0) return
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value!)
    this.entries.set(token, entry)
  }

  get size(): number {
    return this.entries.size
  }
}

export class TokenService extends Context.Service<
  TokenService,
  {
    readonly issueAccessToken: (user: { readonly id: UserId; readonly email: string }) => Effect.Effect<string>
    /** None for a missing, malformed, expired or forged token. */
    readonly verifyAccessToken: (token: string) => Effect.Effect<Option.Option<AuthenticatedUser>>
    /** How many verified tokens are remembered right now (for tests and metrics). */
    readonly cachedTokens: Effect.Effect<number>
  }
>()("@costline/server/TokenService") {
  /** `verifiedCacheSize` bounds the remembered tokens; 0 verifies every request with jose. */
  static readonly layerWith = (options: { readonly verifiedCacheSize: number }) =>
    Layer.effect(
      TokenService,
      Effect.gen(function* () {
        const secret = yield* JwtSecret
        // Imported once: given raw bytes, jose imports a WebCrypto key on every sign and verify.
        const key = yield* Effect.promise(() =>
          crypto.subtle.importKey("raw", new Uint8Array(secret.key), { name: "HMAC", hash: "SHA-256" }, false, [
            "sign",
            "verify"
          ])
        )
        const verified = new VerifiedTokens(options.verifiedCacheSize)

        const verify = (token: string, now: number) =>
          Effect.promise(() =>
            jwtVerify(token, key, { algorithms: ["HS256"], issuer: ISSUER, currentDate: new Date(now) }).then(
              ({ payload }) => {
                const user =
                  typeof payload.sub === "string" && typeof payload.email === "string"
                    ? Option.some<AuthenticatedUser>({ userId: payload.sub as UserId, email: payload.email })
                    : Option.none()
                // Tokens without an expiry, or not valid yet, are checked every time rather than reasoned about.
                if (typeof payload.exp === "number" && payload.nbf === undefined) {
                  verified.set(token, { user, expiresAt: payload.exp * 1000 })
                }
                return user
              },
              () => Option.none<AuthenticatedUser>()
            )
          )

        return TokenService.of({
          issueAccessToken: (user) =>
            Effect.promise(() =>
              new SignJWT({ email: user.email })
                .setProtectedHeader({ alg: "HS256" })
                .setSubject(user.id)
                .setIssuer(ISSUER)
                .setIssuedAt()
                .setExpirationTime(`${ACCESS_TOKEN_SECONDS}s`)
                .sign(key)
            ),
          verifyAccessToken: (token) =>
            Clock.clockWith((clock) => {
              const now = clock.currentTimeMillisUnsafe()
              const hit = verified.get(token, now)
              return hit === undefined ? verify(token, now) : Effect.succeed(hit)
            }),
          cachedTokens: Effect.sync(() => verified.size)
        })
      })
    )

  static readonly layer = TokenService.layerWith({ verifiedCacheSize: DEFAULT_VERIFIED_CACHE_SIZE })
}
