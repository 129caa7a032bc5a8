/**
 * nats: publish to a NATS subject. Core NATS has no acknowledgement: an attempt succeeds when the
 * message is flushed to the server (`flush()` round trip), which catches a dead connection; a
 * subscriber that is not listening loses it, as it would with any NATS publisher.
 */
import { connect, headers as natsHeaders, type NatsConnection } from 'nats';
import type { NatsAction, Rendered } from '../types.js';

export class NatsLinks {
  private readonly links = new Map<string, Promise<NatsConnection>>();

  private link(url: string): Promise<NatsConnection> {
    let l = this.links.get(url);
    if (!l) {
      l = (async () => {
        const u = new URL(url);
        const nc = await connect({
          servers: `${u.hostname}:${u.port || 4222}`,
          ...(u.username
            ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) }
            : {}),
          timeout: 10_000,
          maxReconnectAttempts: -1,
        });
        void nc.closed().then(() => this.links.delete(url));
        return nc;
      })();
      l.catch(() => this.links.delete(url));
      this.links.set(url, l);
    }
    return l;
  }

  async send(a: NatsAction, r: Rendered, messageId: string): Promise<void> {
    const nc = await this.link(a.url);
    const h = natsHeaders();
    h.set('Nats-Msg-Id', messageId);
    if (r.contentType) h.set('Content-Type', r.contentType);
    nc.publish(r.target, Buffer.from(r.body ?? '', 'base64'), { headers: h });
    await nc.flush();
  }

  async close(): Promise<void> {
    const all = [...this.links.values()];
    this.links.clear();
    for (const l of all) {
      try {
        await (await l).close();
      } catch {
        /* already closed */
      }
    }
  }
}
