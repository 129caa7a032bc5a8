/**
 * Cross-node MQTT fan-out over NATS core (issue 13; docs/cluster.md "Fan-out"). Wraps the broker's
 * local fan-out: a PUBLISH is delivered here as before, then forwarded to the nodes that hold a
 * matching filter — and only to them (interest-based forwarding, as EMQX's route table).
 *
 * - Interest: every node announces the filters its clients hold on `<base>.i`: deltas as they
 *   change (batched per tick), a digest of its set every `resyncMs` (a peer whose copy differs
 *   asks for the full set), a hello at start (peers answer with
 *   their full sets) and a bye at close. A member not heard for `expireMs` is dropped, so a node
 *   killed with -9 stops receiving forwards and its restarted successor (new member id) converges
 *   at its first full set. A gap in a member's sequence numbers asks it for its full set.
 * - Forwarding: one NATS message per target node on `<base>.f.<member>`. The receiver delivers it
 *   locally only — never re-forwarded (no loops), no server-side handlers (they ran on the node
 *   that received the PUBLISH); forward-receiver.ts.
 * - QoS 2 exactly once past a forward timeout: a client's QoS 2 message carries its id; the
 *   publisher's resend of an unacknowledged one is forwarded again (`RouteScope.resend`, nothing
 *   delivered here twice) and receivers that already accepted it answer from their seen window.
 * - `$share/{group}/…`: the origin picks one node per group among those holding members (round
 *   robin), and only that node delivers to the group (one member cluster-wide).
 * - Retained: stored durably by the origin (the shared PostgreSQL store); retained PUBLISHes are
 *   also sent to every live node so their in-memory index follows.
 * - QoS 0 is one NATS core publish per node (at most once, no backpressure). QoS 1/2 is a NATS
 *   request: the origin acknowledges the publisher only once every interested node answered that
 *   the message is queued (durably for persistent sessions) — see `send`.
 */
import { randomBytes } from 'node:crypto';
import { type MsgHdrs, type NatsError, type Subscription as NatsSubscription } from 'nats';
import { hashKey } from '../core/index.js';
import {
  ForwardTimeoutError,
  type Route,
  SessionBusyError,
  type FanOut,
  type FanOutHost,
  type MessageHandler,
  type RouteScope,
  type Subscription,
} from '../mqtt/index.js';
import { addRemoteDrops } from './forward-answer.js';
import { claimAnswer, ForwardReceiver } from './forward-receiver.js';
import { InterestTable } from './interest.js';
import { outgoingTraceHeaders } from './nats-trace.js';
import { GoneMembers } from './gone-members.js';
import {
  memberOf,
  newStats,
  type FanOutStats,
  type NatsFanOutOptions,
  decodeMessage,
  encodeFrame,
  header,
  noResponders,
  type Announce,
  type Header,
} from './fan-out-wire.js';

export { memberOf, type FanOutStats, type NatsFanOutOptions } from './fan-out-wire.js';

const NO_GROUPS: ReadonlySet<string> = new Set();

