/**
 * Cluster events over one NATS core subject. `publish` runs this node's handlers at once and
 * sends `{o: origin, s: seq, n: name, p: payload}`; other nodes run theirs once per message.
 *
 * - Local echo: the connection is `noEcho`, and a message with this node's origin is dropped too.
 * - Once per node: NATS core delivers a message to a subscriber at most once; a repeated or old
 *   sequence number from an origin is dropped all the same.
 * - Missed events: NATS core keeps nothing for a disconnected subscriber. A gap in an origin's
 *   sequence numbers, or a reconnect, runs the `onResync` listeners (drop caches, reload state).
 *   JetStream is not used on purpose: invalidations are only useful now, and resync after a gap is
 *   cheaper and simpler than a per-node durable consumer.
 */
import { randomBytes } from 'node:crypto';
import { connect, Events, type MsgHdrs, type NatsConnection, type Subscription } from 'nats';
import {
  type ClusterEventMap,
  type ClusterEventName,
  type ClusterEvents,
  type ClusterHandler,
  LocalClusterEvents,
  type Logger,
  runInSpan,
  SpanKind,
  startSpan,
} from '../core/index.js';
import { incomingTraceParent, outgoingTraceHeaders } from './nats-trace.js';

export interface NatsEventsOptions {
  url: string;
  nodeId: string;
  /** Subject every node publishes to and subscribes on (default `tsunagu.cluster.events`). */
  subject?: string;
  log: Logger;
}

interface Envelope {
  o: string;
  s: number;
  n: ClusterEventName;
  p: unknown;
}

export const DEFAULT_SUBJECT = 'tsunagu.cluster.events';

export class NatsClusterEvents implements ClusterEvents {
  /** Unique per process, so a restarted node's sequence numbers start afresh. */
  readonly origin: string;
  private readonly local: LocalClusterEvents;
  private readonly lastSeq = new Map<string, number>();
  private seq = 0;
  private sub: Subscription | undefined;
  private closed: Promise<void> | undefined;
  /** Received from peers and delivered (for tests and metrics). */
  received = 0;
  /** False between a NATS disconnect and the reconnect. */
  private up = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly subject: string,
    nodeId: string,
    private readonly log: Logger,
  ) {
    this.origin = `${nodeId}#${randomBytes(4).toString('hex')}`;
    this.local = new LocalClusterEvents(log);
  }

  static async connect(o: NatsEventsOptions): Promise<NatsClusterEvents> {
    const nc = await connect({
      servers: o.url.split(',').map((u) => u.trim()),
      name: `tsunagu ${o.nodeId}`,
      noEcho: true,
      maxReconnectAttempts: -1,
    });
    const ev = new NatsClusterEvents(nc, o.subject ?? DEFAULT_SUBJECT, o.nodeId, o.log);
    ev.sub = nc.subscribe(ev.subject, {
      callback: (err, msg) => {
        if (err) ev.log.warn({ err }, 'cluster events: subscription error');
        else ev.receive(msg.data, msg.headers);
      },
    });
    void ev.watchStatus();
    // A round trip makes sure the server has the subscription before publish can be relied on.
    await nc.flush();
    return ev;
  }

  publish<K extends ClusterEventName>(name: K, payload: ClusterEventMap[K]): void {
    this.local.deliver(name, payload);
    const env: Envelope = { o: this.origin, s: ++this.seq, n: name, p: payload };
    try {
      const trace = outgoingTraceHeaders(); // the active span's context, when sampled
      this.nc.publish(this.subject, Buffer.from(JSON.stringify(env)), trace ? { headers: trace } : undefined);
    } catch (err) {
      // Closed or draining: peers will resync when they notice the gap.
      this.log.warn({ err, event: name }, 'cluster event could not be sent');
    }
  }

  subscribe<K extends ClusterEventName>(name: K, handler: ClusterHandler<K>): () => void {
    return this.local.subscribe(name, handler);
  }

  onResync(listener: () => void): () => void {
    return this.local.onResync(listener);
  }

  /** Connected to a NATS server now (events published while not are lost; peers resync). */
  connected(): boolean {
    return this.up && !this.nc.isClosed();
  }

  /** The server this node is connected to. */
  server(): string {
    return this.nc.getServer();
  }

  /** Round trip to the NATS server, ms. */
  rtt(): Promise<number> {
    return this.nc.rtt();
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.sub?.unsubscribe();
      if (!this.nc.isClosed()) await this.nc.drain();
    })();
    return this.closed;
  }

  private receive(data: Uint8Array, trace?: MsgHdrs): void {
    let env: Envelope;
    try {
      env = JSON.parse(Buffer.from(data).toString('utf8')) as Envelope;
    } catch {
      this.log.warn('cluster events: message is not JSON, dropped');
      return;
    }
    if (typeof env.o !== 'string' || typeof env.s !== 'number' || typeof env.n !== 'string') return;
    if (env.o === this.origin) return;
    const last = this.lastSeq.get(env.o);
    if (last !== undefined && env.s <= last) return; // repeated: already delivered
    this.lastSeq.set(env.o, env.s);
    this.received++;
    const parent = incomingTraceParent(trace);
    if (parent === undefined) this.local.deliver(env.n, env.p as never);
    else {
      // The publishing node's trace goes on here: handlers' spans nest under this one.
      const span = startSpan(`cluster event ${env.n}`, {
        kind: SpanKind.CONSUMER,
        parent,
        attributes: { 'messaging.system': 'nats', 'tsunagu.cluster.origin': env.o },
      });
      runInSpan(span, parent, () => this.local.deliver(env.n, env.p as never));
    }
    if (last !== undefined && env.s > last + 1) {
      this.log.warn({ origin: env.o, missed: env.s - last - 1 }, 'cluster events: gap, resyncing');
      this.local.resync();
    }
  }

  private async watchStatus(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type === Events.Reconnect) {
        this.up = true;
        this.log.info('cluster events: NATS reconnected, resyncing');
        this.local.resync();
      } else if (s.type === Events.Disconnect) {
        this.up = false;
        this.log.warn('cluster events: NATS disconnected');
      }
    }
  }
}
