/**
 * Persisted wills: a client's will is stored at CONNECT and removed when it is published or
 * discarded, so a broker that stops or crashes while the client is connected (or while a delayed
 * will is pending) publishes it after restart, unless the client reconnected first.
 *
 * Will delay after a restart [MQTT-3.1.3-9]: the delay counts from the moment the broker saw the
 * network connection close. For a client still connected when the broker stopped or crashed the
 * broker only learns of the close at restart, so the delay counts from the restart — a device
 * gets its full delay to reconnect to the restarted broker before its will fires. A will whose
 * client had already disconnected counts from that disconnect. As before, the will fires no
 * later than its session ends (session expiry counts the same way, see restore.ts).
 */
import type { Clock } from '../core/index.js';
import type { ClientInfo } from './api.js';
import type { StateWriter } from './host.js';
import type { PersistOp, StoredWill } from './persistence.js';
import type { RouteResult } from './route.js';
import type { Session } from './session.js';
import type { Message, Will } from './types.js';

export interface WillHost {
  readonly clock: Clock;
  readonly sessions: ReadonlyMap<string, Session>;
  persist(op: PersistOp): void;
  publishWill(clientId: string, w: Will): void;
}

/**
 * The wills room: when a will is published (abnormal close, after its delay, at session end, or
 * after a restart) and how. `authorize` is the publish authorization (handlers/authorize.ts);
 * `route` hands the will to the fan-out.
 */
export class WillRoom implements WillHost {
  /** Wills due at restart, published by `publishRestored()` (or the first sweep). */
  private restored: (() => void)[] = [];

  constructor(
    readonly clock: Clock,
    readonly sessions: ReadonlyMap<string, Session>,
    private readonly state: StateWriter,
    private readonly authorize: (clientId: string, w: Will, publish: () => void) => void,
    private readonly route: (msg: Message) => RouteResult,
    private readonly running: () => boolean,
    /** A will some node did not confirm in time (cluster forward): nobody acknowledges a will, so logged. */
    private readonly unconfirmed: (err: unknown, topic: string) => void,
  ) {}

  persist(op: PersistOp): void {
    this.state.persist(op);
  }

  /** Authorized again when due, with the same check as PUBLISH (the ACL may have changed). */
  publishWill(clientId: string, w: Will): void {
    this.authorize(clientId, w, () => {
      const r = this.route({
        topic: w.topic,
        payload: w.payload,
        qos: w.qos,
        retain: w.retain,
        properties: w.properties,
        publisherId: clientId,
        expiresAt: w.expiryInterval === undefined ? undefined : this.clock.now() + w.expiryInterval * 1000,
      });
      // Observed, always: a rejected wait left alone is an unhandled rejection, which ends the
      // process (after a kill -9 under load it ended both surviving nodes).
      r.wait?.catch((err: unknown) => this.unconfirmed(err, w.topic));
    });
  }

  /** At start, after the sessions are restored. */
  restore(wills: readonly StoredWill[], now: number): void {
    this.restored = restoreWills(this, wills, now);
  }

  get restoredPending(): boolean {
    return this.restored.length > 0;
  }

  /** Publish the wills due at restart (once the platform's server-side subscribers are wired). */
  publishRestored(): void {
    const due = this.restored;
    this.restored = [];
    for (const f of due) f();
  }

  /** Abnormal close: publish the will now, or after its delay while the session lives [MQTT-3.1.3-9]. */
  onClose(s: Session): void {
    const w = s.will;
    if (!w || !this.running()) {
      if (!this.running()) s.will = undefined;
      return;
    }
    if (w.delay > 0 && s.persistent) {
      markWillDisconnected(this, s, w);
      scheduleWill(this, s, Math.min(w.delay, s.expiryInterval) * 1000);
      return;
    }
    fireWill(this, s);
  }

  /** The session ends: a pending delayed will is sent now; the stored will goes. */
  onSessionEnd(s: Session): void {
    if (s.cancelWill) {
      s.cancelWill();
      s.cancelWill = undefined;
      fireWill(this, s);
    }
    if (this.running()) dropStoredWill(this, s);
  }

