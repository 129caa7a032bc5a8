/**
 * amqp: publish to an AMQP 0-9-1 broker (RabbitMQ) with `amqplib` on a confirm channel: an
 * attempt succeeds when the broker confirms the message (publisher confirms), so a message the
 * broker did not take is retried. One connection and channel per URL, re-opened after a failure.
 * `amqplib` is loaded on first use: a platform without AMQP actions never loads it.
 */
import type amqp from 'amqplib';
import type { AmqpAction, Rendered } from '../types.js';

interface Link {
  conn: amqp.ChannelModel;
  ch: amqp.ConfirmChannel;
}

export class AmqpLinks {
  private readonly links = new Map<string, Promise<Link>>();

  private link(url: string): Promise<Link> {
    let l = this.links.get(url);
    if (!l) {
      l = (async () => {
        const { connect } = await import('amqplib');
        const conn = await connect(url, { timeout: 10_000 });
        const drop = (): void => {
          this.links.delete(url);
        };
        conn.on('error', drop);
        conn.on('close', drop);
        const ch = await conn.createConfirmChannel();
        ch.on('error', drop);
        ch.on('close', drop);
        return { conn, ch };
      })();
      l.catch(() => this.links.delete(url));
      this.links.set(url, l);
    }
    return l;
  }

  async send(a: AmqpAction, r: Rendered, messageId: string): Promise<void> {
    const { ch } = await this.link(a.url);
    const body = Buffer.from(r.body ?? '', 'base64');
    await new Promise<void>((resolve, reject) => {
      ch.publish(
        a.exchange,
        r.target,
        body,
        { contentType: r.contentType, messageId, persistent: a.persistent ?? true },
        (err: unknown) =>
          err
            ? reject(err instanceof Error ? err : new Error('the broker refused the message (nack)'))
            : resolve(),
      );
    });
  }

  async close(): Promise<void> {
    const all = [...this.links.values()];
    this.links.clear();
    for (const l of all) {
      try {
        const { conn } = await l;
        await conn.close();
      } catch {
        /* already closed */
      }
    }
  }
}
