// Fresh accounts on the real server for tests, made with a plain fetch so the setup does not lean on the SDK or the
// API under test. Each test signs up its own account, so tests sharing one server do not see each other's projects.
import type { AuthResponse } from "@costline/core/contracts/User"

export interface Account extends AuthResponse {
  readonly email: string
  readonly password: string
}

/** Registers a new account with a unique email and returns its tokens and credentials. */
export const signUp = async (baseUrl: string, fullName = "Jana Nováková"): Promise<Account> => {
  const email = `user-${crypto.randomUUID()}@example.com`
  const password = `pw-${crypto.randomUUID()}`
  const response = await fetch(`${baseUrl}/api/v1/auth/register`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ email, password, fullName })
  })
  if (response.status !== 201) throw new Error(`register answered ${response.status}: ${await response.text()}`)
  return { ...((await response.json()) as AuthResponse), email, password }
}
