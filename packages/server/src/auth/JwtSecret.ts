// The key that signs access tokens: JWT_SECRET in production; in the embedded profile generated once and kept in the data dir.
import { randomBytes } from "node:crypto"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Context, Effect, Layer, Redacted } from "effect"
import { AppConfig } from "../config/AppConfig.ts"

export class JwtSecret extends Context.Service<JwtSecret, { readonly key: Uint8Array }>()(
  "@costline/server/JwtSecret"
) {
  static readonly layer = Layer.effect(
    JwtSecret,
    Effect.gen(function* () {
      const config = yield* AppConfig
      if (config.jwtSecret !== undefined) {
        return JwtSecret.of({ key: new TextEncoder().encode(Redacted.value(config.jwtSecret)) })
      }
      const file = join(config.dataDir, "jwt-secret")
      const secret = yield* Effect.tryPromise(async () => {
        const existing = await readFile(file, "utf8").catch(() => undefined)
        if (existing !== undefined && existing.trim().length >= 32) return existing.trim()
        await mkdir(config.dataDir, { recursive: true })
        const generated = randomBytes(48).toString("base64url")
        // wx: two processes starting at once must not overwrite each other's secret.
        await writeFile(file, generated, { mode: 0o600, flag: "wx" }).catch(async () => undefined)
        return (await readFile(file, "utf8")).trim()
      }).pipe(Effect.orDie)
      return JwtSecret.of({ key: new TextEncoder().encode(secret) })
    })
  )
}
