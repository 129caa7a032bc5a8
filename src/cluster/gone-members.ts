/**
 * Forwards to a member that is gone (cluster/nats-fan-out.ts): a QoS 1/2 forward answered "no
 * responders" waits until a node adopted the gone member's sessions (cluster/orphans.ts, the `x`
 * announcement) and is re-sent for those sessions only — to the adopter and to every node that
 * reclaimed one of them before the adoption — in order per gone member.
 */
import type { MsgHdrs, NatsConnection, NatsError } from 'nats';
import type { Logger } from '../core/index.js';
import { encodeFrame, noResponders, type Header } from './fan-out-wire.js';

export interface GoneMembersOptions {
  nc: NatsConnection;
  base: string;
  log: Logger;
  member: string;
  ackTimeoutMs: number;
  orphanWaitMs: number;
  stats: { redelivered: number; forwardTimeouts: number };
  /**
   * Deliver on this node (it adopted the gone member): settles once queued and durable, with the
   * answer a forward gets (the copies dropped here; cluster/forward-answer.ts).
   */
  deliverHere(h: Header, payload: Buffer, trace: MsgHdrs | undefined): Promise<Uint8Array | undefined>;
  /** The other members this node hears now (a client may have reclaimed its session on any). */
  liveMembers(): string[];
}

export class GoneMembers {
  /** Gone member → the member that adopted its sessions. */
  readonly adoptedBy = new Map<string, string>();
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly o: GoneMembersOptions) {}

  /**
   * `target` is gone (no responders): wait until a node adopted its sessions, then send the
   * message there for those sessions only (or deliver it here when this node adopted them). A
   * NATS blip is retried on `target` itself. Not adopted within `orphanWaitMs`: accepted as before
   * (the node had nothing durable to deliver to), logged. The trace headers go along; `answered`
   * hears the answer of the node that accepted it (the copies it dropped).
   */
  redeliver(
    target: string,
    h: Header,
    payload: Buffer,
    trace: MsgHdrs | undefined,
    answered: (node: string, answer: Uint8Array | undefined) => void,
  ): Promise<void> {
    // One after the other per gone member: publisher order holds when they are re-sent.
    const prev = this.chains.get(target) ?? Promise.resolve();
    const p = prev.catch(() => undefined).then(() => this.redeliverOne(target, h, payload, trace, answered));
    this.chains.set(target, p);
    // Not `p.finally(…)`: that is a second promise, rejected with p and observed by nobody — an
    // unhandled rejection that ended a node (the caller handles p's rejection: not acknowledged).
    const forget = (): void => {
      if (this.chains.get(target) === p) this.chains.delete(target);
    };
    void p.then(forget, forget);
    return p;
  }

  private async redeliverOne(
    target: string,
    h: Header,
    payload: Buffer,
    trace: MsgHdrs | undefined,
    answered: (node: string, answer: Uint8Array | undefined) => void,
  ): Promise<void> {
    const deadline = performance.now() + this.o.orphanWaitMs;
    const sleep = (): Promise<void> => new Promise((r) => setTimeout(r, 250));
    const giveUp = (): void =>
      this.o.log.warn(
        { target, topic: h.t },
        'cluster fan-out: gone member not adopted in time, forward dropped',
      );
    for (;;) {
      const by = this.adoptedBy.get(target);
      if (by !== undefined) return this.resendForGone(target, by, h, payload, trace, answered);
      if (by === undefined) {
        if (performance.now() > deadline) return giveUp();
        await sleep();
        if (this.adoptedBy.has(target)) continue;
      }
      try {
        // A NATS blip, not a death: the member may answer on its own subject again.
        const m = await this.o.nc.request(`${this.o.base}.f.${target}`, encodeFrame(h, payload), {
          timeout: this.o.ackTimeoutMs,
          ...(trace ? { headers: trace } : {}),
        });
        answered(target, m.data);
        return;
      } catch (err) {
        if (!noResponders(err as NatsError)) {
          this.o.stats.forwardTimeouts++;
          throw err;
        }
        if (performance.now() > deadline) return giveUp();
      }
    }
  }

  /**
   * Adopted: re-send for `target`'s sessions (header `a`) to the adopter — and to every other live
   * node, since a client may have reclaimed its session on one before the adoption (that node
   * recorded it, cluster/forward-receiver.ts `claimedFromGone`). A node with none of them delivers
   * nothing. Accepted once every node answered; a node that is gone by now is passed over, one
   * that does not answer in time rejects (the publisher resends: at least once).
   */
  private async resendForGone(
    target: string,
    by: string,
    h: Header,
    payload: Buffer,
    trace: MsgHdrs | undefined,
    answered: (node: string, answer: Uint8Array | undefined) => void,
  ): Promise<void> {
    const frame = { ...h, a: target };
    const nodes = new Set([by, this.o.member, ...this.o.liveMembers()]);
    nodes.delete(target);
    this.o.stats.redelivered++;
    await Promise.all(
      [...nodes].map(async (node) => {
        if (node === this.o.member) return answered(node, await this.o.deliverHere(frame, payload, trace));
        try {
          const m = await this.o.nc.request(`${this.o.base}.f.${node}`, encodeFrame(frame, payload), {
            timeout: this.o.ackTimeoutMs,
            ...(trace ? { headers: trace } : {}),
          });
          answered(node, m.data);
        } catch (err) {
          if (noResponders(err as NatsError) && node !== by) return;
          this.o.stats.forwardTimeouts++;
          throw err;
        }
      }),
    );
  }
}
