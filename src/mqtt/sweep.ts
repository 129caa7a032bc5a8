/**
 * The broker's timers: one shared sweep every second for every keep-alive, connect timeout,
 * stalled subscriber and session expiry (no per-client timers), the connect rate per address,
 * and the `$SYS` publication.
 */
import type { Clock, Logger } from '../core/index.js';
import type { Connection } from './connection.js';
import { STALL_MS, type Delivery } from './delivery.js';
import { RC } from './reason-codes.js';
import type { SessionRoom } from './sessions.js';
import type { WillRoom } from './wills.js';

const SWEEP_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;
/** `seenNow()` past this (~12 days) moves its base: `lastSeen` stays a small integer. */
const SEEN_REBASE_MS = 2 ** 30;

export interface SweepHost {
  readonly clock: Clock;
  readonly log: Logger;
  /** Every open connection. */
  connections(): Iterable<Connection>;
  readonly sessions: SessionRoom;
  readonly delivery: Delivery;
  readonly wills: WillRoom;
  readonly running: boolean;
  publishSys(): void;
  /** Connections' `lastSeen` time base, and moving it to now (broker.ts). */
  seenNow(): number;
  rebaseSeen(): void;
}

export class Sweeper {
  private connectRate = new Map<string, { second: number; count: number }>();
  private stopSweep: (() => void) | undefined;
  private stopSys: (() => void) | undefined;

  constructor(
    private readonly host: SweepHost,
    private readonly connectRatePerIp: number,
    private readonly sysIntervalMs: number,
  ) {}

  start(): void {
    this.scheduleSweep();
    if (this.sysIntervalMs > 0) this.scheduleSys();
  }

  stop(): void {
    this.stopSweep?.();
    this.stopSys?.();
  }

  /** Connect attempts per second per remote address (limits.connectRatePerIp). */
  connectRateExceeded(ip: string): boolean {
    const second = Math.floor(this.host.clock.now() / 1000);
    let e = this.connectRate.get(ip);
    if (!e || e.second !== second) {
      e = { second, count: 0 };
      this.connectRate.set(ip, e);
    }
    return ++e.count > this.connectRatePerIp;
  }

  private scheduleSweep(): void {
    this.stopSweep = this.host.clock.setTimer(SWEEP_MS, () => {
      this.sweep();
      if (this.host.running) this.scheduleSweep();
    });
  }

  private scheduleSys(): void {
    this.stopSys = this.host.clock.setTimer(this.sysIntervalMs, () => {
      this.host.publishSys();
      if (this.host.running) this.scheduleSys();
    });
  }

  sweep(): void {
    const { host } = this;
    if (host.wills.restoredPending) host.wills.publishRestored();
    const now = host.clock.now();
    if (host.seenNow() > SEEN_REBASE_MS) host.rebaseSeen();
    const seen = host.seenNow();
    let late: Connection[] | undefined;
    for (const c of host.connections()) {
      if (c.state === 'connected' && c.flowBlocked) c.lastSeen = seen;
      else if (timedOut(c, seen)) (late ??= []).push(c);
    }
    // Timers run before the loop polls sockets: on a busy broker, bytes a client sent in time may
    // still wait unread in the kernel. Judge again after the next poll phase has read them, so a
    // reconnect storm is not cut off by the broker's own lag.
    if (late) setImmediate(() => this.closeTimedOut(late));
    for (const s of host.delivery.congested) {
      if (now - s.progressAt <= STALL_MS) continue;
      // The subscriber stopped acknowledging: its publishers go on, its new QoS 1/2 messages
      // are dropped (counted) while its queue stays full.
      host.log.warn({ clientId: s.clientId, queued: s.queued }, 'mqtt: subscriber stalled, queue full');
      host.delivery.releaseRoom(s);
    }
    host.sessions.expire(now);
    const second = Math.floor(now / 1000);
    for (const [ip, e] of this.connectRate) if (e.second !== second) this.connectRate.delete(ip);
  }

  private closeTimedOut(conns: Connection[]): void {
    const seen = this.host.seenNow();
    for (const c of conns) {
      if (!timedOut(c, seen)) continue;
      if (c.state === 'connected') c.close('keepalive_timeout', RC.keepAliveTimeout, 'keep-alive timeout');
      else c.close('keepalive_timeout');
    }
  }
}

/**
 * [MQTT-3.1.2-24] one and a half times the keep-alive without a packet; a socket that sent no
 * CONNECT within CONNECT_TIMEOUT_MS. A connection the broker itself stopped reading (flow
 * control) is not timed out for it.
 */
function timedOut(c: Connection, seen: number): boolean {
  if (c.state === 'connected')
    return !c.flowBlocked && c.keepaliveMs > 0 && seen - c.lastSeen > c.keepaliveMs * 1.5;
  return c.state === 'awaiting_connect' && seen - c.lastSeen > CONNECT_TIMEOUT_MS;
}
