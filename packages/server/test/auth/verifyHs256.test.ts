// The synchronous verifier agrees with jose on tokens jose signs, and refuses everything an attacker could send.
import { verifyHs256 } from "@costline/server/auth/verifyHs256"
import { jwtVerify, SignJWT, UnsecuredJWT } from "jose"
import { describe, expect, it } from "vitest"

const key = new TextEncoder().encode("a-test-secret-that-is-long-enough-0123456789")
const otherKey = new TextEncoder().encode("another-secret-that-is-long-enough-987654321")
const now = Date.UTC(2026, 10, 26, 12, 0, 0)
const seconds = Math.floor(now / 1000)

const sign = (claims: Record<string, unknown>, options: { exp?: number; iss?: string; nbf?: number } = {}) => {
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: "HS256" })
    .setSubject("7f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11")
    .setIssuer(options.iss ?? "costline")
    .setIssuedAt(seconds)
    .setExpirationTime(options.exp ?? seconds + 900)
  if (options.nbf !== undefined) jwt = jwt.setNotBefore(options.nbf)
  return jwt.sign(key)
}

const joseAccepts = (token: string) =>
  jwtVerify(token, key, { algorithms: ["HS256"], issuer: "costline", currentDate: new Date(now) }).then(
    () => true,
    () => false
  )

describe("verifyHs256", () => {
  it("accepts what jose signs and returns the claims", async () => {
    const token = await sign({ email: "jana@example.com" })
    expect(await joseAccepts(token)).toBe(true)
    expect(verifyHs256(token, key, "costline", now)).toEqual({
      sub: "7f1c4b9e-8a51-4d8e-9b7a-0c6f3f0e5a11",
      email: "jana@example.com",
      exp: seconds + 900
    })
  })

  it("agrees with jose on expired, not-yet-valid, foreign-issuer and wrongly signed tokens", async () => {
    const cases = [
      await sign({ email: "a@b.cz" }, { exp: seconds }),
      await sign({ email: "a@b.cz" }, { exp: seconds - 1 }),
      await sign({ email: "a@b.cz" }, { nbf: seconds + 60 }),
      await sign({ email: "a@b.cz" }, { iss: "someone-else" }),
      await new SignJWT({ email: "a@b.cz" })
        .setProtectedHeader({ alg: "HS256" })
        .setSubject("x")
        .setIssuer("costline")
        .setExpirationTime(seconds + 60)
        .sign(otherKey)
    ]
    for (const token of cases) {
      expect(await joseAccepts(token)).toBe(false)
      expect(verifyHs256(token, key, "costline", now)).toBeUndefined()
    }
  })

  it("refuses alg none, a tampered payload, a tampered signature and garbage", async () => {
    const unsecured = new UnsecuredJWT({ email: "a@b.cz", sub: "x" })
      .setIssuer("costline")
      .setExpirationTime(seconds + 60)
    const token = await sign({ email: "jana@example.com" })
    const [header, payload, signature] = token.split(".") as [string, string, string]
    const forgedPayload = Buffer.from(
      JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), email: "boss@example.com" })
    ).toString("base64url")
    const flipped = `${signature.slice(0, -2)}${signature.endsWith("AA") ? "AB" : "AA"}`
    for (const candidate of [
      unsecured.encode(),
      `${header}.${forgedPayload}.${signature}`,
      `${header}.${payload}.${flipped}`,
      `${header}.${payload}`,
      "not-a-token",
      "",
      "a.b.c"
    ]) {
      expect(verifyHs256(candidate, key, "costline", now)).toBeUndefined()
    }
  })
})