export class NatsFanOut implements FanOut {
  /** Unique per process: a restarted node is a new member. */
  readonly member: string;
  private readonly interest = new InterestTable();
  private readonly counts = new Map<string, number>();
  private pendingAdd = new Set<string>();
  private pendingDel = new Set<string>();
  private flushScheduled = false;
  private seq = 0;
  private readonly lastSeq = new Map<string, number>();
  private readonly heard = new Map<string, number>();
  private readonly rr = new Map<string, number>();
  private readonly subs: NatsSubscription[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly resyncMs: number;
  private readonly expireMs: number;
  private readonly ackTimeoutMs: number;
  /** Ownership member id per fan-out member, from announcements (candidates for adoption). */
  private readonly owners = new Map<string, string>();
  private readonly gone: GoneMembers;
  private readonly receiver: ForwardReceiver;
  readonly stats: FanOutStats = newStats();

  constructor(
    private readonly local: FanOut,
    private readonly host: FanOutHost,
    private readonly o: NatsFanOutOptions,
  ) {
    this.member = o.member ?? `${memberOf(o.nodeId)}-${randomBytes(4).toString('hex')}`;
    this.resyncMs = o.resyncMs ?? 2000;
    this.expireMs = o.expireMs ?? 3 * this.resyncMs;
    this.ackTimeoutMs = o.ackTimeoutMs ?? 5000;
    this.receiver = new ForwardReceiver({ ...o, local, host, stats: this.stats });
    this.gone = new GoneMembers({
      ...o,
      member: this.member,
      ackTimeoutMs: this.ackTimeoutMs,
      orphanWaitMs: o.orphanWaitMs ?? 30_000,
      stats: this.stats,
      deliverHere: (h, payload, trace) => this.receiver.accept(h, decodeMessage(h, payload), trace),
      liveMembers: () => [...this.heard.keys()],
    });
  }

  /** Subscribe to the interest and forward subjects, say hello, start the resync timer. */
  start(): void {
    const { nc, base } = this.o;
    this.subs.push(
      nc.subscribe(`${base}.i`, {
        callback: (err, m) => {
          if (!err) this.onAnnounce(m.data);
        },
      }),
      nc.subscribe(`${base}.f.${this.member}`, {
        callback: (err, m) => {
          if (!err)
            this.receiver.onForward(m.data, m.headers, m.reply ? (answer) => m.respond(answer) : undefined);
        },
      }),
      nc.subscribe(`${base}.t.${this.member}`, {
        callback: (err, m) => {
          if (!err) this.receiver.onClaim(m.data, (answer) => m.respond(answer));
        },
      }),
    );
    this.announce({ o: this.member, s: ++this.seq, k: 'h', ...this.ownerField() });
    this.announceFull();
    this.timer = setInterval(() => this.tick(), this.resyncMs);
    this.timer.unref();
  }

  get subscriptionCount(): number {
    return this.local.subscriptionCount;
  }

  addSubscription(sub: Subscription): void {
    this.local.addSubscription(sub);
    const n = this.counts.get(sub.raw) ?? 0;
    this.counts.set(sub.raw, n + 1);
    if (n === 0) {
      this.interest.add(this.member, sub.raw);
      if (!this.pendingDel.delete(sub.raw)) this.pendingAdd.add(sub.raw);
      this.scheduleFlush();
    }
  }

  removeSubscription(sub: Subscription): void {
    this.local.removeSubscription(sub);
    const n = this.counts.get(sub.raw) ?? 0;
    if (n <= 1) {
      this.counts.delete(sub.raw);
      if (n === 0) return;
      this.interest.remove(this.member, sub.raw);
      if (!this.pendingAdd.delete(sub.raw)) this.pendingDel.add(sub.raw);
      this.scheduleFlush();
    } else this.counts.set(sub.raw, n - 1);
  }

  addHandler(filter: string, handler: MessageHandler): () => void {
    return this.local.addHandler(filter, handler);
  }

  route(r: Route, scope?: RouteScope): void {
    const msg = r.msg;
    const resend = scope?.resend;
    if ((scope !== undefined && resend === undefined) || this.closed || msg.topic.startsWith('$SYS/')) {
      this.local.route(r, scope);
      return;
    }
    const m = this.interest.match(msg.topic);
    let groupsFor: Map<string, string[]> | undefined;
    let localGroups: Set<string> | undefined;
    for (const [key, holders] of m.shared) {
      // A QoS 2 message picks by its id: its resend goes to the same node (deduplicated there).
      const i = msg.id === undefined ? (this.rr.get(key) ?? 0) : hashKey(msg.id);
      if (msg.id === undefined) this.rr.set(key, i + 1);
      const pick = holders[i % holders.length]!;
      if (pick === this.member) (localGroups ??= new Set()).add(key);
      else {
        groupsFor ??= new Map();
        const g = groupsFor.get(pick);
        if (g) g.push(key);
        else groupsFor.set(pick, [key]);
      }
    }
    const here = m.shared.size > 0 ? { shared: localGroups ?? NO_GROUPS } : undefined;
    // A resend routed here before: delivered then. One whose client came from another node: here
    // once per id (the first attempt may have been forwarded here), no handlers (they ran there).
    if (resend === undefined) this.local.route(r, here);
    else if (resend === 'elsewhere') this.receiver.deliverOnce(r, { remote: true, ...here });

    let targets: Iterable<string> = m.members;
    if (msg.retain) targets = this.interest.members();
    else if (groupsFor) targets = new Set([...m.members, ...groupsFor.keys()]);
    let head: Header | undefined;
    let trace: MsgHdrs | undefined;
    for (const t of targets) {
      if (t === this.member) continue;
      if (head === undefined) {
        head = header(msg);
        trace = outgoingTraceHeaders(); // inside the `mqtt deliver` span when sampled
      }
      const g = groupsFor?.get(t);
      r.forwarded++;
      const p = this.send(t, g ? { ...head, g } : head, msg.payload, msg.qos > 0 ? r : undefined, trace);
      if (p) r.waitFor(p);
    }
  }

  /**
   * Session takeover (mqtt/handover.ts): ask every known member to release `clientId` (close its
   * connection with 0x8E, make its state durable, forget or end the session) and wait for their
   * answers. A member that is gone answers "no responders" at once; one that does not answer in
   * time is logged and passed over (its connection, if any, is then not closed by this takeover).
   */
  async claimSession(clientId: string, clean: boolean): Promise<void> {
    this.stats.claims++;
    const data = Buffer.from(JSON.stringify({ c: clientId, k: clean ? 1 : 0 }));
    const silent: string[] = [];
    const gone: string[] = [];
    await Promise.all(
      [...this.heard.keys()].map((member) =>
        this.o.nc.request(`${this.o.base}.t.${member}`, data, { timeout: this.ackTimeoutMs }).then(
          (m) => {
            const { held, resends } = claimAnswer(m.data);
            if (held) this.stats.sessionsTakenOver++;
            if (resends.length > 0) this.host.acceptResends(clientId, resends);
          },
          (err: NatsError) => {
            if (noResponders(err)) return void gone.push(member);
            this.o.log.warn({ err, member, clientId }, 'cluster fan-out: session claim not answered');
            silent.push(member);
          },
        ),
      ),
    );
    if (gone.length > 0 || silent.length > 0) await this.claimedFromGone(clientId, gone, silent);
  }

  /**
   * After a claim: a holder that is gone (no responders: killed, not yet adopted) may have been
   * sent messages for this session that wait for its adoption; recording it here lets those
   * re-sent forwards (header `a`) reach the session on this node (cluster/gone-members.ts). A
   * holder that did not answer fences the claim.
   */
  private async claimedFromGone(clientId: string, gone: string[], silent: string[]): Promise<void> {
    const holders = await this.host.holdersOf(clientId);
    for (const h of holders) if (gone.includes(memberOf(h))) this.receiver.claimedFrom(memberOf(h), clientId);
    if (silent.length === 0) return;
    // Fenced: a holder that did not answer may still hold the session (a stalled process). Refused
    // rather than two holders; once it answers, or dies and is adopted, the row names another.
    for (const h of holders) if (silent.includes(memberOf(h))) throw new SessionBusyError(clientId, h);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (!this.o.nc.isClosed()) {
      this.announce({ o: this.member, s: ++this.seq, k: 'b' });
      for (const s of this.subs) s.unsubscribe();
    }
  }

  // ---- forwarding ----------------------------------------------------------------------------

  /**
   * QoS 0: one NATS publish. QoS 1/2: a NATS request; the node answers once its deliveries are
   * queued and durable, and the publisher's acknowledgement waits for that answer (and for the
   * node's flow control). No answer in time rejects: the publisher is not acknowledged and resends
   * after reconnecting (at least once). A node that is gone (no responders) accepted nothing it
   * could deliver: its clients reconnect elsewhere. Its answer lists the copies it dropped (queue
   * full, too large): they are added to `acked` (the origin's route) and counted in forwardDropped.
   */
  private send(
    target: string,
    h: Header,
    payload: Buffer,
    acked: Route | undefined,
    trace: MsgHdrs | undefined,
  ): Promise<void> | undefined {
    const frame = encodeFrame(h, payload);
    const subject = `${this.o.base}.f.${target}`;
    try {
      this.stats.forwardedOut++;
      if (!acked) {
        this.o.nc.publish(subject, frame, trace ? { headers: trace } : undefined);
        return undefined;
      }
      const opts = { timeout: this.ackTimeoutMs, ...(trace ? { headers: trace } : {}) };
      const answered = (node: string, answer: Uint8Array | undefined): void => {
        if (answer !== undefined && answer.length > 0)
          this.stats.forwardDropped += addRemoteDrops(acked, node, answer);
      };
      return this.o.nc.request(subject, frame, opts).then(
        (m) => answered(target, m.data),
        (err: NatsError) => {
          if (noResponders(err)) return this.gone.redeliver(target, h, payload, trace, answered);
          this.stats.forwardTimeouts++;
          // The target may still queue it: the publisher's resend comes back here (RouteScope.resend).
          throw new ForwardTimeoutError(target, { cause: err });
        },
      );
    } catch (err) {
      this.o.log.warn({ err, target }, 'cluster fan-out: forward failed');
      return undefined;
    }
  }

  /** Ownership member ids other nodes announced (alive or not): candidates for adoption. */
  knownOwners(): string[] {
    return [...this.owners.values()];
  }

  /** This node adopted dead member `owner`'s sessions (cluster/orphans.ts): tell every node. */
  adopted(owner: string, clients: readonly string[]): void {
    const m = memberOf(owner);
    this.flushDeltas(); // the adopted sessions' filters first, then the adoption
    this.announce({ o: this.member, s: ++this.seq, k: 'x', m, by: this.member });
    this.receiver.adopted(m, clients);
    this.stats.adoptedMembers++;
    this.stats.adoptedClients += clients.length;
    this.onAdopted(m, this.member);
  }

  private onAdopted(m: string, by: string): void {
    this.gone.adoptedBy.set(m, by);
    this.owners.delete(m);
    if (m !== this.member) this.forget(m);
  }

  // ---- interest ------------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushScheduled || this.closed) return;
    this.flushScheduled = true;
    setImmediate(() => {
      this.flushScheduled = false;
      this.flushDeltas();
    });
  }

