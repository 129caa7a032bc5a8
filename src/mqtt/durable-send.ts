/**
 * Nothing is acknowledged or announced to a client before the state it implies is committed
 * (docs/mqtt.md, "Durability across kill -9"): acknowledgements wait for the batch holding their
 * state (`ackWhenDurable`), and a PUBLISH with a new packet id or a PUBREL to a persistent session
 * waits for its message row (`sendAfterCommit`) — so every packet id a client may hold is in the
 * store, and a restarted broker never reuses one while it is unreleased.
 */
import type { Packet } from 'mqtt-packet';
import type { Logger } from '../core/index.js';
import type { Connection } from './connection.js';
import { encode } from './encode.js';
import type { GroupCommit } from './persistence.js';
import { RC } from './reason-codes.js';
import type { Session } from './session.js';

export interface DurableHost {
  readonly writer: GroupCommit;
  /** Counts persistence operations pushed so far. */
  readonly opsPushed: number;
  readonly log: Logger;
}

/**
 * Write `buf` to `c` once the state pushed so far is committed, in order with the other packets
 * held for `s` (`Session.held`). Immediate when the writer has nothing outstanding.
 */
export function sendAfterCommit(b: DurableHost, s: Session, c: Connection, buf: Buffer): void {
  if (s.held !== undefined && s.heldConn === c) {
    s.held.push(buf);
    return;
  }
  if (b.writer.idle) return c.writeRaw(buf);
  const held = [buf];
  s.held = held;
  s.heldConn = c;
  releaseAfterCommit(b, s, c, held);
}

function releaseAfterCommit(b: DurableHost, s: Session, c: Connection, held: Buffer[]): void {
  const n = held.length; // held before this wait: their state is in what flushed() covers
  b.writer.flushed().then(
    () => {
      if (s.held !== held) return;
      const gone = c.state === 'closed' || s.conn !== c;
      const upTo = gone || b.writer.idle ? held.length : n;
      // Held packets of a closed connection are dropped: their messages stay in flight and are
      // resent (DUP) when the client reconnects.
      if (!gone) for (let i = 0; i < upTo; i++) c.writeRaw(held[i]!);
      held.splice(0, upTo);
      if (held.length > 0) return releaseAfterCommit(b, s, c, held);
      s.held = undefined;
      s.heldConn = undefined;
    },
    (err: unknown) => {
      if (s.held === held) {
        s.held = undefined;
        s.heldConn = undefined;
      }
      b.log.error({ err, clientId: s.clientId }, 'mqtt: delivery state not persisted, disconnecting');
      c.close('socket_error', RC.unspecified, 'persistence failed');
    },
  );
}

/** `sendAfterCommit` for a packet object (PUBREL). */
export function sendPacketAfterCommit(b: DurableHost, s: Session, c: Connection, packet: Packet): void {
  if (c.state === 'closed') return;
  const buf = encode(packet, c.version);
  if (buf) sendAfterCommit(b, s, c, buf);
}

/**
 * Acknowledge once everything pushed to persistence since `before` (an `opsPushed` value) is
 * committed, in order with the connection's other deferred acknowledgements. If the commit fails
 * the client is disconnected without it, so it resends.
 */
export function ackWhenDurable(b: DurableHost, c: Connection, before: number, packet: Packet): void {
  if (b.opsPushed === before) return c.ack(packet);
  const pending = c.deferAck();
  b.writer.flushed().then(
    () => c.completeAck(pending, packet),
    (err: unknown) => {
      b.log.error({ err, clientId: c.info?.clientId }, 'mqtt: state not persisted, disconnecting');
      c.close('socket_error', RC.unspecified, 'persistence failed');
    },
  );
}
