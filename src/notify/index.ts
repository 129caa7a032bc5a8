/**
 * Notifications: Slack and signed webhooks, routed by event kind, severity, model and tag, through
 * a persisted outbox with retries, dedup and storm grouping. Notify subscribes to the bus itself;
 * health, SLOs and devices only emit.
 */
import { Counter, Gauge } from 'prom-client';
import type { DeviceDirectory, EventBus, Logger, TsunaguEvents } from '../core/index.js';
import { clusterEventsOf, ownershipOf, type ModuleContext, type PlatformModule } from '../platform/index.js';
import type { BackoffPolicy } from './backoff.js';
import { toItem } from './event-items.js';
import type { NotifyStore } from './notify-store.js';
import { Outbox } from './outbox.js';
import { createPgNotifyStore } from './pg-notify-store.js';
import { notifyRoutes } from './routes.js';
import { sealedChannelStore, sealPlainChannels } from './sealed-store.js';
import { loadSecretKey, SecretBox } from '../core/index.js';
import { NotifyService } from './service.js';
import { createSqliteNotifyStore } from './sqlite-notify-store.js';
import { EVENT_KINDS, type EventKind } from './types.js';

export { verifySignature, sign, SIGNATURE_HEADER, EVENT_ID_HEADER, TIMESTAMP_HEADER } from './signing.js';
export type { Channel, Route, Notification, NotifyItem, NotifyKind, NotificationStatus } from './types.js';
export type { NotifyService, ChannelInput, RouteInput, ChannelView } from './service.js';

export interface NotifyModule extends PlatformModule {
  service: NotifyService;
  outbox: Outbox;
  /** Resolves when every event seen so far is queued and no delivery is in flight (tests). */
  idle(): Promise<void>;
}

export interface NotifyOptions {
  backoff?: BackoffPolicy;
  random?: () => number;
  /** Outbox claim length and store sweep interval (outbox.ts; tests shorten them). */
  claimMs?: number;
  sweepMs?: number;
}

export function openNotifyStore(ctx: ModuleContext): Promise<NotifyStore> {
  return ctx.db.kind === 'sqlite' ? createSqliteNotifyStore(ctx.db) : createPgNotifyStore(ctx.db);
}

/** The store with channel secrets encrypted at rest; plain rows from older versions are sealed now. */
async function openSealedNotifyStore(ctx: ModuleContext, log: Logger): Promise<NotifyStore> {
  const { key, generated } = loadSecretKey(ctx.config.secretKeyFile, ctx.config.dataDir);
  if (generated !== undefined)
    log[ctx.db.kind === 'postgres' ? 'warn' : 'info'](
      { keyFile: generated },
      ctx.db.kind === 'postgres'
        ? 'generated a secret key in the data directory: every node sharing this database needs the same key (--secret-key-file)'
        : 'generated the key that encrypts stored secrets (keep it with the data directory)',
    );
  const box = new SecretBox(key);
  const raw = await openNotifyStore(ctx);
  const sealed = await sealPlainChannels(raw, box);
  if (sealed > 0) log.info({ channels: sealed }, 'notify: encrypted channel secrets stored in plain text');
  return sealedChannelStore(raw, box);
}

export async function createNotify(
  ctx: ModuleContext,
  directory: DeviceDirectory,
  opts: NotifyOptions = {},
): Promise<NotifyModule> {
  const log = ctx.log.child({ component: 'notify' });
  const store = await openSealedNotifyStore(ctx, log);
  const attempts = new Counter({
    name: 'tsunagu_notify_attempts_total',
    help: 'Notification delivery attempts by outcome (delivered, retry, failed) and channel type',
    labelNames: ['result', 'channel_type'],
    registers: [ctx.metrics],
  });
  const outbox = new Outbox({
    clock: ctx.clock,
    store,
    log,
    ownership: ownershipOf(ctx),
    ...opts,
    onAttempt: (result, channelType) => attempts.inc({ result, channel_type: channelType }),
  });
  new Gauge({
    name: 'tsunagu_notify_queued',
    help: 'Notifications waiting in the outbox (grouping or pending)',
    registers: [ctx.metrics],
    collect() {
      this.set(outbox.queued);
    },
  });
  const events = clusterEventsOf(ctx);
  // Channels and routes are cached per node: a change through any node reloads every node's copy.
  const service = new NotifyService(
    store,
    outbox,
    directory,
    () => ctx.clock.now(),
    log,
    (kind, id) => events.publish('invalidate', { kind, id }),
  );
  const reload = (): void =>
    void service
      .load()
      .catch((err: unknown) => log.error({ err }, 'notify: reloading channels and routes failed'));
  const handling = new Set<Promise<void>>();
  const unsubscribe: (() => void)[] = [];
  return {
    name: 'notify',
    service,
    outbox,
    routes: notifyRoutes(service),
    async start() {
      await service.load();
      await outbox.start();
      unsubscribe.push(...subscribe(ctx.bus, service, handling, log));
      unsubscribe.push(
        events.subscribe('invalidate', (e) => {
          if (e.kind === 'notify-channel' || e.kind === 'notify-route') reload();
        }),
        events.onResync(reload),
      );
    },
    async stop() {
      for (const u of unsubscribe.splice(0)) u();
      await Promise.all(handling);
      await outbox.stop();
    },
    async idle() {
      while (handling.size > 0) await Promise.all(handling);
      await outbox.idle();
    },
  };
}

function subscribe(
  bus: EventBus,
  service: NotifyService,
  handling: Set<Promise<void>>,
  log: Logger,
): (() => void)[] {
  const on = <K extends EventKind>(kind: K) =>
    bus.on(kind, (e: TsunaguEvents[K]) => {
      const item = toItem(kind, e);
      if (!item) return;
      const p = service
        .handle(item)
        .catch((err: unknown) => log.error({ err, kind }, 'notify: routing an event failed'))
        .finally(() => handling.delete(p));
      handling.add(p);
    });
  return EVENT_KINDS.map((k) => on(k));
}
