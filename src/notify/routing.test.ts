import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from './backoff.js';
import { toItem } from './event-items.js';
import { channelsFor, routeMatches } from './routing.js';
import { sign, verifySignature } from './signing.js';
import type { NotifyItem, Route } from './types.js';

const base: Route = {
  id: 'r',
  name: 'r',
  channelIds: ['c1'],
  kinds: [],
  minSeverity: 'info',
  models: [],
  tags: [],
  enabled: true,
  createdAt: 0,
  updatedAt: 0,
};
const ev = (severity: NotifyItem['severity'], model?: string): NotifyItem => ({
  eventId: 'e',
  kind: 'device.event',
  severity,
  reason: 'E1',
  title: 't',
  at: 0,
  deviceId: 'd',
  ...(model ? { model } : {}),
  data: {},
});

test('routes filter by kind, minimum severity, model and tag', () => {
  assert.equal(routeMatches({ ...base, minSeverity: 'error' }, ev('warning'), []), false);
  assert.equal(routeMatches({ ...base, minSeverity: 'error' }, ev('error'), []), true);
  assert.equal(routeMatches({ ...base, minSeverity: 'error' }, ev('critical'), []), true);
  assert.equal(routeMatches({ ...base, kinds: ['slo.alert'] }, ev('critical'), []), false);
  assert.equal(routeMatches({ ...base, kinds: ['device.event'] }, ev('info'), []), true);
  assert.equal(routeMatches({ ...base, models: ['scooter'] }, ev('info'), []), false);
  assert.equal(routeMatches({ ...base, models: ['scooter'] }, ev('info', 'scooter'), []), true);
  assert.equal(routeMatches({ ...base, tags: ['berlin'] }, ev('info'), ['paris']), false);
  assert.equal(routeMatches({ ...base, tags: ['berlin', 'rome'] }, ev('info'), ['paris', 'rome']), true);
  assert.equal(routeMatches({ ...base, enabled: false }, ev('critical'), []), false);
  assert.deepEqual(
    channelsFor(
      [base, { ...base, channelIds: ['c1', 'c2'] }, { ...base, channelIds: ['c3'], minSeverity: 'critical' }],
      ev('error'),
      [],
    ),
    ['c1', 'c2'],
  );
});

test('event items: severities and deterministic ids', () => {
  const e = {
    deviceId: 'd',
    from: 'in_service' as const,
    to: 'out_of_service' as const,
    reasons: ['hardware_error:M'],
    at: 5,
    actor: { kind: 'system' as const, id: 'h' },
  };
  const a = toItem('service-state.changed', e)!;
  assert.equal(a.severity, 'critical');
  assert.equal(a.eventId, toItem('service-state.changed', { ...e })!.eventId);
  assert.notEqual(a.eventId, toItem('service-state.changed', { ...e, at: 6 })!.eventId);
  assert.equal(
    toItem('service-state.changed', { ...e, from: 'out_of_service' }),
    undefined,
    'reason-only changes are not paged',
  );
  assert.equal(
    toItem('service-state.changed', { ...e, from: 'out_of_service', to: 'in_service', reasons: [] })!.reason,
    'back_in_service',
  );
  assert.equal(
    toItem('slo.alert', {
      sloId: 's',
      sloName: 'S',
      tier: 'fast',
      severity: 'page',
      state: 'firing',
      burnRate: 14.4,
      at: 1,
    })!.severity,
    'critical',
  );
  assert.equal(
    toItem('slo.alert', {
      sloId: 's',
      sloName: 'S',
      tier: 'fast',
      severity: 'page',
      state: 'resolved',
      burnRate: 1,
      at: 2,
    })!.severity,
    'info',
  );
});

test('backoff grows exponentially, stays within [half, full] and is capped', () => {
  const p = { baseMs: 1000, maxMs: 60_000, maxAttempts: 10 };
  for (let n = 1; n <= 12; n++) {
    const full = Math.min(60_000, 1000 * 2 ** (n - 1));
    assert.equal(
      backoffDelay(n, p, () => 0),
      full / 2,
    );
    assert.equal(
      backoffDelay(n, p, () => 1),
      full,
    );
  }
});

test('signatures: HMAC-SHA256 of the raw body, constant-time check', () => {
  const body = '{"id":"x"}';
  const s = sign('k'.repeat(16), body);
  assert.match(s, /^sha256=[0-9a-f]{64}$/);
  assert.equal(verifySignature('k'.repeat(16), body, s), true);
  assert.equal(verifySignature('k'.repeat(16), body + ' ', s), false);
  assert.equal(verifySignature('k'.repeat(16), body, undefined), false);
  assert.equal(verifySignature('k'.repeat(16), body, 'sha256=00'), false);
});
