// A TCP proxy the test controls, to cut a real connection (to Redis, to the server) without touching the service.
import { connect, createServer, type Socket } from "node:net"

export interface TcpProxy {
  readonly port: number
  /** Destroys every open connection and refuses new ones until `resume`. */
  readonly cut: () => void
  readonly resume: () => void
  readonly close: () => Promise<void>
}

export const startTcpProxy = async (target: { host: string; port: number }): Promise<TcpProxy> => {
  const sockets = new Set<Socket>()
  let refusing = false
  const server = createServer((client) => {
    if (refusing) return client.destroy()
    const upstream = connect(target.port, target.host)
    sockets.add(client)
    sockets.add(upstream)
    const drop = () => {
      client.destroy()
      upstream.destroy()
      sockets.delete(client)
      sockets.delete(upstream)
    }
    client.on("error", drop).on("close", drop)
    upstream.on("error", drop).on("close", drop)
    client.pipe(upstream)
    upstream.pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("proxy did not bind a TCP port")
  return {
    port: address.port,
    cut: () => {
      refusing = true
      for (const socket of sockets) socket.destroy()
      sockets.clear()
    },
    resume: () => {
      refusing = false
    },
    close: () =>
      new Promise<void>((resolve) => {
        refusing = true
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
