// Polls `probe` every 100 ms until it answers a value (not undefined), or fails naming `what` after `timeoutMs`: for
// tests that wait on other processes (servers, workers, jobs) over real connections.
export const waitUntil = async <A>(
  what: string,
  probe: () => Promise<A | undefined>,
  timeoutMs = 60_000
): Promise<A> => {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
