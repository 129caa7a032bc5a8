/**
 * QoS 2 PUBLISHes that were routed but never acknowledged: the PUBREC was not sent when the
 * publisher's connection closed (a cluster forward timed out, a write failed, or the client went
 * away while the acknowledgement waited). The client resends them after reconnecting with the
 * same packet id ([MQTT-4.4.0-1] for a resumed session; mqtt.js and others do it for a clean one
 * too, without the DUP flag). Recognised here — same client id, packet id, topic and payload — the
 * resend is routed as a resend (`RouteScope.resend`): not delivered on this node again (it was at
 * the first attempt), forwarded to the other nodes under the first attempt's message id, which
 * they deduplicate (cluster/seen-messages.ts). That is what keeps QoS 2 exactly once when a
 * forward to a slow node timed out (docs/cluster.md, "QoS 2 after a forward timeout").
 *
 * Bounded: an entry lives `windowMs` and at most `max` are kept, oldest dropped first. In memory
 * on the node the client was connected to; a cluster hands a client's entries to the node it
 * reconnects to with the session claim (`handOver` / `accept`). Not kept across a restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Message } from './types.js';

/** A QoS 2 PUBLISH whose PUBREC waits (held by its connection's deferred acknowledgement). */
export interface Qos2Unacked {
  packetId: number;
  msg: Message;
  /** What its PUBREC waited for (handlers, writes, forwards): a resend's PUBREC waits for it too. */
  wait: Promise<void> | undefined;
}

/**
 * A recognised resend: the first attempt's id; `here` when it was routed on this node (else on the
 * node that handed the client over); when that attempt's work here settled.
 */
export interface Resent {
  id: string;
  here: boolean;
  settled: Promise<void> | undefined;
}

interface Entry extends Resent {
  digest: string;
  until: number;
}

/** An entry moving to another node with the client: packet id, message id, digest, ms left. */
export type HandedResend = [number, string, string, number];

const settle = (): undefined => undefined;

/** How long a resend is recognised: past the forward timeout, a reconnect and a session claim. */
export const RESEND_WINDOW_MS = 120_000;
const RESEND_MAX = 10_000;

const digestOf = (topic: string, payload: Buffer): string =>
  createHash('sha256').update(topic).update('\u0000').update(payload).digest('base64');

export class Qos2Resends {
  /** Key: client id NUL packet id; insertion order = expiry order (one window for all). */
  private readonly entries = new Map<string, Entry>();
  /** Random per broker process: ids never repeat across nodes or restarts. */
  private readonly prefix = randomBytes(6).toString('base64url');
  private seq = 0;

  constructor(
    private readonly now: () => number,
    private readonly windowMs = RESEND_WINDOW_MS,
    private readonly max = RESEND_MAX,
  ) {}

  /** The id of a client's new QoS 2 PUBLISH, unique cluster-wide. */
  nextId(): string {
    return `${this.prefix}.${(++this.seq).toString(36)}`;
  }

  get size(): number {
    return this.entries.size;
  }

  /** The connection of `clientId` closed with these PUBRECs unsent: recognise their resends. */
  remember(clientId: string, unacked: readonly Qos2Unacked[]): void {
    if (unacked.length === 0) return;
    const until = this.now() + this.windowMs;
    for (const { packetId, msg, wait } of unacked) {
      if (msg.id === undefined) continue;
      const k = `${clientId}\u0000${packetId}`;
      this.entries.delete(k); // re-inserted last: the order stays the expiry order
      const settled = wait?.then(settle, settle); // failed or not: the resend decides anew
      const digest = digestOf(msg.topic, msg.payload);
      this.entries.set(k, { id: msg.id, here: true, settled, digest, until });
    }
    this.trim();
  }

  /**
   * The first attempt when this PUBLISH resends an unacknowledged one (same packet id, topic and
   * payload, within the window); undefined otherwise. The entry is consumed either way: a
   * different message under that packet id means the client moved on.
   */
  take(clientId: string, packetId: number, topic: string, payload: Buffer): Resent | undefined {
    if (this.entries.size === 0) return undefined;
    const k = `${clientId}\u0000${packetId}`;
    const e = this.entries.get(k);
    if (e === undefined) return undefined;
    this.entries.delete(k);
    if (e.until < this.now() || e.digest !== digestOf(topic, payload)) return undefined;
    return { id: e.id, here: e.here, settled: e.settled };
  }

  /** The client connects to another node: its entries go there (and are forgotten here). */
  handOver(clientId: string): HandedResend[] {
    if (this.entries.size === 0) return [];
    const out: HandedResend[] = [];
    const prefix = `${clientId}\u0000`;
    const now = this.now();
    for (const [k, e] of this.entries)
      if (k.startsWith(prefix)) {
        this.entries.delete(k);
        if (e.until > now) out.push([Number(k.slice(prefix.length)), e.id, e.digest, e.until - now]);
      }
    return out;
  }

  /** Entries another node handed over with the client (the first attempt's local work was there). */
  accept(clientId: string, handed: readonly HandedResend[]): void {
    const now = this.now();
    for (const [packetId, id, digest, left] of handed) {
      const k = `${clientId}\u0000${packetId}`;
      this.entries.delete(k);
      const until = now + Math.min(left, this.windowMs);
      this.entries.set(k, { id, here: false, settled: undefined, digest, until });
    }
    this.trim();
  }

  private trim(): void {
    const now = this.now();
    for (const [k, e] of this.entries) {
      if (this.entries.size <= this.max && e.until >= now) break;
      this.entries.delete(k);
    }
  }
}
