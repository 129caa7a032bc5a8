/** Channel and route management, the delivery log, and the bus → outbox wiring. */
import { randomUUID } from 'node:crypto';
import type { DeviceDirectory, Logger, Severity } from '../core/index.js';
import { NotifyErrors } from './errors.js';
import type { NotifyStore } from './notify-store.js';
import type { Outbox } from './outbox.js';
import { channelsFor } from './routing.js';
import type { Channel, Notification, NotificationStatus, NotifyItem, NotifyKind, Route } from './types.js';

/** A channel as the API shows it: the signing secret and the URL are write-only (the URL shows its origin). */
export type ChannelView = Omit<Channel, 'secret'> & { hasSecret: boolean };

export interface ChannelInput {
  name: string;
  type: 'slack' | 'webhook';
  url: string;
  /** Omitted on update: keep the current secret; null: remove it. */
  secret?: string | null;
  groupWindowMs?: number;
  timeoutMs?: number;
  consoleUrl?: string;
  enabled?: boolean;
}

export interface RouteInput {
  name: string;
  channelIds: string[];
  kinds?: NotifyKind[];
  minSeverity?: Severity;
  models?: string[];
  tags?: string[];
  enabled?: boolean;
}

export const DEFAULT_GROUP_WINDOW_MS = 60_000;

/** What a channel's endpoint answered to a test message. */
export interface ChannelTestResult {
  /** The endpoint answered 2xx. */
  delivered: boolean;
  /** Its HTTP status; null when no answer came (refused, DNS, timeout). */
  statusCode: number | null;
  /** Why it failed: `HTTP 500: …`, `fetch failed (ECONNREFUSED)`, `timed out after 5000 ms`. */
  error: string | null;
  sentAt: number;
  /** Sent as X-Tsunagu-Event-Id. */
  eventId: string;
}

export function channelView(c: Channel): ChannelView {
  const { secret, ...rest } = c;
  // A Slack URL is a bearer credential, and webhook URLs often carry one in the path or query.
  return { ...rest, url: maskUrl(c.url), hasSecret: secret !== undefined && secret !== '' };
}

