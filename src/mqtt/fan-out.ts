/**
 * The fan-out seam (issue 13): "match a message and deliver it" is one interface, so a cluster
 * fan-out can wrap the local one — deliver here, forward to the other nodes, and hand what
 * arrives from them to the local fan-out — without touching sessions, QoS or persistence (aedes
 * injects its `mq` emitter the same way; EMQX separates local dispatch from forwarding).
 * `LocalFanOut` is the single-node implementation: the subscription trie, overlapping
 * subscriptions, shared-subscription groups and the platform's server-side handlers.
 */
import { inMessageTrace, type Logger } from '../core/index.js';
import type { BrokerMessage, MessageHandler, QoS } from './api.js';
import type { Delivery } from './delivery.js';
import type { HandedResend } from './qos2-resend.js';
import type { Route } from './route.js';
import type { Session } from './session.js';
import { SubscriptionTrie, type SharedGroup } from './trie.js';
import type { Message, Subscription } from './types.js';

export interface FanOut {
  /**
   * Deliver `route.msg` to every matching subscriber and server-side handler, recording in
   * `route` what was done (copies delivered, flow waits, handler promises to wait for).
   */
  route(route: Route, scope?: RouteScope): void;
  addSubscription(sub: Subscription): void;
  removeSubscription(sub: Subscription): void;
  /** A server-side subscriber; returns its removal. */
  addHandler(filter: string, handler: MessageHandler): () => void;
  /** Client subscriptions held (shared members included). */
  readonly subscriptionCount: number;
  /**
   * Cluster only: persistent sessions live in a store shared by the nodes, and a node holds a
   * session only from its client's CONNECT there until another node takes it over. Called at a
   * CONNECT whose client id this node does not hold: every other node that holds it closes its
   * connection (DISCONNECT 0x8E), makes its state durable and forgets it (`clean`: ends it) —
   * resolved once they have (`FanOutHost.releaseSession` there). The broker then loads the session
   * from the store (mqtt/handover.ts). Absent: one node, sessions loaded at start.
   */
  claimSession?(clientId: string, clean: boolean): Promise<void>;
}

/**
 * A session claim the holder did not answer in time (cluster; docs/mqtt.md "Cross-node
 * sessions"): the CONNECT is refused with 0x89 Server busy (3.1.1: 3) instead of two nodes holding
 * the session. The client retries; by then the holder answered, or died and was adopted.
 */
export class SessionBusyError extends Error {
  constructor(clientId: string, holder: string) {
    super(`session ${clientId} is held by ${holder}, which did not release it in time`);
  }
}

/**
 * A node did not accept a forwarded QoS 1/2 message in time (cluster fan-out): the publisher is not
 * acknowledged. Unlike a failed write here, the message was delivered on this node and possibly on
 * the slow one: a QoS 2 resend goes to the other nodes only, under the same message id.
 */
export class ForwardTimeoutError extends Error {
  override readonly name = 'ForwardTimeoutError';
  constructor(
    readonly node: string,
    options?: { cause?: unknown },
  ) {
    super(`node ${node} did not accept the forwarded message in time`, options);
  }
}

/**
 * Narrows one `route()` (a cluster fan-out): a message forwarded from another node runs no
 * server-side handlers (they ran where it was published), and shared-subscription groups are
 * delivered only when named here (one member cluster-wide per group; key = the `$share/…` filter).
 */
export interface RouteScope {
  remote?: boolean;
  shared?: ReadonlySet<string>;
  /** Deliver only to these clients' sessions (a message re-sent for sessions adopted from a dead node). */
  clients?: ReadonlySet<string>;
  /**
   * A client's resend of a QoS 2 PUBLISH that was routed before but never acknowledged
   * (qos2-resend.ts); no handler runs again. `here`: it was routed on this node — nothing is
   * delivered here again. `elsewhere`: on the node the client left — a cluster fan-out delivers it
   * here at most once per `msg.id` (it may have arrived as a forward). Either way a cluster fan-out
   * forwards it again, under its id, to the nodes with matching filters.
   */
  resend?: 'here' | 'elsewhere';
}

/** What a cluster fan-out may do to the broker besides routing: keep a retained message in memory only. */
export interface FanOutHost {
  /** A retained PUBLISH made on another node (already durable there): update the in-memory index. */
  keepRetained(msg: Message): void;
  /** Resolves once the state writes pushed so far are durable (before answering a forwarded QoS 1/2). */
  flushed(): Promise<void>;
  /**
   * Another node takes `clientId` over: close its connection here with 0x8E, forget the session
   * (`clean`: end it), resolve once its state is durable; false when it was not held here.
   */
  releaseSession(clientId: string, clean: boolean): Promise<boolean>;
  /** The member id this node writes on the session and will rows it holds. */
  setHolder(member: string): void;
  /**
   * Take over the persistent sessions and wills of dead members (`live(column)`: SQL that is true
   * while the member named by `column` is alive; `candidates`: members known to have existed).
   * Adopted sessions wait offline here, their wills are published when due. Returns the dead
   * members and, per member, the client ids adopted from it.
   */
  adoptOrphans(
    live: (column: string) => string,
    candidates: readonly string[],
  ): Promise<{ dead: string[]; from: Map<string, string[]> }>;
  /** Another node adopted this one as dead: close every connection, forget every session, write nothing. */
  surrender(): number;
  /** The members whose rows (session or will) name them as the client's holder. */
  holdersOf(clientId: string): Promise<string[]>;
  /**
   * The client connects to another node: the unacknowledged QoS 2 PUBLISHes whose resends this node
   * would recognise (qos2-resend.ts) go there with the claim's answer, and are forgotten here.
   */
  handOverResends(clientId: string): HandedResend[];
  /** What the node that held the client handed over: its resends are recognised here now. */
  acceptResends(clientId: string, handed: readonly HandedResend[]): void;
}

