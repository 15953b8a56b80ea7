// Where the RPC socket lives for a given base URL: ws(s)://host:port/api/v1/rpc?token=…, because a browser WebSocket
// cannot send an Authorization header.
import { InvalidRequest } from "@costline/core/contracts/ApiErrors"
import { Effect } from "effect"

/** Checks `baseUrl` once and returns a function from an access token to the socket URL. */
export const rpcUrl = (baseUrl: string): Effect.Effect<(token: string) => string, InvalidRequest> =>
  Effect.try({
    try: () => {
      const base = new URL(`${baseUrl.replace(/\/+$/, "")}/api/v1/rpc`)
      if (base.protocol !== "http:" && base.protocol !== "https:") throw new Error(base.protocol)
      base.protocol = base.protocol === "https:" ? "wss:" : "ws:"
      return (token: string) => {
        const url = new URL(base)
        url.searchParams.set("token", token)
        return url.toString()
      }
    },
    catch: () =>
      new InvalidRequest({
        message: `baseUrl must be an http(s) URL such as "https://costline.example.com", got "${baseUrl}"`,
        field: "baseUrl"
      })
  })
