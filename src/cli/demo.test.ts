import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestPlatform } from '../test-support/platform.js';
import { startDemo } from './demo.js';

/** Poll an async condition (bounded; no wall-clock assertions). */
async function eventually<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

test('the demo provisions a fleet that comes online, sends telemetry and answers commands', async (t) => {
  const p = await startTestPlatform({ telegramPort: 0 });
  t.after(() => p.close());
  const demo = await startDemo({
    addresses: p.addresses,
    token: p.adminToken,
    log: p.app.log,
    scooters: 6,
    boilers: 2,
    speed: 30,
    commandEveryMs: 300,
  });
  t.after(() => demo.stop());
  const get = async (path: string): Promise<unknown> => {
    const r = await p.app.http.inject({ method: 'GET', url: `/api/v1${path}`, headers: p.auth });
    assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
    return r.json();
  };

  const conn = await eventually('8 devices online', async () => {
    const c = (await get('/fleet/connectivity')) as { online: number; total: number };
    return c.online >= 8 ? c : undefined;
  });
  assert.equal(conn.total, 8);
  // Every device got its own credential: nobody connected anonymously.
  assert.equal(p.app.config.allowAnonymous, false);

  await eventually('battery telemetry stored', async () => {
    const l = (await get('/telemetry/latest?metric=battery')) as { items: unknown[] };
    return l.items.length > 0 ? l : undefined;
  });
  const stats = await eventually('an unlock or lock finished', async () => {
    const s = (await get('/commands/stats')) as { total: number; byStatus: Record<string, number> };
    return s.total > 0 && s.byStatus.succeeded! + s.byStatus.failed! > 0 ? s : undefined;
  });
  assert.ok(stats.byStatus.succeeded! > 0);
  const slos = (await get('/slos')) as { items?: { name: string }[] } | { name: string }[];
  const names = (Array.isArray(slos) ? slos : (slos.items ?? [])).map((s) => s.name);
  assert.ok(names.includes('unlock-success'), `SLOs: ${names.join(', ')}`);
});

test('the demo story: an incident takes scooters out, alerts, and the crew brings them back; a restart adds nothing', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const minute = 3_000;
  const start = (password = 'demo-password-1'): ReturnType<typeof startDemo> =>
    startDemo({
      addresses: p.addresses,
      token: p.adminToken,
      password,
      log: p.app.log,
      scooters: 8,
      boilers: 3,
      speed: 30,
      commandEveryMs: 250,
      storyMinuteMs: minute,
    });
  const demo = await start();
  let stopped = false;
  t.after(() => (stopped ? undefined : demo.stop()));
  const get = async (path: string): Promise<unknown> => {
    const r = await p.app.http.inject({ method: 'GET', url: `/api/v1${path}`, headers: p.auth });
    assert.equal(r.statusCode, 200, `${path}: ${r.body}`);
    return r.json();
  };
  type State = { state: string; reasons: string[]; history: { note?: string | null; actor?: unknown }[] };
  const stateOf = (id: string): Promise<State> =>
    get(`/devices/${encodeURIComponent(id)}/service-state`) as Promise<State>;

  // The incident: battery cells on two scooters, a jammed lock on a third.
  const out = await eventually(
    'three incident scooters out of service',
    async () => {
      const page = (await get('/fleet/out-of-service?limit=100')) as {
        items: { deviceId: string; reasons: string[] }[];
      };
      const reasons = page.items.flatMap((x) => x.reasons);
      const cells = reasons.filter((r) => r === 'hardware_error:E_BATTERY_CELL').length;
      const jam = reasons.filter((r) => r === 'hardware_error:E_LOCK_JAM').length;
      return cells >= 2 && jam >= 1 ? page.items : undefined;
    },
    120_000,
  );
  const told = demo.story.events.map((e) => e.text).join('\n');
  assert.match(told, /battery cells/);
  assert.match(told, /lock of scooter-\d+ jams/);
  // Operators hear about it: the Slack-style sink received the service-state changes.
  await eventually('a notification in the sink', async () =>
    demo.received.some((m) => JSON.stringify(m).includes('E_LOCK_JAM')) ? true : undefined,
  );
  // The rider who keeps trying the jammed scooter gets refused unlocks.
  await eventually('a failed unlock', async () => {
    const s = (await get('/commands/stats')) as { byStatus: Record<string, number> };
    return (s.byStatus.failed ?? 0) > 0 ? s : undefined;
  });

  // The crew returns every incident scooter to service with a note in its history.
  for (const x of out.filter((o) => o.reasons.some((r) => r.startsWith('hardware_error:')))) {
    const s = await eventually(
      `${x.deviceId} back in service`,
      async () => {
        const st = await stateOf(x.deviceId);
        return st.state === 'in_service' ? st : undefined;
      },
      120_000,
    );
    assert.match(String(s.history[0]?.note), /demo crew/);
  }
  assert.match(demo.story.events.map((e) => e.text).join('\n'), /the crew repaired/);

  // A restart on the same platform adds no second channel, route or schedule.
  const counts = async (): Promise<number[]> =>
    Promise.all(
      ['/notification-channels', '/notification-routes', '/schedules'].map(
        async (path) => ((await get(path)) as unknown[]).length,
      ),
    );
  const before = await counts();
  assert.deepEqual(before, [1, 1, 1]);
  await demo.stop();
  stopped = true;
  // The restart sets the kept password again (here: a new one) on the same console user.
  const again = await start('demo-password-2');
  t.after(() => again.stop());
  const login = (password: string) =>
    p.app.http.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: again.user, password },
    });
  assert.ok((await login('demo-password-2')).statusCode < 300, 'the demo user signs in to the console');
  assert.equal((await login('demo-password-1')).statusCode, 401);
  assert.deepEqual(await counts(), before);
  const channels = (await get('/notification-channels')) as { url: string }[];
  // (the URL's path is redacted in responses, like any webhook secret)
  assert.ok(
    channels[0]?.url.startsWith(`${new URL(again.sinkUrl).origin}/`),
    'the channel points at the new sink',
  );
});

test('the demo token is made once per data directory and kept across restarts', async () => {
  const { mkdtempSync, statSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { demoTokenIn } = await import('../main.js');
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-demo-'));
  try {
    const first = demoTokenIn(dir);
    assert.match(first, /^demo-[0-9a-f]{32}$/);
    assert.equal(demoTokenIn(dir), first);
    assert.equal(statSync(join(dir, 'demo-token')).mode & 0o777, 0o600);
    assert.notEqual(demoTokenIn(mkdtempSync(join(tmpdir(), 'tsunagu-demo-'))), first);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
