// A TCP proxy the test controls, between the SDK and the real server: it forwards bytes unchanged, and on request
// destroys its sockets (a real dropped connection), refuses new ones (a server that is down), or reads what the client
// sent. Runs on Node and on Deno (node:net).
import { Buffer } from "node:buffer"
import { createConnection, createServer, type Socket } from "node:net"
import { makeClientFrameReader } from "./WebSocketFrames.ts"

export interface TcpProxy {
  /** The proxy's base URL, to give the SDK instead of the server's. */
  readonly url: string
  /** Destroys every open connection at both ends; new connections still go through. */
  readonly dropConnections: () => void
  /** While down, open connections are destroyed and new ones are accepted and destroyed at once. */
  readonly setDown: (down: boolean) => void
  /** The JSON messages clients sent over WebSocket connections through the proxy, in order. */
  readonly rpcMessages: () => ReadonlyArray<unknown>
  /** The request target (path and query) of every WebSocket upgrade that went through the proxy. */
  readonly upgrades: () => ReadonlyArray<string>
  /**
   * From now on replaces `from` with `to` in bytes going to the server (same length, so Content-Length stays right):
   * the way to make the real server see a request the SDK itself would never send.
   */
  readonly rewriteRequests: (from: string, to: string) => void
  /** Stops listening and destroys every connection; the port is closed afterwards. */
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  readonly upstream: Socket
}

/** Starts a proxy on 127.0.0.1 and a free port, forwarding to the host and port of `target` (an http URL). */
export const startTcpProxy = (target: string): Promise<TcpProxy> => {
  const { hostname, port } = new URL(target)
  const pairs = new Set<Pair>()
  const messages: Array<unknown> = []
  const upgrades: Array<string> = []
  const rewrites: Array<readonly [string, string]> = []
  let down = false

  const destroy = (pair: Pair) => {
    pair.client.destroy()
    pair.upstream.destroy()
    pairs.delete(pair)
  }

  // Reads the HTTP requests of each connection (undici reuses a keep-alive connection for a later WebSocket upgrade):
  // an upgrade is recorded and the frames after it are decoded; other requests and their bodies are skipped.
  const sniffer = () => {
    let pending = Buffer.alloc(0)
    let skip = 0
    let frames: ((chunk: Buffer) => void) | undefined
    let done = false
    return (chunk: Buffer) => {
      if (done) return
      if (frames !== undefined) return frames(chunk)
      pending = Buffer.concat([pending, chunk])
      while (frames === undefined && !done) {
        const skipped = Math.min(skip, pending.length)
        pending = pending.subarray(skipped)
        skip -= skipped
        const end = pending.indexOf("\r\n\r\n")
        if (skip > 0 || end < 0) return
        const request = pending.subarray(0, end).toString("latin1")
        pending = pending.subarray(end + 4)
        if (/^upgrade:\s*websocket/im.test(request)) {
          upgrades.push(request.split(" ")[1] ?? "")
          frames = makeClientFrameReader((text) => {
            try {
              messages.push(JSON.parse(text))
            } catch {
              messages.push(text)
            }
          })
          frames(pending)
        } else if (/^transfer-encoding:/im.test(request)) {
          // A chunked body has no length up front; nothing after it on this connection is read.
          done = true
        } else {
          skip = Number(/^content-length:\s*(\d+)/im.exec(request)?.[1] ?? 0)
        }
      }
    }
  }

  const rewrite = (chunk: Buffer): Buffer => {
    if (rewrites.length === 0) return chunk
    let text = chunk.toString("latin1")
    for (const [from, to] of rewrites) text = text.replaceAll(from, to)
    return Buffer.from(text, "latin1")
  }

  const server = createServer((client) => {
    if (down) {
      client.destroy()
      return
    }
    const upstream = createConnection({ host: hostname, port: Number(port) })
    const pair: Pair = { client, upstream }
    pairs.add(pair)
    const sniff = sniffer()
    client.on("data", (chunk: Buffer) => {
      sniff(chunk)
      upstream.write(rewrite(chunk))
    })
    upstream.on("data", (chunk: Buffer) => {
      client.write(chunk)
    })
    // Either side ending or failing ends the pair, as a dropped connection would.
    for (const socket of [client, upstream]) {
      socket.on("error", () => destroy(pair))
      socket.on("close", () => destroy(pair))
    }
  })

  const dropConnections = () => {
    for (const pair of Array.from(pairs)) destroy(pair)
  }

  return new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      if (address === null || typeof address === "string") return reject(new Error("the proxy has no TCP address"))
      resolve({
        url: `http://127.0.0.1:${address.port}`,
        dropConnections,
        setDown: (next) => {
          down = next
          if (next) dropConnections()
        },
        rpcMessages: () => messages,
        upgrades: () => upgrades,
        rewriteRequests: (from, to) => {
          if (from.length !== to.length) throw new Error("a rewrite must keep the length of the bytes it replaces")
          rewrites.push([from, to])
        },
        close: () =>
          new Promise<void>((done) => {
            dropConnections()
            server.close(() => done())
          })
      })
    })
  })
}
