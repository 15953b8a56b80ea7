// The real Costline server for the Deno tests, as a separate Node process (Deno cannot load uWebSockets.js): embedded
// profile in a temporary data directory, on a random port read from its "url" log line, stopped with SIGTERM.

const repoRoot = new URL("../../", import.meta.url)
const node = new URL("node_modules/.bin/node", repoRoot).pathname

export interface ServerProcess {
  readonly url: string
  /** Everything the server logged so far, for failure messages. */
  readonly output: () => string
  /** SIGTERM, then waits for the exit and removes the data directory; resolves with the exit code. */
  readonly stop: () => Promise<number>
}

/** Reads a byte stream to its end, appending the text to `sink`. */
const drain = async (stream: ReadableStream<Uint8Array>, sink: (text: string) => void): Promise<void> => {
  const decoder = new TextDecoder()
  for await (const chunk of stream) sink(decoder.decode(chunk, { stream: true }))
}

export const startServerProcess = async (timeoutMs = 60_000): Promise<ServerProcess> => {
  const dataDir = await Deno.makeTempDir({ prefix: "costline-deno-" })
  const child = new Deno.Command(node, {
    args: ["--disable-warning=ExperimentalWarning", "packages/server/src/main.ts"],
    cwd: repoRoot.pathname,
    env: { HOST: "127.0.0.1", PORT: "0", COSTLINE_DATA_DIR: dataDir, LOG_LEVEL: "info" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped"
  }).spawn()
  let output = ""
  // Both pipes are read to the end for the whole run: a full pipe would block the server.
  const drained = Promise.all([
    drain(child.stdout, (text) => {
      output += text
    }),
    drain(child.stderr, (text) => {
      output += text
    })
  ])
  let exited = false
  const status = child.status.then((status) => {
    exited = true
    return status
  })

  const stop = async () => {
    if (!exited) child.kill("SIGTERM")
    const { code } = await status
    await drained
    await Deno.remove(dataDir, { recursive: true })
    return code
  }

  const deadline = Date.now() + timeoutMs
  while (true) {
    const url = output.match(/"url":"(http:\/\/[^"]+)"/)?.[1]
    if (url !== undefined) return { url, output: () => output, stop }
    if (exited || Date.now() > deadline) {
      await stop()
      throw new Error(`the server did not start${exited ? " (it exited)" : ` within ${timeoutMs} ms`}:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}