  private flushDeltas(): void {
    if (this.pendingAdd.size === 0 && this.pendingDel.size === 0) return;
    const a = [...this.pendingAdd];
    const d = [...this.pendingDel];
    this.pendingAdd = new Set();
    this.pendingDel = new Set();
    this.announce({ o: this.member, s: ++this.seq, k: 'd', a, d });
  }

  private ownerField(): { w?: string } {
    return this.o.owner !== undefined ? { w: this.o.owner } : {};
  }

  private announceFull(to?: string): void {
    void to;
    this.pendingAdd.clear();
    this.pendingDel.clear();
    this.announce({
      o: this.member,
      s: ++this.seq,
      k: 'f',
      a: [...this.counts.keys()],
      ...this.ownerField(),
    });
  }

  private announce(a: Announce): void {
    if (this.o.nc.isClosed()) return;
    try {
      this.o.nc.publish(`${this.o.base}.i`, Buffer.from(JSON.stringify(a)));
    } catch (err) {
      this.o.log.warn({ err }, 'cluster fan-out: announce failed');
    }
  }

  private tick(): void {
    if (this.o.digest === false) this.announceFull();
    else {
      this.flushDeltas(); // the digest covers what was announced
      const g = this.interest.digestOf(this.member);
      this.announce({ o: this.member, s: ++this.seq, k: 'g', g, ...this.ownerField() });
    }
    const now = performance.now();
    for (const [member, at] of this.heard)
      if (now - at > this.expireMs) {
        this.o.log.info({ member }, 'cluster fan-out: member silent, its filters dropped');
        this.forget(member);
      }
    this.refreshStats();
  }

