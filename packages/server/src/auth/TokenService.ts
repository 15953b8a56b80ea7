// Issues (jose) and verifies (verifyHs256, synchronous) short-lived HS256 access tokens. Refresh tokens are
// SessionRepo's.
// Verified tokens are remembered until they expire, so a client sending the same token on every request pays for the
// signature check once per token instead of once per request.
import type { AuthenticatedUser, UserId } from "@costline/core"
import { Clock, Context, Effect, Layer, Option } from "effect"
import { SignJWT } from "jose"
import { JwtSecret } from "./JwtSecret.ts"
import { verifyHs256 } from "./verifyHs256.ts"

export const ACCESS_TOKEN_SECONDS = 15 * 60
const ISSUER = "costline"

/** How many verified tokens are remembered by default: far more than the clients one server sees in 15 minutes. */
export const DEFAULT_VERIFIED_CACHE_SIZE = 10_000

interface Verified {
  readonly user: Option.Option<AuthenticatedUser>
  /** Epoch milliseconds from which the token is expired: `exp` seconds × 1000. */
  readonly expiresAt: number
}

/**
 * Tokens that passed verification, least recently used first (a Map iterates in insertion order, and a hit
 * re-inserts).
 * Only verified tokens get in, so the bound holds however many forged tokens arrive, and an entry is dropped at the
 * instant verification would start rejecting its token. Access tokens cannot be revoked before they expire (logout
 * revokes the refresh token), so remembering a verdict for the token's lifetime answers exactly what a fresh check
 * would.
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
  /** `verifiedCacheSize` bounds the remembered tokens; 0 verifies the signature on every request. */
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

        // Synchronous, so the RPC socket upgrade completes inside uWS's callback (see verifyHs256.ts).
        const verify = (token: string, now: number): Option.Option<AuthenticatedUser> => {
          const claims = verifyHs256(token, secret.key, ISSUER, now)
          if (claims === undefined) return Option.none()
          const user = Option.some<AuthenticatedUser>({ userId: claims.sub as UserId, email: claims.email })
          verified.set(token, { user, expiresAt: claims.exp * 1000 })
          return user
        }

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
              return Effect.succeed(verified.get(token, now) ?? verify(token, now))
            }),
          cachedTokens: Effect.sync(() => verified.size)
        })
      })
    )

  static readonly layer = TokenService.layerWith({ verifiedCacheSize: DEFAULT_VERIFIED_CACHE_SIZE })
}
