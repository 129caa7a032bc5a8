/**
 * The receiving half of the cross-node fan-out (nats-fan-out.ts): messages other nodes forwarded
 * here, and their session claims. A forwarded message is delivered here only — never forwarded
 * again, no server-side handlers (they ran on the node that received the PUBLISH) — and a QoS 1/2
 * one is answered once queued and durable here. A QoS 2 message carries its id (`Header.i`): a
 * resend of it (the origin timed out waiting for this node) is answered from the seen window, not
 * delivered twice (seen-messages.ts).
 */
import type { MsgHdrs } from 'nats';
import { SpanKind, type Logger } from '../core/index.js';
import {
  Route,
  tracedRoute,
  type FanOut,
  type FanOutHost,
  type HandedResend,
  type Message,
  type RouteScope,
} from '../mqtt/index.js';
import { forwardAnswer } from './forward-answer.js';
import { decodeFrame, type FanOutStats, type Header } from './fan-out-wire.js';
import { incomingTraceParent } from './nats-trace.js';
import { SeenMessages, type Answer } from './seen-messages.js';

const NO_GROUPS: ReadonlySet<string> = new Set();

/** A claim's answer, read by the claiming node: held or not, and the client's unacknowledged QoS 2 messages. */
export function claimAnswer(data: Uint8Array): { held: boolean; resends: HandedResend[] } {
  const text = Buffer.from(data).toString('utf8');
  if (!text.startsWith('{')) return { held: text === '1', resends: [] };
  try {
    const a = JSON.parse(text) as { h?: unknown; r?: unknown };
    const ok = (x: unknown): x is HandedResend =>
      Array.isArray(x) &&
      x.length === 4 &&
      Number.isInteger(x[0]) &&
      typeof x[1] === 'string' &&
      typeof x[2] === 'string' &&
      typeof x[3] === 'number';
    return { held: a.h === 1, resends: Array.isArray(a.r) ? a.r.filter(ok) : [] };
  } catch {
    return { held: false, resends: [] };
  }
}

/** Keyed with `a`: one message may come once for this node's sessions and once for those it adopted. */
const seenKey = (h: Header): string => (h.a === undefined ? h.i! : `${h.i}@${h.a}`);

export interface ForwardReceiverOptions {
  local: FanOut;
  host: FanOutHost;
  log: Logger;
  stats: FanOutStats;
  dedupeWindowMs?: number;
  dedupeMax?: number;
}

export class ForwardReceiver {
  /** Client ids adopted from each dead member (a re-sent forward with `a` reaches only them). */
  readonly adoptedFrom = new Map<string, Set<string>>();
  /**
   * Client ids whose session this node claimed while its holder was gone but not yet adopted
   * (NatsFanOut.claimSession): a re-sent forward with `a` reaches them too, unless this node
   * already took the same QoS 2 message directly (the session may have had it then).
   */
  readonly claimedFromGone = new Map<string, Set<string>>();
  private readonly seen: SeenMessages;

  constructor(private readonly o: ForwardReceiverOptions) {
    this.seen = new SeenMessages(o.dedupeWindowMs, o.dedupeMax);
  }

  adopted(member: string, clients: readonly string[]): void {
    const set = this.adoptedFrom.get(member) ?? new Set<string>();
    for (const c of clients) set.add(c);
    this.adoptedFrom.set(member, set);
  }

  claimedFrom(member: string, clientId: string): void {
    const set = this.claimedFromGone.get(member) ?? new Set<string>();
    set.add(clientId);
    this.claimedFromGone.set(member, set);
  }

  /** The sessions a re-sent forward for dead member `a` reaches here. */
  private sessionsOf(h: Header & { a: string }): Set<string> {
    const adopted = this.adoptedFrom.get(h.a);
    const claimed = this.claimedFromGone.get(h.a);
    if (!claimed || (h.i !== undefined && this.seen.has(h.i))) return adopted ?? new Set<string>();
    return adopted ? new Set([...adopted, ...claimed]) : claimed;
  }

