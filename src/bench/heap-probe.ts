/**
 * The V8 heap of another Node process after a full GC, read through its inspector (the process runs
 * with `--inspect=127.0.0.1:<port>`): `HeapProfiler.collectGarbage` then `Runtime.getHeapUsage`.
 * Works the same for this checkout and a `--baseline` one, whatever code the baseline holds, so
 * both are measured by one method. Benchmarks only: the inspector listens on loopback while the
 * benchmark runs and is never enabled by `tsunagu start` itself.
 */
import WebSocket from 'ws';

interface CdpAnswer {
  id?: number;
  result?: unknown;
  error?: { message: string };
}

/** The inspector flag for a broker process: loopback only. */
export function inspectFlag(port: number): string {
  return `--inspect=127.0.0.1:${port}`;
}

async function debuggerUrl(port: number): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${port}/json/list`);
  const targets = (await res.json()) as { webSocketDebuggerUrl?: string }[];
  const url = targets[0]?.webSocketDebuggerUrl;
  if (!url) throw new Error(`no inspector target on port ${port}`);
  return url;
}

/** Full GC in the process behind `port`, then its V8 heap used (bytes). */
export async function heapUsedAfterGc(port: number, timeoutMs = 120_000): Promise<number> {
  const ws = new WebSocket(await debuggerUrl(port));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 0;
  const fail = (err: Error): void => {
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  ws.on('message', (data: Buffer) => {
    const m = JSON.parse(data.toString('utf8')) as CdpAnswer;
    const p = m.id === undefined ? undefined : pending.get(m.id);
    if (!p || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error) p.reject(new Error(`inspector: ${m.error.message}`));
    else p.resolve(m.result);
  });
  ws.on('error', fail);
  ws.on('close', () => fail(new Error('inspector connection closed')));
  const call = (method: string): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = ++nextId;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method }));
    });
  const timer = setTimeout(() => {
    fail(new Error(`inspector on port ${port}: no answer within ${timeoutMs} ms`));
    ws.terminate();
  }, timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    // V8's LowMemoryNotification: full GCs until nothing more is freed.
    await call('HeapProfiler.collectGarbage');
    const usage = (await call('Runtime.getHeapUsage')) as { usedSize?: number };
    if (typeof usage.usedSize !== 'number') throw new Error('inspector: no usedSize in Runtime.getHeapUsage');
    return usage.usedSize;
  } finally {
    clearTimeout(timer);
    ws.close();
  }
}
