/**
 * The one wait helper for tests: polls a cheap in-process condition where no event says
 * it happened (a ledger state, "InfluxDB has it"), bounded, and fails naming what it
 * waited for. Await an event instead wherever one exists.
 */
export async function eventually<T>(what: string, pred: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 20_000, pollMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** `eventually` for a yes/no condition (undefined, as from `?.`, counts as not yet). */
export async function until(cond: () => boolean | undefined | Promise<boolean | undefined>, what: string, timeoutMs = 20_000, pollMs = 25): Promise<void> {
  await eventually(what, async () => (await cond()) || undefined, timeoutMs, pollMs);
}