  /** A forward on this node's subject; `accept` answers a QoS 1/2 one (a NATS request). */
  onForward(
    data: Uint8Array,
    trace: MsgHdrs | undefined,
    accept: ((answer?: Uint8Array) => void) | undefined,
  ): void {
    let msg: Message;
    let h: Header;
    try {
      ({ h, msg } = decodeFrame(data));
    } catch (err) {
      this.o.log.warn({ err }, 'cluster fan-out: malformed forward dropped');
      return;
    }
    this.o.stats.forwardedIn++;
    // A resend's retained copy was kept at the first attempt (a newer one may have replaced it since).
    if (h.k === 1 && !(h.i !== undefined && this.seen.has(seenKey(h)))) this.o.host.keepRetained(msg);
    if (!accept) {
      this.deliverHere(h, msg, false, trace).catch((err: unknown) =>
        this.o.log.warn({ err }, 'cluster fan-out: local delivery failed'),
      );
      return;
    }
    // Accepted once queued and durable here; the answer lists the copies dropped here.
    this.accept(h, msg, trace).then(
      (answer) => accept(answer),
      (err: unknown) => this.o.log.warn({ err }, 'cluster fan-out: forwarded message not accepted'),
    );
  }

  /** Deliver a QoS 1/2 forward here once per message id (within the window); resolves with its answer. */
  accept(h: Header, msg: Message, trace: MsgHdrs | undefined): Promise<Answer> {
    const deliver = (): Promise<Answer> => this.deliverHere(h, msg, true, trace).then(forwardAnswer);
    if (h.i === undefined) return deliver();
    const answer = this.seen.once(seenKey(h), deliver);
    this.o.stats.deduplicated = this.seen.deduplicated;
    return answer;
  }

  /** A resend whose first attempt was routed on another node: delivered here once per id. */
  deliverOnce(r: Route, scope: RouteScope): void {
    void this.seen
      .once(r.msg.id!, () => {
        this.o.local.route(r, scope);
        return (r.wait ?? Promise.resolve()).then(() => undefined);
      })
      .catch(() => undefined); // the route's own wait reports a failure to the publisher
    this.o.stats.deduplicated = this.seen.deduplicated;
  }

  /**
   * Another node claims a session held here (mqtt/handover.ts): release it, answer '1' if it was
   * held ('0' if not) — or, when the client left QoS 2 PUBLISHes unacknowledged here, `{h, r}` with
   * them (claimAnswer), so the node it connects to recognises their resends. Their ids count as
   * delivered here: the resend, forwarded back, is not delivered twice.
   */
  onClaim(data: Uint8Array, answer: (data: Uint8Array) => void): void {
    let req: { c: string; k: 0 | 1 };
    try {
      req = JSON.parse(Buffer.from(data).toString('utf8')) as { c: string; k: 0 | 1 };
    } catch {
      return;
    }
    this.o.host.releaseSession(req.c, req.k === 1).then(
      (held) => {
        const r = this.o.host.handOverResends(req.c);
        for (const [, id] of r) this.seen.mark(id);
        answer(Buffer.from(r.length === 0 ? (held ? '1' : '0') : JSON.stringify({ h: held ? 1 : 0, r })));
      },
      (err: unknown) => {
        // Not durable here: no answer, the claimer logs a timeout and goes on (at least once).
        this.o.log.error({ err, clientId: req.c }, 'cluster fan-out: session release failed');
      },
    );
  }

  /**
   * Delivered here only: not forwarded again, no server-side handlers; in the origin's trace when
   * `trace` carries a sampled context. Settles with the route once queued and durable here
   * (persistent sessions) and past flow control. `h.a`: only the sessions adopted from that dead
   * member.
   */
  private deliverHere(h: Header, msg: Message, acked: boolean, trace: MsgHdrs | undefined): Promise<Route> {
    const r = new Route(msg);
    const clients = h.a !== undefined ? this.sessionsOf(h as Header & { a: string }) : undefined;
    const scope: RouteScope = {
      remote: true,
      shared: h.g && !clients ? new Set(h.g) : NO_GROUPS,
      ...(clients ? { clients } : {}),
    };
    const parent = incomingTraceParent(trace);
    if (parent === undefined) this.o.local.route(r, scope);
    else
      tracedRoute(
        parent,
        msg,
        () => (this.o.local.route(r, scope), r),
        'mqtt deliver forwarded',
        SpanKind.CONSUMER,
      );
    if (!acked) return (r.wait ?? Promise.resolve()).then(() => r);
    return Promise.all([r.wait, this.o.host.flushed()]).then(() => r);
  }
}
