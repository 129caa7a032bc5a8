/**
 * An in-memory BrokerApi for unit tests of module logic (never the only test of an adapter: modules
 * also test over the real broker with mqtt.js). `published` records what the platform sent;
 * `inject()` plays a device publishing a message.
 */
import type {
  BrokerApi,
  BrokerHooks,
  BrokerMessage,
  ClientInfo,
  MessageHandler,
  PublishRequest,
  PublishResult,
} from '../mqtt/index.js';

export function topicMatches(filter: string, topic: string): boolean {
  if (filter.startsWith('$') !== topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    const part = f[i];
    if (part === '#') return true;
    if (i >= t.length) return false;
    if (part !== '+' && part !== t[i]) return false;
  }
  return f.length === t.length;
}

export class FakeBroker implements BrokerApi {
  readonly published: BrokerMessage[] = [];
  readonly connected = new Map<string, ClientInfo>();
  readonly disconnects: { clientId: string; reasonCode: number | undefined }[] = [];
  hooks: Partial<BrokerHooks> = {};
  private subs: { filter: string; handler: MessageHandler }[] = [];
  /** Plays a broker that drops the copies for these client ids (queue full, too large). */
  readonly dropFor = new Map<string, 'queue_full' | 'too_large'>();

  async publish(msg: PublishRequest): Promise<PublishResult> {
    const m: BrokerMessage = {
      topic: msg.topic,
      payload: typeof msg.payload === 'string' ? Buffer.from(msg.payload) : msg.payload,
      qos: msg.qos ?? 0,
      retain: msg.retain ?? false,
      ...(msg.properties ? { properties: msg.properties } : {}),
    };
    this.published.push(m);
    await this.deliver(m);
    const drops = [...this.dropFor]
      .filter(([clientId]) => msg.topic.startsWith(`devices/${clientId}/`))
      .map(([clientId, reason]) => ({ clientId, reason }));
    return { delivered: 0, forwarded: 0, dropCount: drops.length, drops };
  }

  /** Play a device publishing: runs server-side handlers and waits for them (like a QoS 1 PUBACK). */
  async inject(
    clientId: string,
    topic: string,
    payload: Buffer | string | object,
    qos: 0 | 1 | 2 = 1,
  ): Promise<void> {
    const buf =
      typeof payload === 'string'
        ? Buffer.from(payload)
        : Buffer.isBuffer(payload)
          ? payload
          : Buffer.from(JSON.stringify(payload));
    await this.deliver({ topic, payload: buf, qos, retain: false, clientId });
  }

  private async deliver(m: BrokerMessage): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const s of this.subs)
      if (topicMatches(s.filter, m.topic)) {
        const r = s.handler(m);
        if (r) pending.push(r);
      }
    await Promise.all(pending);
  }

  subscribe(filter: string, handler: MessageHandler): () => void {
    const s = { filter, handler };
    this.subs.push(s);
    return () => {
      this.subs = this.subs.filter((x) => x !== s);
    };
  }

  disconnect(clientId: string, reasonCode?: number): boolean {
    this.disconnects.push({ clientId, reasonCode });
    return this.connected.delete(clientId);
  }

  isConnected(clientId: string): boolean {
    return this.connected.has(clientId);
  }

  clientInfo(clientId: string): ClientInfo | undefined {
    return this.connected.get(clientId);
  }

  setHooks(hooks: Partial<BrokerHooks>): void {
    this.hooks = { ...this.hooks, ...hooks };
  }

  /** Messages the platform published on topics matching `filter`. */
  sent(filter: string): BrokerMessage[] {
    return this.published.filter((m) => topicMatches(filter, m.topic));
  }
}
