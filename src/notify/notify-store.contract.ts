import { describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import type { NotifyStore, QueueRequest } from './notify-store.js';
import type { Channel, Notification, NotifyItem, Route } from './types.js';

export type OpenNotifyStore = (t: TestContext) => Promise<NotifyStore | undefined>;

const channel: Channel = {
  id: 'c1',
  name: 'ops',
  type: 'webhook',
  url: 'http://127.0.0.1:9/hook',
  secret: 'whsec-0123456789abcdef',
  groupWindowMs: 60_000,
  timeoutMs: 1000,
  enabled: true,
  createdAt: 1,
  updatedAt: 1,
};
const route: Route = {
  id: 'r1',
  name: 'all',
  channelIds: ['c1'],
  kinds: [],
  minSeverity: 'info',
  models: [],
  tags: [],
  enabled: true,
  createdAt: 1,
  updatedAt: 1,
};
const item = (eventId: string, deviceId = eventId): NotifyItem => ({
  eventId,
  kind: 'service-state.changed',
  severity: 'error',
  reason: 'heartbeat_lost',
  title: `${deviceId} out`,
  at: 10,
  deviceId,
  data: { to: 'out_of_service' },
});
const notification = (id: string, createdAt: number): Notification => ({
  id,
  channelId: 'c1',
  kind: 'service-state.changed',
  reason: 'heartbeat_lost',
  groupKey: 'c1|service-state.changed|heartbeat_lost',
  status: 'grouping',
  itemCount: 1,
  attempts: 0,
  nextAttemptAt: createdAt + 60_000,
  windowEndsAt: createdAt + 60_000,
  lastError: null,
  lastStatusCode: null,
  createdAt,
  deliveredAt: null,
});

/** Run by notify-store.contract.test.ts against SQLite and the real PostgreSQL. */
export function notifyStoreContract(name: string, open: OpenNotifyStore): void {
  describe(`NotifyStore contract: ${name}`, () => {
    test('channels and routes: put, get, list, replace, delete', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.putChannel(channel);
      await s.putChannel({ ...channel, name: 'ops 2' });
      assert.deepEqual(await s.getChannel('c1'), { ...channel, name: 'ops 2' });
      assert.equal((await s.listChannels()).length, 1);
      await s.putRoute(route);
      assert.deepEqual(await s.listRoutes(), [route]);
      assert.deepEqual(await s.getRoute('r1'), route);
      assert.equal(await s.deleteRoute('r1'), true);
      assert.equal(await s.deleteRoute('r1'), false);
      assert.equal(await s.deleteChannel('c1'), true);
      assert.equal(await s.getChannel('c1'), undefined);
    });

    test('outbox: items are deduplicated per (channel, event id) and kept in order', async (t) => {
      const s = await open(t);
      if (!s) return;
      assert.equal(await s.createNotification(notification('n1', 100), item('e1')), true);
      assert.equal(
        await s.createNotification(notification('n2', 200), item('e1')),
        false,
        'duplicate first item',
      );
      assert.equal(await s.getNotification('n2'), undefined);
      assert.equal(await s.addItem('n1', 'c1', item('e2')), true);
      assert.equal(await s.addItem('n1', 'c1', item('e3')), true);
      assert.equal(await s.addItem('n1', 'c1', item('e2')), false);
      assert.equal(await s.addItem('n1', 'c2', item('e2')), true, 'another channel may carry the same event');
      const n = await s.getNotification('n1');
      assert.equal(n!.itemCount, 4);
      assert.deepEqual(
        (await s.items('n1')).map((i) => i.eventId),
        ['e1', 'e2', 'e3', 'e2'],
      );
      assert.deepEqual(await s.items('n1', 1), [item('e1')]);
    });

    test('outbox: updates, unfinished rows and the delivery log', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.createNotification(notification('n1', 100), item('e1'));
      await s.createNotification({ ...notification('n2', 200), status: 'pending' }, item('e2'));
      await s.createNotification(notification('n3', 300), item('e3'));
      await s.updateNotification({
        ...notification('n3', 300),
        status: 'delivered',
        attempts: 2,
        lastStatusCode: 200,
        lastError: null,
        deliveredAt: 400,
      });
      await s.updateNotification({
        ...notification('n1', 100),
        status: 'pending',
        attempts: 1,
        lastError: 'HTTP 500',
        lastStatusCode: 500,
        nextAttemptAt: 5000,
      });
      assert.deepEqual(
        (await s.loadUnfinished()).map((n) => n.id),
        ['n1', 'n2'],
      );
      const n1 = await s.getNotification('n1');
      assert.deepEqual(
        [n1!.status, n1!.attempts, n1!.lastError, n1!.lastStatusCode, n1!.nextAttemptAt, n1!.itemCount],
        ['pending', 1, 'HTTP 500', 500, 5000, 1],
      );
      assert.deepEqual(
        (await s.listNotifications({ limit: 10 })).map((n) => n.id),
        ['n3', 'n2', 'n1'],
      );
      assert.deepEqual(
        (await s.listNotifications({ limit: 10, before: 300 })).map((n) => n.id),
        ['n2', 'n1'],
      );
      assert.deepEqual(
        (await s.listNotifications({ limit: 10, status: 'delivered' })).map((n) => n.deliveredAt),
        [400],
      );
      assert.deepEqual(await s.listNotifications({ limit: 10, channelId: 'other' }), []);
    });

    test('queueItem: a window opens with a notification due now; what follows joins one group; after it, a new window', async (t) => {
      const s = await open(t);
      if (!s) return;
      let seq = 0;
      const q = (eventId: string, now: number, windowMs = 60_000): QueueRequest => ({
        channelId: 'c1',
        groupKey: 'c1|service-state.changed|heartbeat_lost',
        windowMs,
        now,
        item: item(eventId),
        make: (status, nextAttemptAt, windowEndsAt) => ({
          ...notification(`n${++seq}`, now),
          status,
          nextAttemptAt,
          windowEndsAt,
        }),
      });
      const first = await s.queueItem(q('e1', 1000));
      assert.ok('created' in first);
      assert.deepEqual(
        [first.created.status, first.created.nextAttemptAt, first.created.windowEndsAt],
        ['pending', 1000, 61_000],
      );
      const second = await s.queueItem(q('e2', 2000));
      assert.ok('created' in second);
      assert.deepEqual(
        [second.created.status, second.created.nextAttemptAt, second.created.windowEndsAt],
        ['grouping', 61_000, 61_000],
      );
      assert.deepEqual(await s.queueItem(q('e3', 3000)), { addedTo: second.created.id });
      assert.deepEqual(await s.queueItem(q('e3', 3000)), { duplicate: true });
      assert.deepEqual(await s.queueItem(q('e1', 3000)), { duplicate: true }, 'dedup spans the window');
      assert.equal((await s.getNotification(second.created.id))!.itemCount, 2);
      const after = await s.queueItem(q('e4', 61_000));
      assert.ok('created' in after && after.created.status === 'pending', 'the window has ended');
      const nogroup = await s.queueItem({ ...q('e5', 61_001, 0), groupKey: 'other' });
      assert.ok('created' in nogroup && nogroup.created.windowEndsAt === 61_001);
    });

    test('claim: one holder at a time, a window closes on claim, an ended claim is taken over, only the holder settles', async (t) => {
      const s = await open(t);
      if (!s) return;
      await s.createNotification(notification('n1', 100), item('e1'));
      const a = await s.claim('n1', 'A#1', 1000, 5000);
      assert.ok('claimed' in a);
      assert.equal(a.claimed.status, 'pending', 'a grouping notification is closed by its claim');
      assert.deepEqual(await s.claim('n1', 'B#1', 2000, 6000), { busyUntil: 5000 });
      assert.equal(await s.addItem('n1', 'c1', item('e2')), true, 'addItem itself is unconditional');
      const b = await s.claim('n1', 'B#1', 5000, 9000);
      assert.ok('claimed' in b, 'A’s claim ended');
      const delivered = { ...b.claimed, status: 'delivered' as const, attempts: 1, deliveredAt: 5500 };
      assert.equal(await s.settle(delivered, 'A#1'), false, 'A no longer holds it');
      assert.equal((await s.getNotification('n1'))!.status, 'pending');
      assert.equal(await s.settle(delivered, 'B#1'), true);
      assert.equal((await s.getNotification('n1'))!.deliveredAt, 5500);
      assert.deepEqual(await s.claim('n1', 'A#1', 10_000, 20_000), { gone: true });
      assert.deepEqual(await s.claim('missing', 'A#1', 10_000, 20_000), { gone: true });
      // Settling drops the claim: the next attempt (another node) needs no wait.
      await s.createNotification({ ...notification('n2', 200), status: 'pending' }, item('e9'));
      const c = await s.claim('n2', 'A#1', 1000, 90_000);
      assert.ok('claimed' in c);
      assert.equal(await s.settle({ ...c.claimed, attempts: 1, nextAttemptAt: 2000 }, 'A#1'), true);
      assert.ok('claimed' in (await s.claim('n2', 'B#1', 1001, 90_000)));
    });

    test('queueItem: items queued concurrently for one group make one window and one group', async (t) => {
      const s = await open(t);
      if (!s) return;
      let seq = 0;
      const outs = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          s.queueItem({
            channelId: 'c1',
            groupKey: 'g',
            windowMs: 60_000,
            now: 1000,
            item: item(`e${i}`),
            make: (status, nextAttemptAt, windowEndsAt) => ({
              ...notification(`x${++seq}`, 1000),
              groupKey: 'g',
              status,
              nextAttemptAt,
              windowEndsAt,
            }),
          }),
        ),
      );
      const created = outs.flatMap((o) => ('created' in o ? [o.created.status] : []));
      assert.deepEqual(created.sort(), ['grouping', 'pending']);
      const rows = await s.listNotifications({ limit: 100 });
      assert.deepEqual(
        rows.map((n) => n.itemCount).sort((x, y) => x - y),
        [1, 19],
      );
    });
  });
}
