// Synchronous verification of our own HS256 access tokens (compact JWS) with node:crypto.
// Why not jose here: jose verifies asynchronously (WebCrypto), and a WebSocket upgrade that uWebSockets.js 20.0.8
// completes after its upgrade callback has returned sometimes closes the new socket at once (uWebSockets #1928).
// Verifying synchronously lets the RPC socket upgrade inside the callback. jose still signs every token, and the
// tests check this verifier against jose on valid, expired, forged and malformed tokens.
import { createHmac, timingSafeEqual } from "node:crypto"

export interface VerifiedClaims {
  readonly sub: string
  readonly email: string
  /** Epoch seconds. */
  readonly exp: number
}

const decodeJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** The claims of a token signed with `key` by `issuer`, valid at `nowMs`; undefined for anything else. */
export const verifyHs256 = (
  token: string,
  key: Uint8Array,
  issuer: string,
  nowMs: number
): VerifiedClaims | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string]
  const header = decodeJson(headerPart)
  // Only HS256: an attacker must not choose the algorithm ("none", or RS256 with our secret as a public key).
  if (!isRecord(header) || header.alg !== "HS256" || header.crit !== undefined) return undefined
  const expected = createHmac("sha256", key).update(`${headerPart}.${payloadPart}`).digest()
  const given = Buffer.from(signaturePart, "base64url")
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined
  const payload = decodeJson(payloadPart)
  if (!isRecord(payload)) return undefined
  const { sub, email, exp, nbf, iss } = payload
  if (iss !== issuer || typeof sub !== "string" || typeof email !== "string" || typeof exp !== "number")
    return undefined
  const now = Math.floor(nowMs / 1000)
  if (now >= exp) return undefined
  if (nbf !== undefined && (typeof nbf !== "number" || now < nbf)) return undefined
  return { sub, email, exp }
}