  /** The client reconnected before the will delay elapsed: the will is cancelled [MQTT-3.1.3-9]. */
  cancelDelayed(s: Session): void {
    s.cancelWill?.();
    s.cancelWill = undefined;
  }
}

function stored(
  clientId: string,
  w: Will,
  disconnectedAt: number | null,
  info: ClientInfo | undefined,
): StoredWill {
  return {
    clientId,
    topic: w.topic,
    payload: w.payload,
    qos: w.qos,
    retain: w.retain,
    properties: w.properties,
    delay: w.delay,
    expiryInterval: w.expiryInterval,
    disconnectedAt,
    info,
  };
}

/** At CONNECT (after `s.will` is set): store the new will, or remove the previous one. */
export function recordWill(b: WillHost, s: Session, info: ClientInfo): void {
  // Only a session with a will keeps the client's info (most have none: idle memory).
  s.willInfo = s.will ? info : undefined;
  if (s.will) {
    b.persist({ op: 'will.put', will: stored(s.clientId, s.will, null, info) });
    s.willStored = true;
  } else dropStoredWill(b, s);
}

/** The will was published or discarded: remove its row. */
export function dropStoredWill(b: WillHost, s: Session): void {
  if (!s.willStored) return;
  b.persist({ op: 'will.delete', clientId: s.clientId });
  s.willStored = false;
}

/** A delayed will starts counting: remember when, so a restart keeps counting from there. */
export function markWillDisconnected(b: WillHost, s: Session, w: Will): void {
  if (!s.willStored) return;
  b.persist({ op: 'will.put', will: stored(s.clientId, w, b.clock.now(), s.willInfo) });
}

/** Publish the session's will now (it is removed from the session and from the store). */
export function fireWill(b: WillHost, s: Session): void {
  const w = s.will;
  s.will = undefined;
  dropStoredWill(b, s);
  if (w) b.publishWill(s.clientId, w);
}

/** Publish the will after `ms` unless the client reconnects first (`cancelWill`). */
export function scheduleWill(b: WillHost, s: Session, ms: number): void {
  s.cancelWill = b.clock.setTimer(ms, () => {
    s.cancelWill = undefined;
    fireWill(b, s);
  });
}

/**
 * After restore: wills of restored persistent sessions wait for the rest of their delay (capped
 * by the session expiry). Wills due now — without a persistent session (their session ended when
 * the connection did), or past their delay — are returned, to be published once the platform's
 * server-side subscribers are wired (`WillRoom.publishRestored`).
 */
export function restoreWills(b: WillHost, wills: readonly StoredWill[], now: number): (() => void)[] {
  const due: (() => void)[] = [];
  for (const r of wills) {
    const w = willOf(r);
    const s = b.sessions.get(r.clientId);
    if (!s || !s.persistent) {
      due.push(() => {
        const now = b.sessions.get(r.clientId);
        // Reconnected before the restored wills went out: that connection replaced the will.
        if (now?.conn) {
          if (!now.willStored) b.persist({ op: 'will.delete', clientId: r.clientId });
          return;
        }
        b.persist({ op: 'will.delete', clientId: r.clientId });
        b.publishWill(r.clientId, w);
      });
      continue;
    }
    s.will = w;
    s.willStored = true;
    s.willInfo = r.info;
    const from = r.disconnectedAt ?? now;
    // Counted from this restart: a second crash before it fires does not restart the delay.
    if (r.disconnectedAt === null) markWillDisconnected(b, s, w);
    const at = from + Math.min(r.delay, s.expiryInterval) * 1000;
    if (at <= now) due.push(() => (s.will === w ? fireWill(b, s) : undefined));
    else scheduleWill(b, s, at - now);
  }
  return due;
}

/** A stored will as the broker publishes it (authorized again as its client, handlers/authorize.ts). */
export function willOf(r: StoredWill): Will {
  return {
    topic: r.topic,
    payload: r.payload,
    qos: r.qos,
    retain: r.retain,
    properties: r.properties,
    delay: r.delay,
    expiryInterval: r.expiryInterval,
    ...(r.info ? { client: r.info } : {}),
  };
}
