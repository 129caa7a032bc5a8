/**
 * Interest re-announcement as a digest (docs/cluster.md "Fan-out"): two fan-outs on the real NATS,
 * one holding 5,000 filters. Measured: bytes on the interest subject per resync interval with the
 * whole set re-announced (before) and with a digest (after), printed. Shown: the digest costs a
 * small fraction of the full set, and a copy that diverged (a key lost on the receiver) is
 * repaired at the next digest.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type NatsConnection } from 'nats';
import { silentLogger } from '../core/index.js';
import type { FanOut, FanOutHost, Subscription } from '../mqtt/index.js';
import { testClusterSubject } from '../test-support/cluster-node.js';
import { NATS_URL, requireNats } from '../test-support/services.js';
import { until } from '../test-support/until.js';
import { NatsFanOut } from './nats-fan-out.js';

const FILTERS = 5000;
const RESYNC_MS = 300;

const local = (): FanOut => ({
  subscriptionCount: 0,
  route: () => undefined,
  addSubscription: () => undefined,
  removeSubscription: () => undefined,
  addHandler: () => () => undefined,
});
const host: FanOutHost = {
  keepRetained: () => undefined,
  flushed: () => Promise.resolve(),
  releaseSession: () => Promise.resolve(false),
  setHolder: () => undefined,
  adoptOrphans: () => Promise.resolve({ dead: [], from: new Map() }),
  surrender: () => 0,
  holdersOf: () => Promise.resolve([]),
  handOverResends: () => [],
  acceptResends: () => undefined,
};

async function measure(digest: boolean, t: { after(fn: () => Promise<void>): void }) {
  const base = `${testClusterSubject()}.mqtt`;
  const ncs: NatsConnection[] = [];
  for (let i = 0; i < 3; i++) ncs.push(await connect({ servers: NATS_URL }));
  const fans: NatsFanOut[] = [];
  t.after(async () => {
    for (const f of fans) await f.close();
    for (const nc of ncs) await nc.close();
  });
  // Expiry well past the window: on a loaded host a late tick (> 3 × RESYNC_MS) would drop A, and
  // B's request for A's full set would be counted as digest traffic.
  const o = { base, log: silentLogger, resyncMs: RESYNC_MS, expireMs: 60_000, digest };
  const a = new NatsFanOut(local(), host, { ...o, nc: ncs[0]!, nodeId: 'ia' });
  const b = new NatsFanOut(local(), host, { ...o, nc: ncs[1]!, nodeId: 'ib' });
  fans.push(a, b);
  a.start();
  b.start();
  for (let i = 0; i < FILTERS; i++) a.addSubscription({ raw: `site/${i}/+/telemetry` } as Subscription);
  await until('B knows A’s filters', () => b.stats.remoteFilters === FILTERS);
  // Settled: a digest tick that raced the last deltas may ask for the full set once; let it pass.
  await new Promise((r) => setTimeout(r, 3 * RESYNC_MS));
  // Bytes on the interest subject over 10 resync intervals, once settled.
  let bytes = 0;
  const sub = ncs[2]!.subscribe(`${base}.i`, { callback: (_e, m) => (bytes += m.data.length) });
  await new Promise((r) => setTimeout(r, 10 * RESYNC_MS));
  sub.unsubscribe();
  return { a, b, perInterval: bytes / 10 };
}

test('nats: interest re-announced as a digest; a diverged copy is repaired', async (t) => {
  if (!(await requireNats(t))) return;
  const full = await measure(false, t);
  const dig = await measure(true, t);
  t.diagnostic(
    `${FILTERS} filters on one node, 2 nodes: ${Math.round(full.perInterval)} bytes per resync interval with the full set, ` +
      `${Math.round(dig.perInterval)} with the digest`,
  );
  assert.ok(dig.perInterval * 20 < full.perInterval, 'the digest costs under 5 % of the full set');
  // B loses one of A's filters (a missed delta): the next digest differs, B asks, A sends its set.
  const interest = (dig.b as unknown as { interest: { remove(m: string, k: string): void } }).interest;
  interest.remove(dig.a.member, 'site/7/+/telemetry');
  await until('B has every filter again', () => {
    const keys = (
      dig.b as unknown as { interest: { keysOf(m: string): ReadonlySet<string> } }
    ).interest.keysOf(dig.a.member);
    return keys.size === FILTERS && keys.has('site/7/+/telemetry');
  });
});
