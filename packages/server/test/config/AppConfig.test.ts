// The cluster runner's settings (CLUSTER_HOST, CLUSTER_PORT, CLUSTER_ADVERTISE_HOST): defaults that follow HOST, and a
// one-line error naming the variable for each mistake an operator can make.
import { DEFAULT_CLUSTER_PORT, defaultAdvertiseHost, parseConfig } from "@costline/server/config/AppConfig"
import { Effect } from "effect"
import { describe, expect, it } from "vitest"

const parse = (env: Record<string, string>) => Effect.runPromise(parseConfig(env))
const refused = (env: Record<string, string>) => Effect.runPromise(Effect.flip(parseConfig(env)))

describe("AppConfig: the cluster runner's address", () => {
  it("listens where HTTP does, on the cluster's default port, and advertises the machine's address for a wildcard", async () => {
    const config = await parse({})
    expect(config).toMatchObject({
      clusterHost: "0.0.0.0",
      clusterPort: DEFAULT_CLUSTER_PORT,
      clusterAdvertiseHost: defaultAdvertiseHost()
    })
    expect(await parse({ HOST: "127.0.0.1" })).toMatchObject({
      clusterHost: "127.0.0.1",
      clusterAdvertiseHost: "127.0.0.1"
    })
  })

  it("takes CLUSTER_HOST, CLUSTER_PORT (0: the OS picks) and CLUSTER_ADVERTISE_HOST", async () => {
    expect(
      await parse({ CLUSTER_HOST: "10.0.0.5", CLUSTER_PORT: "0", CLUSTER_ADVERTISE_HOST: "server-1.internal" })
    ).toMatchObject({ clusterHost: "10.0.0.5", clusterPort: 0, clusterAdvertiseHost: "server-1.internal" })
  })

  it("refuses a bad port, the HTTP port, a wildcard or URL to advertise, with the variable named", async () => {
    for (const [env, variable, text] of [
      [
        { CLUSTER_PORT: "70000" },
        "CLUSTER_PORT",
        'CLUSTER_PORT="70000" is invalid: expected a whole number from 0 to 65535'
      ],
      [{ PORT: "9000", CLUSTER_PORT: "9000" }, "CLUSTER_PORT", "CLUSTER_PORT=9000 is also PORT"],
      [{ CLUSTER_HOST: "my host" }, "CLUSTER_HOST", "CLUSTER_HOST"],
      [{ CLUSTER_ADVERTISE_HOST: "0.0.0.0" }, "CLUSTER_ADVERTISE_HOST", "not a wildcard"],
      [{ CLUSTER_ADVERTISE_HOST: "http://server-1:34431" }, "CLUSTER_ADVERTISE_HOST", "no scheme, no port"]
    ] as const) {
      const error = await refused(env)
      expect(error).toMatchObject({ _tag: "ConfigInvalid", variable })
      expect(error.message).toContain(text)
      expect(error.message).not.toContain("\n")
    }
  })

  it("lets both HTTP and the runner pick free ports (PORT=0, CLUSTER_PORT=0)", async () => {
    expect(await parse({ PORT: "0", CLUSTER_PORT: "0" })).toMatchObject({ port: 0, clusterPort: 0 })
  })
})
