// Hashes and verifies passwords with argon2id at OWASP parameters (m = 19 MiB, t = 2, p = 1).
import * as argon2 from "argon2"
import { Context, Effect, Layer } from "effect"

const OWASP_PARAMETERS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export class PasswordHasher extends Context.Service<
  PasswordHasher,
  {
    readonly hash: (password: string) => Effect.Effect<string>
    readonly verify: (hash: string, password: string) => Effect.Effect<boolean>
    /** Spends the same time as a real verification, so a login for an unknown email cannot be told apart by timing. */
    readonly verifyDummy: (password: string) => Effect.Effect<boolean>
  }
>()("@costline/server/PasswordHasher") {
  static readonly layer = Layer.effect(
    PasswordHasher,
    Effect.gen(function* () {
      const hash = (password: string) =>
        Effect.promise(() => argon2.hash(password, OWASP_PARAMETERS)).pipe(Effect.withSpan("PasswordHasher.hash"))
      const verify = (stored: string, password: string) =>
        Effect.promise(() => argon2.verify(stored, password).catch(() => false)).pipe(
          Effect.withSpan("PasswordHasher.verify")
        )
      const dummyHash = yield* hash("costline-timing-equaliser")
      return PasswordHasher.of({
        hash,
        verify,
        verifyDummy: (password) => verify(dummyHash, password).pipe(Effect.as(false))
      })
    })
  )
}
