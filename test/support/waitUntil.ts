// Polling for tests that wait on other processes (servers, workers, jobs) over real connections.

/**
 * Reads every `intervalMs` (default 100) until `done` holds for what was read, and answers that; fails naming
 * `what` and the last value read after `timeoutMs` (default 60 s).
 */
export const readUntil = async <A>(
  what: string,
  read: () => Promise<A>,
  done: (value: A) => boolean,
  options: { readonly timeoutMs?: number; readonly intervalMs?: number } = {}
): Promise<A> => {
  const timeoutMs = options.timeoutMs ?? 60_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await read()
    if (done(value)) return value
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms; last ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100))
  }
}

/** Polls `probe` until it answers a value (not undefined). */
export const waitUntil = async <A>(what: string, probe: () => Promise<A | undefined>, timeoutMs = 60_000): Promise<A> =>
  (await readUntil(what, probe, (value) => value !== undefined, { timeoutMs })) as A
