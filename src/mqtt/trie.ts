/**
 * Subscription index: a trie keyed by topic level, with `+` and `#` children, holding client
 * subscriptions, shared-subscription groups and server-side handlers. `match()` results are
 * cached per topic; any change clears the cache (subscribe churn is rare next to publishes).
 */
import { SmallMap } from './small-map.js';
import type { Subscription } from './types.js';

export interface HandlerEntry {
  filter: string;
  fn: (topic: string) => void;
}

export interface SharedGroup {
  name: string;
  members: Subscription[];
  /** Round-robin cursor [MQTT 5 §4.8.2]. */
  next: number;
}

interface Node {
  children: Map<string, Node> | undefined;
  /** Subscribers by client id (most filters have one: small-map.ts keeps it inline). */
  subs: SmallMap<string, Subscription> | undefined;
  shared: Map<string, SharedGroup> | undefined;
  handlers: Set<unknown> | undefined;
}

export interface MatchResult {
  subs: Subscription[];
  /** Some client has several matching subscriptions (computed once per cached result). */
  overlap: boolean;
  shared: SharedGroup[];
  handlers: unknown[];
}

const EMPTY: MatchResult = { subs: [], overlap: false, shared: [], handlers: [] };
const CACHE_MAX = 10_000;

function newNode(): Node {
  return { children: undefined, subs: undefined, shared: undefined, handlers: undefined };
}

export class SubscriptionTrie<H = unknown> {
  private root = newNode();
  private cache = new Map<string, MatchResult>();
  private count = 0;

  /** Number of client subscriptions (shared members included). */
  get size(): number {
    return this.count;
  }

  private node(filter: string, create: true): Node;
  private node(filter: string, create: false): Node | undefined;
  private node(filter: string, create: boolean): Node | undefined {
    let n = this.root;
    for (const level of filter.split('/')) {
      let c = n.children?.get(level);
      if (!c) {
        if (!create) return undefined;
        c = newNode();
        (n.children ??= new Map()).set(level, c);
      }
      n = c;
    }
    return n;
  }

  add(sub: Subscription): void {
    this.cache.clear();
    const n = this.node(sub.filter, true);
    if (sub.group === undefined) {
      n.subs ??= new SmallMap();
      if (!n.subs.has(sub.clientId)) this.count++;
      n.subs.set(sub.clientId, sub);
      return;
    }
    n.shared ??= new Map();
    let g = n.shared.get(sub.group);
    if (!g) {
      g = { name: sub.group, members: [], next: 0 };
      n.shared.set(sub.group, g);
    }
    const i = g.members.findIndex((m) => m.clientId === sub.clientId);
    if (i >= 0) g.members[i] = sub;
    else {
      g.members.push(sub);
      this.count++;
    }
  }

  remove(sub: Pick<Subscription, 'clientId' | 'filter' | 'group'>): void {
    this.cache.clear();
    const n = this.node(sub.filter, false);
    if (!n) return;
    if (sub.group === undefined) {
      if (n.subs?.delete(sub.clientId)) this.count--;
      return;
    }
    const g = n.shared?.get(sub.group);
    if (!g) return;
    const i = g.members.findIndex((m) => m.clientId === sub.clientId);
    if (i >= 0) {
      g.members.splice(i, 1);
      this.count--;
    }
    if (g.members.length === 0) n.shared!.delete(sub.group);
  }

  addHandler(filter: string, h: H): void {
    this.cache.clear();
    (this.node(filter, true).handlers ??= new Set()).add(h);
  }

  removeHandler(filter: string, h: H): void {
    this.cache.clear();
    this.node(filter, false)?.handlers?.delete(h);
  }

  match(topic: string): MatchResult {
    const hit = this.cache.get(topic);
    if (hit) return hit;
    const out: MatchResult = { subs: [], overlap: false, shared: [], handlers: [] };
    const levels = topic.split('/');
    // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with `$`.
    this.walk(this.root, levels, 0, out, topic.charCodeAt(0) === 36);
    if (out.subs.length > 1) out.overlap = new Set(out.subs.map((x) => x.clientId)).size < out.subs.length;
    const res = out.subs.length + out.shared.length + out.handlers.length === 0 ? EMPTY : out;
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(topic, res);
    return res;
  }

  private collect(n: Node, out: MatchResult): void {
    if (n.subs) for (const s of n.subs.values()) out.subs.push(s);
    if (n.shared) for (const g of n.shared.values()) out.shared.push(g);
    if (n.handlers) for (const h of n.handlers) out.handlers.push(h);
  }

  private walk(n: Node, levels: string[], i: number, out: MatchResult, dollar: boolean): void {
    const ch = n.children;
    if (!ch) return;
    const wild = !(dollar && i === 0);
    if (wild) {
      // `#` also matches the parent level [MQTT-4.7.1-2].
      const hash = ch.get('#');
      if (hash) this.collect(hash, out);
    }
    if (i === levels.length) return;
    const exact = ch.get(levels[i]!);
    const last = i === levels.length - 1;
    if (exact) {
      if (last) this.collectWithHash(exact, out);
      else this.walk(exact, levels, i + 1, out, dollar);
    }
    if (wild) {
      const plus = ch.get('+');
      if (plus) {
        if (last) this.collectWithHash(plus, out);
        else this.walk(plus, levels, i + 1, out, dollar);
      }
    }
  }

  /** At the last topic level: this node's entries, plus a trailing `#` child ("a/#" matches "a"). */
  private collectWithHash(n: Node, out: MatchResult): void {
    this.collect(n, out);
    const hash = n.children?.get('#');
    if (hash) this.collect(hash, out);
  }
}