function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}/…`;
  } catch {
    return '…';
  }
}

function checkUrl(field: string, url: string): void {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw NotifyErrors.invalid(field, 'must be an absolute http(s) URL');
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw NotifyErrors.invalid(field, 'must be an http(s) URL');
}

export class NotifyService {
  private channels = new Map<string, Channel>();
  private routes: Route[] = [];

  constructor(
    private readonly store: NotifyStore,
    private readonly outbox: Outbox,
    private readonly directory: DeviceDirectory,
    private readonly now: () => number,
    private readonly log: Logger,
    /** Told after a channel or route was stored or deleted (app: an invalidation to every node). */
    private readonly changed: (kind: 'notify-channel' | 'notify-route', id: string) => void = () => undefined,
  ) {}

  private loading: Promise<void> = Promise.resolve();

  /** (Re)load channels and routes from the store; reloads run one after the other, the last one wins. */
  load(): Promise<void> {
    this.loading = this.loading
      .catch(() => undefined)
      .then(async () => {
        const channels = await this.store.listChannels();
        const routes = await this.store.listRoutes();
        this.channels = new Map(channels.map((c) => [c.id, c]));
        this.routes = routes;
      });
    return this.loading;
  }

  // ── routing an event ───────────────────────────────────────────────────────────────────

  /** Route one item to its channels and queue it durably (resolves when queued). */
  async handle(item: NotifyItem): Promise<void> {
    if (this.routes.length === 0) return;
    let tags: string[] = [];
    if (item.deviceId !== undefined) {
      const d = await this.directory.getDevice(item.deviceId);
      tags = d?.tags ?? [];
      if (item.model === undefined && d?.model) item.model = d.model;
    }
    for (const id of channelsFor(this.routes, item, tags)) {
      const c = this.channels.get(id);
      if (c?.enabled) await this.outbox.enqueue(c, item);
    }
  }

  // ── channels ───────────────────────────────────────────────────────────────────────────

  listChannels(): ChannelView[] {
    return [...this.channels.values()].map(channelView);
  }

  getChannel(id: string): ChannelView {
    const c = this.channels.get(id);
    if (!c) throw NotifyErrors.channelNotFound(id);
    return channelView(c);
  }

  async createChannel(input: ChannelInput): Promise<ChannelView> {
    const now = this.now();
    return this.saveChannel({ id: randomUUID(), createdAt: now }, input, undefined);
  }

  async updateChannel(id: string, input: ChannelInput): Promise<ChannelView> {
    const cur = this.channels.get(id);
    if (!cur) throw NotifyErrors.channelNotFound(id);
    return this.saveChannel({ id, createdAt: cur.createdAt }, input, cur);
  }

  private async saveChannel(
    key: { id: string; createdAt: number },
    input: ChannelInput,
    cur: Channel | undefined,
  ): Promise<ChannelView> {
    if (input.name.trim() === '') throw NotifyErrors.invalid('name', 'must not be empty');
    checkUrl('url', input.url);
    if (input.consoleUrl !== undefined) checkUrl('consoleUrl', input.consoleUrl);
    const secret =
      input.secret === undefined ? cur?.secret : input.secret === null ? undefined : input.secret;
    if (secret !== undefined && secret.length < 16)
      throw NotifyErrors.invalid('secret', 'must be at least 16 characters');
    const c: Channel = {
      id: key.id,
      name: input.name.trim(),
      type: input.type,
      url: input.url,
      groupWindowMs: input.groupWindowMs ?? cur?.groupWindowMs ?? DEFAULT_GROUP_WINDOW_MS,
      timeoutMs: input.timeoutMs ?? cur?.timeoutMs ?? 10_000,
      enabled: input.enabled ?? cur?.enabled ?? true,
      createdAt: key.createdAt,
      updatedAt: this.now(),
    };
    if (secret !== undefined) c.secret = secret;
    if (input.consoleUrl !== undefined) c.consoleUrl = input.consoleUrl;
    await this.store.putChannel(c);
    this.channels.set(c.id, c);
    this.changed('notify-channel', c.id);
    return channelView(c);
  }

  /**
   * Send one test message through the channel now, bypassing routes, grouping and the outbox (so
   * nothing is stored or retried), and report what the endpoint answered. Disabled channels are
   * tested too: that is how one checks a channel before enabling it.
   */
  async testChannel(id: string, actor: string): Promise<ChannelTestResult> {
    const channel = this.channels.get(id);
    if (!channel) throw NotifyErrors.channelNotFound(id);
    const at = this.now();
    const item: NotifyItem = {
      eventId: randomUUID(),
      kind: 'rule',
      severity: 'info',
      reason: 'test',
      title: `Test message for channel "${channel.name}" (sent by ${actor})`,
      at,
      data: { test: true },
    };
    const n: Notification = {
      id: item.eventId,
      channelId: channel.id,
      kind: item.kind,
      reason: item.reason,
      groupKey: `${channel.id}|test`,
      status: 'pending',
      itemCount: 1,
      attempts: 0,
      nextAttemptAt: at,
      windowEndsAt: at,
      lastError: null,
      lastStatusCode: null,
      createdAt: at,
      deliveredAt: null,
    };
    const r = await this.outbox.send(channel, n, [item]);
    this.log.info({ channel: id, ok: r.ok, status: r.status }, 'notify: test message sent');
    return { delivered: r.ok, statusCode: r.status, error: r.error, sentAt: at, eventId: n.id };
  }

  async deleteChannel(id: string): Promise<void> {
    if (!(await this.store.deleteChannel(id))) throw NotifyErrors.channelNotFound(id);
    this.channels.delete(id);
    this.changed('notify-channel', id);
  }

  // ── routes ─────────────────────────────────────────────────────────────────────────────

  listRoutes(): Route[] {
    return [...this.routes];
  }

  getRoute(id: string): Route {
    const r = this.routes.find((x) => x.id === id);
    if (!r) throw NotifyErrors.routeNotFound(id);
    return r;
  }

  async createRoute(input: RouteInput): Promise<Route> {
    return this.saveRoute(randomUUID(), this.now(), input);
  }

  async updateRoute(id: string, input: RouteInput): Promise<Route> {
    return this.saveRoute(id, this.getRoute(id).createdAt, input);
  }

  private async saveRoute(id: string, createdAt: number, input: RouteInput): Promise<Route> {
    if (input.name.trim() === '') throw NotifyErrors.invalid('name', 'must not be empty');
    input.channelIds.forEach((c, i) => {
      if (!this.channels.has(c)) throw NotifyErrors.invalid(`channelIds.${i}`, `no channel ${c}`);
    });
    const r: Route = {
      id,
      name: input.name.trim(),
      channelIds: [...new Set(input.channelIds)],
      kinds: input.kinds ?? [],
      minSeverity: input.minSeverity ?? 'info',
      models: input.models ?? [],
      tags: input.tags ?? [],
      enabled: input.enabled ?? true,
      createdAt,
      updatedAt: this.now(),
    };
    await this.store.putRoute(r);
    this.routes = [...this.routes.filter((x) => x.id !== id), r];
    this.changed('notify-route', id);
    return r;
  }

  async deleteRoute(id: string): Promise<void> {
    if (!(await this.store.deleteRoute(id))) throw NotifyErrors.routeNotFound(id);
    this.routes = this.routes.filter((x) => x.id !== id);
    this.changed('notify-route', id);
  }

  // ── delivery log ───────────────────────────────────────────────────────────────────────

  listNotifications(q: {
    status?: NotificationStatus;
    channelId?: string;
    before?: number;
    limit: number;
  }): Promise<Notification[]> {
    return this.store.listNotifications(q);
  }

  async getNotification(id: string, limit: number): Promise<Notification & { items: NotifyItem[] }> {
    const n = await this.store.getNotification(id);
    if (!n) throw NotifyErrors.notificationNotFound(id);
    return { ...n, items: await this.store.items(id, limit) };
  }

  async retry(id: string): Promise<Notification> {
    const n = await this.store.getNotification(id);
    if (!n) throw NotifyErrors.notificationNotFound(id);
    if (n.status !== 'failed') throw NotifyErrors.notRetryable(id, n.status);
    this.log.info({ notification: id }, 'notify: retry requested');
    return this.outbox.retry(n);
  }
}
