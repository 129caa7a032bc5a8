/**
 * Test harness for kill -9 durability runs (kill.test.ts): raw MQTT 3.1.1 clients that keep their
 * session state across reconnects the way a compliant client does, and record what a checker
 * needs — which messages the broker acknowledged, which reached the subscriber and how often, and
 * whether the broker ever sent a new PUBLISH (DUP=0) on a QoS 2 packet id the subscriber still
 * held unreleased (a compliant receiver discards such a message [MQTT-4.3.3-9]).
 */
import { startPlatformProcess } from '../test-support/cli-process.js';
import net from 'node:net';
import mqttPacket, { type Packet } from 'mqtt-packet';
import { delay } from './test-helpers.js';
export { freePort } from '../test-support/ports.js';

export type { PlatformProcess } from '../test-support/cli-process.js';

/** `tsunagu start` as a child process (the real CLI, as users run it). */
export const startPlatform = startPlatformProcess;

/** One raw connection: CONNECT (3.1.1) → CONNACK; packets after it go to `onPacket`. */
export function rawSession(
  port: number,
  clientId: string,
  clean: boolean,
  onPacket: (p: Packet, send: (p: Packet) => void) => void,
  onClose: () => void,
): Promise<{ sessionPresent: boolean; socket: net.Socket; send: (p: Packet) => void }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setNoDelay(true);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    const send = (p: Packet): void => {
      if (!socket.destroyed) socket.write(mqttPacket.generate(p));
    };
    let connected = false;
    parser.on('packet', (p: Packet) => {
      if (connected) return onPacket(p, send);
      if (p.cmd !== 'connack' || (p.returnCode ?? 0) !== 0) {
        socket.destroy();
        return reject(new Error(`${clientId}: CONNACK refused`));
      }
      connected = true;
      resolve({ sessionPresent: p.sessionPresent, socket, send });
    });
    parser.on('error', () => socket.destroy());
    socket.on('data', (d: Buffer) => parser.parse(d));
    socket.on('error', (err) => (connected ? undefined : reject(err)));
    socket.on('close', () => {
      if (!connected) reject(new Error(`${clientId}: closed before CONNACK`));
      else onClose();
    });
    socket.setTimeout(5000, () => (connected ? undefined : socket.destroy()));
    send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean, keepalive: 0, clientId });
  });
}

/** Connect, retrying until the broker is up (a restart). */
export async function connectRetrying(
  port: number,
  clientId: string,
  clean: boolean,
  onPacket: (p: Packet, send: (p: Packet) => void) => void,
  onClose: () => void,
  ms = 60_000,
  wanted: () => boolean = () => true,
): Promise<{ sessionPresent: boolean; socket: net.Socket; send: (p: Packet) => void }> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await rawSession(port, clientId, clean, onPacket, onClose);
    } catch (err) {
      if (Date.now() > until || !wanted()) throw err;
      await delay(100);
    }
  }
}

/**
 * A persistent QoS 1 + QoS 2 subscriber (3.1.1, clean session false) that behaves as a compliant
 * receiver: a QoS 2 message is delivered on first receipt and its packet id held until PUBREL;
 * a PUBLISH on a held id is acknowledged with PUBREC and not delivered again.
 */
export class DurableSubscriber {
  /** Deliveries per message key. */
  readonly received = new Map<string, number>();
  /** QoS 2 packet id → key of the message it was received for, until PUBREL. */
  readonly held = new Map<number, string>();
  /** New PUBLISH (DUP=0) on a held id: the broker reused an unreleased packet id. */
  readonly reuses: { packetId: number; heldFor: string; sentFor: string }[] = [];
  duplicates = 0;
  private send: ((p: Packet) => void) | undefined;
  private stopped = false;
  private socket: net.Socket | undefined;

  constructor(
    private readonly port: number,
    readonly clientId: string,
    private readonly filter: string,
  ) {}

  async start(): Promise<void> {
    const s = await connectRetrying(this.port, this.clientId, false, this.onPacket, this.onClose);
    this.send = s.send;
    this.socket = s.socket;
    if (!s.sessionPresent)
      await new Promise<void>((resolve) => {
        this.subackWait = resolve;
        s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: this.filter, qos: 2 }] });
      });
  }

  private subackWait: (() => void) | undefined;

  private deliver(key: string): void {
    const n = this.received.get(key) ?? 0;
    if (n > 0) this.duplicates++;
    this.received.set(key, n + 1);
  }

  private onPacket = (p: Packet, send: (p: Packet) => void): void => {
    if (p.cmd === 'suback') {
      this.subackWait?.();
      this.subackWait = undefined;
    } else if (p.cmd === 'publish') {
      const key = p.payload.toString();
      const id = p.messageId!;
      if (p.qos === 1) {
        this.deliver(key);
        send({ cmd: 'puback', messageId: id });
      } else if (p.qos === 2) {
        const heldFor = this.held.get(id);
        if (heldFor === undefined) {
          this.deliver(key);
          this.held.set(id, key);
        } else if (!p.dup || heldFor !== key) {
          // [MQTT-4.3.3-9] a compliant receiver discards it (it cannot tell it from a resend).
          this.reuses.push({ packetId: id, heldFor, sentFor: key });
        }
        send({ cmd: 'pubrec', messageId: id });
      } else this.deliver(key);
    } else if (p.cmd === 'pubrel') {
      this.held.delete(p.messageId!);
      send({ cmd: 'pubcomp', messageId: p.messageId! });
    }
  };

  private onClose = (): void => {
    this.send = undefined;
    if (!this.stopped) void this.reconnect();
  };

  private async reconnect(): Promise<void> {
    try {
      const s = await connectRetrying(
        this.port,
        this.clientId,
        false,
        this.onPacket,
        this.onClose,
        60_000,
        () => !this.stopped,
      );
      if (this.stopped) return void s.socket.destroy();
      this.send = s.send;
      this.socket = s.socket;
    } catch {
      // The run is over (the checker reports the missing messages).
    }
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }
}

