/** Poll until `ok()` holds (every 20 ms), or fail naming `what` — for tests across processes and nodes. */
import assert from 'node:assert/strict';

export async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 30_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
