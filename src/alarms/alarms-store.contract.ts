/** The alarms store contract: SQLite and PostgreSQL both pass it (alarms-store.contract.test.ts). */
import assert from 'node:assert/strict';
import type { AlarmRaise, AlarmsStore } from './alarms-store.js';

const out = (deviceId: string, at: number, over: Partial<AlarmRaise> = {}): AlarmRaise => ({
  source: 'health',
  originator: deviceId,
  deviceId,
  severity: 'error',
  type: 'out_of_service',
  message: `${deviceId} out of service`,
  at,
  details: { reasons: ['heartbeat_missed'] },
  ...over,
});

export const alarmsStoreContract: [string, (s: AlarmsStore) => Promise<void>][] = [
  [
    'alarms: a repeat raise updates the one active alarm (count, lastSeen) instead of adding one',
    async (s) => {
      const a = await s.raise(out('d1', 100));
      assert.equal(a.created, true);
      assert.equal(a.alarm.state, 'ACTIVE_UNACK');
      assert.equal(a.alarm.count, 1);
      assert.deepEqual(a.alarm.details, { reasons: ['heartbeat_missed'] });
      const b = await s.raise(out('d1', 250, { severity: 'critical', message: 'worse' }));
      assert.equal(b.created, false);
      assert.equal(b.alarm.id, a.alarm.id);
      assert.equal(b.alarm.count, 2);
      assert.equal(b.alarm.lastSeen, 250);
      assert.equal(b.alarm.raisedAt, 100, 'raisedAt stays the first raise');
      assert.equal(b.alarm.severity, 'critical');
      assert.equal(b.alarm.message, 'worse');
      // Another originator or type is another alarm.
      const c = await s.raise(out('d2', 300));
      const d = await s.raise(out('d1', 300, { type: 'other' }));
      assert.ok(c.created && d.created);
      assert.equal(new Set([a.alarm.id, c.alarm.id, d.alarm.id]).size, 3);
      assert.equal((await s.findActive('health', 'd1', 'out_of_service'))?.id, a.alarm.id);
      assert.equal(await s.findActive('slo', 'd1', 'out_of_service'), undefined);
    },
  ],
  [
    'alarms: ack and clear are compare-and-set transitions; a cleared alarm frees its key',
    async (s) => {
      const { alarm } = await s.raise(out('d1', 100));
      const acked = await s.transition(alarm.id, ['ACTIVE_UNACK', 'CLEARED_UNACK'], {
        kind: 'ack',
        by: 'ops@example.com',
        at: 110,
      });
      assert.equal(acked?.state, 'ACTIVE_ACK');
      assert.equal(acked?.ackBy, 'ops@example.com');
      assert.equal(acked?.ackAt, 110);
      // A second ack finds nothing in an ackable state.
      assert.equal(
        await s.transition(alarm.id, ['ACTIVE_UNACK', 'CLEARED_UNACK'], { kind: 'ack', by: 'x', at: 111 }),
        undefined,
      );
      // A repeat while acknowledged keeps the acknowledgement.
      const again = await s.raise(out('d1', 115));
      assert.equal(again.alarm.state, 'ACTIVE_ACK');
      const cleared = await s.transition(alarm.id, ['ACTIVE_UNACK', 'ACTIVE_ACK'], {
        kind: 'clear',
        by: 'system',
        at: 120,
      });
      assert.equal(cleared?.state, 'CLEARED_ACK');
      assert.equal(cleared?.clearedBy, 'system');
      assert.equal(cleared?.clearedAt, 120);
      assert.equal(cleared?.ackBy, 'ops@example.com');
      assert.equal(await s.findActive('health', 'd1', 'out_of_service'), undefined);
      // The same condition again is a new alarm.
      const next = await s.raise(out('d1', 200));
      assert.equal(next.created, true);
      assert.notEqual(next.alarm.id, alarm.id);
      // Clear before ack: CLEARED_UNACK, then ack → CLEARED_ACK.
      const c2 = await s.transition(next.alarm.id, ['ACTIVE_UNACK', 'ACTIVE_ACK'], {
        kind: 'clear',
        by: 'tok',
        at: 210,
      });
      assert.equal(c2?.state, 'CLEARED_UNACK');
      const a2 = await s.transition(next.alarm.id, ['ACTIVE_UNACK', 'CLEARED_UNACK'], {
        kind: 'ack',
        by: 'tok',
        at: 220,
      });
      assert.equal(a2?.state, 'CLEARED_ACK');
      assert.equal(await s.transition(9999, ['ACTIVE_UNACK'], { kind: 'ack', by: 'x', at: 1 }), undefined);
      assert.equal(await s.get(9999), undefined);
      assert.equal((await s.get(alarm.id))?.state, 'CLEARED_ACK');
    },
  ],
  [
    'alarms: list filters, newest first, paged by id; active counts by source and severity',
    async (s) => {
      await s.raise(out('d1', 100));
      await s.raise(out('d2', 200, { severity: 'critical' }));
      const slo = await s.raise({
        source: 'slo',
        originator: 'unlock',
        sloId: 'unlock',
        severity: 'warning',
        type: 'burn_rate:fast',
        message: 'SLO unlock burning',
        at: 300,
      });
      await s.raise({
        source: 'rule',
        originator: 'd1',
        deviceId: 'd1',
        ruleId: 'hot',
        severity: 'critical',
        type: 'overheat',
        message: 'hot',
        at: 400,
      });
      await s.transition(slo.alarm.id, ['ACTIVE_UNACK', 'ACTIVE_ACK'], {
        kind: 'clear',
        by: 'system',
        at: 350,
      });
      const all = await s.list({ limit: 10 });
      assert.deepEqual(
        all.map((a) => a.originator),
        ['d1', 'unlock', 'd2', 'd1'],
      );
      const page1 = await s.list({ limit: 2 });
      const page2 = await s.list({ limit: 2, before: page1[1]!.id });
      assert.deepEqual(
        [...page1, ...page2].map((a) => a.id),
        all.map((a) => a.id),
      );
      assert.equal((await s.list({ limit: 10, states: ['CLEARED_UNACK'] }))[0]?.sloId, 'unlock');
      assert.equal((await s.list({ limit: 10, source: 'rule' }))[0]?.ruleId, 'hot');
      assert.equal((await s.list({ limit: 10, severity: 'critical' })).length, 2);
      assert.equal((await s.list({ limit: 10, deviceId: 'd1' })).length, 2);
      assert.equal((await s.list({ limit: 10, deviceIn: ['d2', 'x'] })).length, 1);
      assert.equal((await s.list({ limit: 10, deviceIn: [] })).length, 0);
      assert.equal((await s.list({ limit: 10, since: 300 })).length, 2);
      const counts = await s.countActive();
      const key = (c: { source: string; severity: string; n: number }) => `${c.source}/${c.severity}=${c.n}`;
      assert.deepEqual(counts.map(key).sort(), ['health/critical=1', 'health/error=1', 'rule/critical=1']);
    },
  ],
  [
    'alarms: concurrent raises of one condition leave one active alarm',
    async (s) => {
      const raised = await Promise.all(Array.from({ length: 20 }, (_, i) => s.raise(out('d9', 1000 + i))));
      assert.equal(new Set(raised.map((r) => r.alarm.id)).size, 1);
      assert.equal(raised.filter((r) => r.created).length, 1);
      assert.equal((await s.findActive('health', 'd9', 'out_of_service'))?.count, 20);
    },
  ],
];