/** Wraps the local fan-out (a cluster fan-out); the default keeps it as it is. */
export type FanOutFactory = (local: FanOut, host: FanOutHost) => FanOut;

interface HandlerEntry {
  filter: string;
  handler: MessageHandler;
}

export class LocalFanOut implements FanOut {
  private readonly trie = new SubscriptionTrie<HandlerEntry>();

  constructor(
    private readonly sessions: ReadonlyMap<string, Session>,
    private readonly delivery: Delivery,
    private readonly log: Logger,
  ) {}

  get subscriptionCount(): number {
    return this.trie.size;
  }

  addSubscription(sub: Subscription): void {
    this.trie.add(sub);
  }

  removeSubscription(sub: Subscription): void {
    this.trie.remove(sub);
  }

  addHandler(filter: string, handler: MessageHandler): () => void {
    const entry: HandlerEntry = { filter, handler };
    this.trie.addHandler(filter, entry);
    return () => this.trie.removeHandler(filter, entry);
  }

  route(r: Route, scope?: RouteScope): void {
    if (scope?.resend !== undefined) return; // delivered at the first attempt (one node: here)
    const msg = r.msg;
    const m = this.trie.match(msg.topic);
    const only = scope?.clients;
    const subs = only ? m.subs.filter((s) => only.has(s.clientId)) : m.subs;
    if (m.overlap) this.deliverOverlapping(subs, r);
    else
      for (let i = 0; i < subs.length; i++) {
        const s = subs[i]!;
        if (s.nl && s.clientId === msg.publisherId) continue;
        this.deliverTo(
          s.clientId,
          s.qos < msg.qos ? s.qos : msg.qos,
          s.rap && msg.retain,
          s.subId === undefined ? undefined : [s.subId],
          r,
        );
      }
    const groups = scope?.shared;
    for (const g of m.shared)
      if (groups === undefined || (g.members.length > 0 && groups.has(g.members[0]!.raw)))
        this.deliverShared(g, r);
    // The flow waits are those of this message's deliveries: a handler below may publish (its own
    // route), and it does not hold this publisher.
    r.settleFlow();
    if (m.handlers.length > 0 && scope?.remote !== true) this.callHandlers(m.handlers as HandlerEntry[], r);
  }

  private deliverTo(
    clientId: string,
    qos: QoS,
    retain: boolean,
    subIds: number[] | undefined,
    r: Route,
  ): void {
    const s = this.sessions.get(clientId);
    if (s) this.delivery.deliver(s, r.msg, qos, retain, subIds, r);
  }

  /**
   * Several subscriptions of one client match: one copy at the highest granted QoS, with every
   * matching subscription identifier (MQTT 5 §3.3.4; 3.1.1 [MQTT-3.3.5-1]).
   */
  private deliverOverlapping(subs: Subscription[], r: Route): void {
    const msg = r.msg;
    const per = new Map<string, { qos: QoS; retain: boolean; ids: number[] | undefined }>();
    for (const s of subs) {
      if (s.nl && s.clientId === msg.publisherId) continue;
      const q = s.qos < msg.qos ? s.qos : msg.qos;
      const e = per.get(s.clientId);
      if (!e)
        per.set(s.clientId, {
          qos: q,
          retain: s.rap && msg.retain,
          ids: s.subId === undefined ? undefined : [s.subId],
        });
      else {
        if (q > e.qos) e.qos = q;
        if (s.rap && msg.retain) e.retain = true;
        if (s.subId !== undefined) (e.ids ??= []).push(s.subId);
      }
    }
    for (const [clientId, e] of per) this.deliverTo(clientId, e.qos, e.retain, e.ids, r);
  }

  /** Shared subscription: one member per group, round robin, preferring connected members. */
  private deliverShared(g: SharedGroup, r: Route): void {
    const members = g.members;
    const n = members.length;
    if (n === 0) return;
    let pick: Subscription | undefined;
    for (let i = 0; i < n; i++) {
      const cand = members[(g.next + i) % n]!;
      const conn = this.sessions.get(cand.clientId)?.conn;
      if (conn && conn.state === 'connected') {
        pick = cand;
        g.next = (g.next + i + 1) % n;
        break;
      }
    }
    if (!pick) {
      pick = members[g.next % n]!;
      g.next = (g.next + 1) % n;
    }
    const msg = r.msg;
    if (pick.nl && pick.clientId === msg.publisherId) return;
    this.deliverTo(
      pick.clientId,
      pick.qos < msg.qos ? pick.qos : msg.qos,
      pick.rap && msg.retain,
      pick.subId === undefined ? undefined : [pick.subId],
      r,
    );
  }

  /** The platform's server-side subscribers; their promises delay the publisher's ack. */
  private callHandlers(handlers: HandlerEntry[], r: Route): void {
    const msg = r.msg;
    const bm: BrokerMessage = {
      topic: msg.topic,
      payload: msg.payload,
      qos: msg.qos,
      retain: msg.retain,
      ...(msg.properties ? { properties: msg.properties } : {}),
      ...(msg.publisherId !== undefined ? { clientId: msg.publisherId } : {}),
    };
    for (const h of handlers) {
      try {
        // A publisher's traceparent (MQTT 5 user property) puts the platform's handling in its trace.
        const p = inMessageTrace(msg.properties?.userProperties, () => h.handler(bm));
        if (p)
          r.waitFor(
            p.catch((err: unknown) =>
              this.log.error({ err, filter: h.filter }, 'mqtt: server-side subscriber failed'),
            ),
          );
      } catch (err) {
        this.log.error({ err, filter: h.filter }, 'mqtt: server-side subscriber failed');
      }
    }
  }
}
