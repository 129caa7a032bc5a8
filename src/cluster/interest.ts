/**
 * Which node holds which subscription filters (cross-node fan-out, docs/cluster.md "Fan-out"): one
 * topic trie over every member's filter set. A plain filter names the members to forward to; a
 * `$share/{group}/{filter}` key names, per group, the members holding a member of that group.
 * Topics beginning with `$` are not matched by a leading wildcard [MQTT-4.7.2-1].
 */

interface TrieNode {
  children: Map<string, TrieNode>;
  plain: Set<string> | undefined;
  shared: Map<string, Set<string>> | undefined;
}

export interface InterestMatch {
  /** Members with a plain filter matching the topic. */
  members: Set<string>;
  /** `$share/…` key → members holding that group. */
  shared: Map<string, string[]>;
}

const newNode = (): TrieNode => ({ children: new Map(), plain: undefined, shared: undefined });
const CACHE_MAX = 10_000;

/** `$share/g/a/+` → { filter: 'a/+', shared: true }; `a/+` → { filter: 'a/+', shared: false }. */
export function splitKey(key: string): { filter: string; shared: boolean } {
  if (!key.startsWith('$share/')) return { filter: key, shared: false };
  const slash = key.indexOf('/', 7);
  return { filter: slash < 0 ? '' : key.slice(slash + 1), shared: true };
}

/** FNV-1a of a filter key: summed per member into an order-free digest of its set. */
function keyHash(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

export class InterestTable {
  private readonly root = newNode();
  private readonly byMember = new Map<string, Set<string>>();
  private readonly sums = new Map<string, number>();
  private cache = new Map<string, InterestMatch>();

  members(): string[] {
    return [...this.byMember.keys()];
  }

  keysOf(member: string): ReadonlySet<string> {
    return this.byMember.get(member) ?? new Set();
  }

  /** Filters held, all members together. */
  get size(): number {
    let n = 0;
    for (const s of this.byMember.values()) n += s.size;
    return n;
  }

  add(member: string, key: string): void {
    let keys = this.byMember.get(member);
    if (!keys) this.byMember.set(member, (keys = new Set()));
    if (keys.has(key)) return;
    keys.add(key);
    this.sums.set(member, ((this.sums.get(member) ?? 0) + keyHash(key)) >>> 0);
    const { filter, shared } = splitKey(key);
    const node = this.walk(filter, true)!;
    if (shared) {
      const m = (node.shared ??= new Map());
      let set = m.get(key);
      if (!set) m.set(key, (set = new Set()));
      set.add(member);
    } else (node.plain ??= new Set()).add(member);
    this.cache.clear();
  }

  remove(member: string, key: string): void {
    const keys = this.byMember.get(member);
    if (!keys?.delete(key)) return;
    this.sums.set(member, ((this.sums.get(member) ?? 0) - keyHash(key)) >>> 0);
    const { filter, shared } = splitKey(key);
    const node = this.walk(filter, false);
    if (node) {
      if (shared) {
        const set = node.shared?.get(key);
        set?.delete(member);
        if (set?.size === 0) node.shared!.delete(key);
      } else node.plain?.delete(member);
    }
    this.cache.clear();
  }

  /** A full filter set from a member (its periodic resync): replaces what was known. */
  replace(member: string, keys: Iterable<string>): void {
    const next = new Set(keys);
    for (const k of [...this.keysOf(member)]) if (!next.has(k)) this.remove(member, k);
    for (const k of next) this.add(member, k);
    if (next.size === 0) this.byMember.set(member, new Set());
  }

  drop(member: string): void {
    for (const k of [...this.keysOf(member)]) this.remove(member, k);
    this.byMember.delete(member);
    this.sums.delete(member);
  }

  /**
   * A digest of a member's filter set (count and sum of key hashes, independent of order): the
   * periodic announcement carries it instead of the set; a receiver whose copy differs asks for
   * the full set.
   */
  digestOf(member: string): string {
    return `${this.keysOf(member).size}:${(this.sums.get(member) ?? 0).toString(36)}`;
  }

  match(topic: string): InterestMatch {
    const hit = this.cache.get(topic);
    if (hit) return hit;
    const res: InterestMatch = { members: new Set(), shared: new Map() };
    const levels = topic.split('/');
    this.collect(this.root, levels, 0, topic.startsWith('$'), res);
    if (this.cache.size >= CACHE_MAX) this.cache = new Map();
    this.cache.set(topic, res);
    return res;
  }

  private collect(node: TrieNode, levels: string[], i: number, dollar: boolean, res: InterestMatch): void {
    const wild = !(i === 0 && dollar);
    const hash = wild ? node.children.get('#') : undefined;
    if (hash) take(hash, res);
    if (i === levels.length) {
      take(node, res);
      return;
    }
    const exact = node.children.get(levels[i]!);
    if (exact) this.collect(exact, levels, i + 1, dollar, res);
    const plus = wild ? node.children.get('+') : undefined;
    if (plus) this.collect(plus, levels, i + 1, dollar, res);
  }

  private walk(filter: string, create: boolean): TrieNode | undefined {
    let node = this.root;
    for (const level of filter.split('/')) {
      let next = node.children.get(level);
      if (!next) {
        if (!create) return undefined;
        node.children.set(level, (next = newNode()));
      }
      node = next;
    }
    return node;
  }
}

function take(node: TrieNode, res: InterestMatch): void {
  if (node.plain) for (const m of node.plain) res.members.add(m);
  if (node.shared)
    for (const [key, set] of node.shared) {
      if (set.size === 0) continue;
      const cur = res.shared.get(key);
      if (!cur) res.shared.set(key, [...set].sort());
      else for (const m of set) if (!cur.includes(m)) cur.push(m);
    }
}