interface Pending {
  key: string;
  qos: 1 | 2;
  /** `pub`: PUBLISH sent, no PUBACK/PUBREC yet; `rel`: PUBREC received, PUBREL sent. */
  state: 'pub' | 'rel';
}

/**
 * A persistent publisher (3.1.1, clean session false) streaming QoS 1 and QoS 2 messages
 * alternately with a window of in-flight messages; resends them after every reconnect (PUBLISH
 * with DUP=1, or PUBREL) like a compliant client. A message counts as acknowledged at PUBACK
 * (QoS 1) or PUBREC (QoS 2): from there the broker owns it.
 */
export class DurablePublisher {
  readonly acked = new Set<string>();
  readonly inflight = new Map<number, Pending>();
  sent = 0;
  private send: ((p: Packet) => void) | undefined;
  private nextId = 1;
  private producing = true;
  private stopped = false;
  private socket: net.Socket | undefined;

  constructor(
    private readonly port: number,
    readonly clientId: string,
    private readonly topic: string,
    private readonly window = 50,
  ) {}

  async start(): Promise<void> {
    await this.connect();
  }

  private async connect(): Promise<void> {
    const s = await connectRetrying(
      this.port,
      this.clientId,
      false,
      this.onPacket,
      this.onClose,
      60_000,
      () => !this.stopped,
    );
    if (this.stopped) return void s.socket.destroy();
    this.send = s.send;
    this.socket = s.socket;
    // [MQTT-4.4.0-1] resend what is unacknowledged, in order.
    for (const [id, m] of this.inflight) {
      if (m.state === 'rel') s.send({ cmd: 'pubrel', messageId: id });
      else this.publish(id, m, true);
    }
    this.fill();
  }

  private publish(id: number, m: Pending, dup: boolean): void {
    this.send?.({
      cmd: 'publish',
      topic: this.topic,
      payload: Buffer.from(m.key),
      qos: m.qos,
      dup,
      retain: false,
      messageId: id,
    });
  }

  private fill(): void {
    while (this.producing && this.send && this.inflight.size < this.window) {
      while (this.inflight.has(this.nextId)) this.nextId = (this.nextId % 65535) + 1;
      const id = this.nextId;
      this.nextId = (this.nextId % 65535) + 1;
      const seq = ++this.sent;
      const qos: 1 | 2 = seq % 2 === 0 ? 2 : 1;
      const m: Pending = { key: `${qos}:${seq}`, qos, state: 'pub' };
      this.inflight.set(id, m);
      this.publish(id, m, false);
    }
  }

  private onPacket = (p: Packet, send: (p: Packet) => void): void => {
    const id = (p as { messageId?: number }).messageId ?? 0;
    const m = this.inflight.get(id);
    if (p.cmd === 'puback' && m?.qos === 1) {
      this.acked.add(m.key);
      this.inflight.delete(id);
    } else if (p.cmd === 'pubrec' && m?.qos === 2) {
      this.acked.add(m.key);
      m.state = 'rel';
      send({ cmd: 'pubrel', messageId: id });
      return;
    } else if (p.cmd === 'pubcomp' && m?.qos === 2 && m.state === 'rel') {
      this.inflight.delete(id);
    } else return;
    this.fill();
  };

  private onClose = (): void => {
    this.send = undefined;
    if (!this.stopped) this.connect().catch(() => undefined);
  };

  /** Stop producing new messages; in-flight ones still complete. */
  finish(): void {
    this.producing = false;
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
  }
}

/** Wait until `cond()` or `ms` elapse; returns whether it held. */
export async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) return false;
    await delay(50);
  }
  return true;
}

/**
 * `n` persistent sessions (3.1.1, clean session false), each subscribed to one filter: resolves
 * once every CONNACK and SUBACK arrived — from then on the broker has acknowledged them. The
 * clients stay connected (destroy the returned sockets when done).
 */
export async function createSessions(port: number, prefix: string, n: number): Promise<net.Socket[]> {
  return Promise.all(
    Array.from({ length: n }, async (_, i) => {
      let subacked: () => void = () => undefined;
      const got = new Promise<void>((r) => (subacked = r));
      const s = await rawSession(
        port,
        `${prefix}-${i}`,
        false,
        (p) => (p.cmd === 'suback' ? subacked() : undefined),
        () => undefined,
      );
      s.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: `${prefix}/${i}`, qos: 1 }] });
      await got;
      return s.socket;
    }),
  );
}

/** How many of the `n` sessions a (restarted) broker still has: CONNACK session present. */
export async function countPresentSessions(port: number, prefix: string, n: number): Promise<number> {
  const present = await Promise.all(
    Array.from({ length: n }, async (_, i) => {
      const s = await connectRetrying(
        port,
        `${prefix}-${i}`,
        false,
        () => undefined,
        () => undefined,
      );
      s.socket.destroy();
      return s.sessionPresent;
    }),
  );
  return present.filter(Boolean).length;
}
