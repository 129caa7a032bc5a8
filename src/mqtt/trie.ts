/**
 * Subscription index: a trie keyed by topic level, with `+` and `#` children, holding client
 * subscriptions, shared-subscription groups and server-side handlers. `match()` results are
 * cached per topic; any change clears the cache (subscribe churn is rare next to publishes).
 */
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

class Node {
  /**
   * Children by level. A child that would hold one client subscription and nothing else (a
   * device's own topic, the last level of most filters) is that `Subscription` itself, not a node
   * around it (a node costs 56 bytes per idle connection); it becomes a `Node` when anything else
   * is added there or below it.
   */
  children: Map<string, Child> | Child | undefined = undefined;
  /**
   * The level of the one child held directly in `children` (no Map): a device's own level in
   * `devices/<id>/commands` has one child, and a Map of one costs ~180 bytes per device.
   */
  key: string | undefined = undefined;
  /**
   * Subscribers: most filters have one, held directly (a client's own topic: idle memory); a Map
   * by client id from the second.
   */
  subs: Subscription | Map<string, Subscription> | undefined = undefined;
  shared: Map<string, SharedGroup> | undefined = undefined;
  handlers: Set<unknown> | undefined = undefined;
}

/** A node, or a leaf holding one plain subscription (see `Node.children`). */
type Child = Node | Subscription;

function childOf(n: Node, level: string): Child | undefined {
  const c = n.children;
  if (c === undefined) return undefined;
  if (c instanceof Map) return c.get(level);
  return n.key === level ? c : undefined;
}

function setChild(n: Node, level: string, child: Child): void {
  const c = n.children;
  if (c instanceof Map) c.set(level, child);
  else if (c === undefined || n.key === level) {
    n.children = child;
    n.key = level;
  } else {
    n.children = new Map([
      [n.key!, c],
      [level, child],
    ]);
    n.key = undefined;
  }
}

function deleteChild(n: Node, level: string): void {
  const c = n.children;
  if (c instanceof Map) c.delete(level);
  else if (c !== undefined && n.key === level) {
    n.children = undefined;
    n.key = undefined;
  }
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

/** A leaf child as a node (to add something else there or below it). */
function expand(leaf: Subscription): Node {
  const n = new Node();
  n.subs = leaf;
  return n;
}

export class SubscriptionTrie<H = unknown> {
  private root = new Node();
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
      const c = childOf(n, level);
      if (c instanceof Node) n = c;
      else if (!create) return undefined;
      else {
        const m = c === undefined ? new Node() : expand(c);
        setChild(n, level, m);
        n = m;
      }
    }
    return n;
  }

  /** The parent of `filter`'s last level (created when `create`), and that level. */
  private parent(filter: string, create: boolean): { p: Node; level: string } | undefined {
    const cut = filter.lastIndexOf('/');
    if (cut < 0) return { p: this.root, level: filter };
    const p = create ? this.node(filter.slice(0, cut), true) : this.node(filter.slice(0, cut), false);
    return p && { p, level: filter.slice(cut + 1) };
  }

  add(sub: Subscription): void {
    this.cache.clear();
    if (sub.group === undefined) {
      const { p, level } = this.parent(sub.filter, true)!;
      const c = childOf(p, level);
      if (c === undefined || (!(c instanceof Node) && c.clientId === sub.clientId)) {
        if (c === undefined) this.count++;
        setChild(p, level, sub);
        return;
      }
      const n = c instanceof Node ? c : expand(c);
      if (n !== c) setChild(p, level, n);
      const cur = n.subs;
      if (cur instanceof Map) {
        if (!cur.has(sub.clientId)) this.count++;
        cur.set(sub.clientId, sub);
      } else if (cur === undefined || cur.clientId === sub.clientId) {
        if (cur === undefined) this.count++;
        n.subs = sub;
      } else {
        n.subs = new Map([
          [cur.clientId, cur],
          [sub.clientId, sub],
        ]);
        this.count++;
      }
      return;
    }
    const n = this.node(sub.filter, true);
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
    if (sub.group === undefined) {
      const at = this.parent(sub.filter, false);
      const c = at && childOf(at.p, at.level);
      if (c === undefined) return;
      if (!(c instanceof Node)) {
        if (c.clientId !== sub.clientId) return;
        deleteChild(at!.p, at!.level);
        this.count--;
        return;
      }
      const cur = c.subs;
      if (cur instanceof Map) {
        if (cur.delete(sub.clientId)) this.count--;
      } else if (cur !== undefined && cur.clientId === sub.clientId) {
        c.subs = undefined;
        this.count--;
      }
      return;
    }
    const n = this.node(sub.filter, false);
    const g = n?.shared?.get(sub.group);
    if (!g) return;
    const i = g.members.findIndex((m) => m.clientId === sub.clientId);
    if (i >= 0) {
      g.members.splice(i, 1);
      this.count--;
    }
    if (g.members.length === 0) n!.shared!.delete(sub.group);
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

  private collect(n: Child, out: MatchResult): void {
    if (!(n instanceof Node)) {
      out.subs.push(n);
      return;
    }
    const subs = n.subs;
    if (subs instanceof Map) for (const s of subs.values()) out.subs.push(s);
    else if (subs !== undefined) out.subs.push(subs);
    if (n.shared) for (const g of n.shared.values()) out.shared.push(g);
    if (n.handlers) for (const h of n.handlers) out.handlers.push(h);
  }

  private walk(n: Node, levels: string[], i: number, out: MatchResult, dollar: boolean): void {
    if (n.children === undefined) return;
    const wild = !(dollar && i === 0);
    if (wild) {
      // `#` also matches the parent level [MQTT-4.7.1-2].
      const hash = childOf(n, '#');
      if (hash) this.collect(hash, out);
    }
    if (i === levels.length) return;
    const exact = childOf(n, levels[i]!);
    const last = i === levels.length - 1;
    if (exact) {
      if (last) this.collectWithHash(exact, out);
      else if (exact instanceof Node) this.walk(exact, levels, i + 1, out, dollar);
    }
    if (wild) {
      const plus = childOf(n, '+');
      if (plus) {
        if (last) this.collectWithHash(plus, out);
        else if (plus instanceof Node) this.walk(plus, levels, i + 1, out, dollar);
      }
    }
  }

  /** At the last topic level: this node's entries, plus a trailing `#` child ("a/#" matches "a"). */
  private collectWithHash(n: Child, out: MatchResult): void {
    this.collect(n, out);
    if (!(n instanceof Node)) return;
    const hash = childOf(n, '#');
    if (hash) this.collect(hash, out);
  }
}