  private forget(member: string): void {
    this.interest.drop(member);
    this.heard.delete(member);
    this.lastSeq.delete(member);
    this.refreshStats();
  }

  private refreshStats(): void {
    this.stats.remoteMembers = this.heard.size;
    this.stats.remoteFilters = this.interest.size - this.counts.size;
  }

  private onAnnounce(data: Uint8Array): void {
    let a: Announce;
    try {
      a = JSON.parse(Buffer.from(data).toString('utf8')) as Announce;
    } catch {
      return;
    }
    if (a.o === this.member) return;
    if (a.k === 'b') {
      this.forget(a.o);
      return;
    }
    if (a.k === 'x') {
      if (a.m === this.member) {
        // Fenced: the adopter owns this node's sessions and wills now.
        const n = this.host.surrender();
        this.o.log.error(
          { by: a.by, sessions: n },
          'cluster fan-out: adopted as dead by another node; sessions given up',
        );
        return;
      }
      this.onAdopted(a.m, a.by);
      return;
    }
    if ((a.k === 'h' || a.k === 'f' || a.k === 'g') && a.w !== undefined) {
      this.gone.adoptedBy.delete(a.o); // alive after all (it surrendered what was adopted)
      this.owners.set(a.o, a.w);
    }
    const known = this.heard.has(a.o);
    this.heard.set(a.o, performance.now());
    const last = this.lastSeq.get(a.o);
    this.lastSeq.set(a.o, a.s);
    if (a.k === 'h') {
      if (a.to === undefined || a.to === this.member) this.announceFull();
    } else if (a.k === 'f') this.interest.replace(a.o, a.a);
    else if (a.k === 'g') {
      // Our copy differs (or announcements were missed): ask for the full set.
      if (!known || last === undefined || a.s !== last + 1 || this.interest.digestOf(a.o) !== a.g)
        this.announce({ o: this.member, s: ++this.seq, k: 'h', to: a.o });
    } else {
      for (const k of a.a) this.interest.add(a.o, k);
      for (const k of a.d) this.interest.remove(a.o, k);
      // Missed announcements (NATS core keeps nothing): ask that member for its full set.
      if (!known || last === undefined || a.s !== last + 1)
        this.announce({ o: this.member, s: ++this.seq, k: 'h', to: a.o });
    }
    this.refreshStats();
  }
}
