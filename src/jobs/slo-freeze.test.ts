/**
 * End to end on the real platform with a manual clock: an SLO selecting the job's target model runs
 * out of error budget and freezes the rollout (paused, reason, timeline); the budget recovers as the
 * bad minute leaves the SLO window and the rollout resumes by itself. notify routes
 * `job.rollout-stopped` and `job.finished` to a webhook (a real local HTTP server) through its outbox.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../core/index.js';
import { api, registerDevice, type Body } from '../test-support/platform-api.js';
import { startTestPlatform, type TestPlatform } from '../test-support/platform.js';
import { freezeReason, freezingSlos, watchedSlos, type SloFreeze, type SloSource } from './slo-freeze.js';

const MIN = 60_000;

/** Advance the manual clock a second at a time (letting timers and I/O run) until `done`. */
async function until(
  clock: ManualClock,
  done: () => Promise<boolean> | boolean,
  what: string,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 10));
    clock.advance(1000);
  }
  assert.fail(`never: ${what}`);
}

async function sink(t: { after(fn: () => unknown): void }): Promise<{ url: string; got: Body[] }> {
  const got: Body[] = [];
  const server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      got.push(JSON.parse(data) as Body);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got };
}

const ok = async (p: TestPlatform, method: 'POST' | 'GET', url: string, body?: unknown): Promise<Body> => {
  const r = await api(p, method, url, body);
  assert.ok(r.status < 300, `${method} ${url}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};

test('an exhausted error budget freezes the rollout; recovery resumes it; notify delivers both job events', async (t) => {
  const hook = await sink(t);
  const clock = new ManualClock(Date.UTC(2026, 0, 10));
  const p = await startTestPlatform({}, { clock });
  t.after(() => p.close());
  const ch = await ok(p, 'POST', '/notification-channels', {
    name: 'ops',
    type: 'webhook',
    url: hook.url,
    groupWindowMs: 0,
  });
  await ok(p, 'POST', '/notification-routes', {
    name: 'jobs',
    channelIds: [ch.id],
    kinds: ['job.rollout-stopped', 'job.finished'],
    minSeverity: 'info',
  });
  await ok(p, 'POST', '/device-models', { name: 'boiler' });
  for (let i = 0; i < 4; i++) await registerDevice(p, `b${i}`, 'boiler');
  await ok(p, 'POST', '/slos', {
    name: 'boiler-setpoint',
    sli: { type: 'command-success', command: 'setpoint', selector: { model: 'boiler' } },
    target: 0.9,
    window: { rolling: '1h' },
  });
  await ok(p, 'POST', '/slos', { name: 'fleet-hb', sli: { type: 'heartbeat' }, target: 0.99 });

  const bad = await api(p, 'POST', '/jobs', {
    document: { op: 'fw' },
    targets: { models: ['boiler'] },
    sloFreeze: { slos: ['nope'] },
  });
  assert.equal(bad.status, 422);
  assert.match(JSON.stringify(bad.body), /sloFreeze\.slos\[0\]/);

  await ok(p, 'POST', '/jobs', {
    jobId: 'fw',
    document: { op: 'fw' },
    targets: { models: ['boiler'] },
    jobExecutionsRolloutConfig: { maximumPerMinute: 1 },
    sloFreeze: {},
  });
  const job = () => ok(p, 'GET', '/jobs/fw');
  await until(clock, async () => (await job()).progress.QUEUED === 1, 'first release');

  for (let i = 0; i < 10; i++)
    p.app.bus.emit('command.finished', {
      commandId: `c${i}`,
      deviceId: 'b3',
      model: 'boiler',
      name: 'setpoint',
      status: 'failed',
      requestedAt: clock.now(),
      finishedAt: clock.now(),
    });
  await until(clock, async () => (await job()).status === 'PAUSED', 'frozen');
  const frozen = await job();
  assert.match(frozen.reason as string, /error-budget freeze: SLO boiler-setpoint budget exhausted/);
  assert.ok(frozen.progress.PENDING_ROLLOUT >= 1, 'releasing stopped');
  const timeline = (await api(p, 'GET', '/jobs/fw/timeline')).body as unknown as Body[];
  const events = timeline.map((e) => e.event as string);
  assert.ok(events.includes('slo-freeze'), JSON.stringify(events));
  await until(
    clock,
    () => hook.got.some((b) => JSON.stringify(b).includes('rollout paused')),
    'webhook: paused',
  );
  assert.equal(
    (await job()).progress.PENDING_ROLLOUT,
    frozen.progress.PENDING_ROLLOUT,
    'nothing released while frozen',
  );

  // The bad minute leaves the 1-hour window: the budget is whole again and the rollout resumes.
  clock.advance(60 * MIN);
  await until(clock, async () => (await job()).status === 'IN_PROGRESS', 'resumed');
  await until(clock, async () => (await job()).progress.PENDING_ROLLOUT === 0, 'released the rest');

  await ok(p, 'POST', '/jobs/fw/cancel', { reason: 'enough' });
  await until(
    clock,
    () => hook.got.some((b) => JSON.stringify(b).includes('Job fw canceled (enough)')),
    'webhook: finished',
  );
});

test('which SLOs freeze a job: named or selecting a target model; budget, alert or either', () => {
  const slos: Record<
    string,
    { model?: string; models?: string[]; total: number; left: number; firing: string[] }
  > = {
    boiler: { model: 'boiler', total: 10, left: -0.5, firing: [] },
    mixed: { models: ['ac', 'boiler'], total: 10, left: 0.4, firing: ['page-1h'] },
    fleet: { total: 0, left: 1, firing: [] },
    quiet: { model: 'boiler', total: 0, left: 1, firing: [] },
  };
  const src: SloSource = {
    has: (n) => n in slos,
    list: () => Object.entries(slos).map(([name, s]) => ({ name, sli: { selector: s } })),
    status: (n) => ({ total: slos[n]!.total, budgetRemaining: slos[n]!.left }),
    firing: (n) => slos[n]!.firing,
  };
  const job = { targets: { deviceIds: [], models: ['boiler'], tags: [] } };
  const f = (o: Partial<SloFreeze>): SloFreeze => ({
    slos: [],
    targetModels: true,
    trigger: 'BUDGET_EXHAUSTED',
    onRecovery: 'RESUME',
    ...o,
  });
  const names = (o: Partial<SloFreeze>) => freezingSlos(f(o), job, src).map((r) => r.slo);
  assert.deepEqual(watchedSlos(f({ slos: ['fleet'] }), job, src), ['boiler', 'fleet', 'mixed', 'quiet']);
  assert.deepEqual(watchedSlos(f({ slos: ['fleet'], targetModels: false }), job, src), ['fleet']);
  assert.deepEqual(names({}), ['boiler']);
  assert.deepEqual(names({ trigger: 'BURN_ALERT' }), ['mixed']);
  assert.deepEqual(names({ trigger: 'EITHER' }), ['boiler', 'mixed']);
  assert.deepEqual(
    names({ targetModels: false, slos: ['quiet', 'fleet'] }),
    [],
    'no traffic is no exhaustion',
  );
  assert.match(
    freezeReason(freezingSlos(f({ trigger: 'EITHER' }), job, src)),
    /boiler budget exhausted \(-50\.0% left\); SLO mixed burn-rate alert page-1h firing/,
  );
});
