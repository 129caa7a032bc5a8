/**
 * One string per remote address. Node makes a new string for every socket's address, so every
 * connection held its own copy (32 bytes for "10.1.2.3"; idle memory, docs/benchmarks.md). Devices
 * behind one NAT (a cellular carrier's CGNAT, a site router) or a load balancer without PROXY
 * protocol share a few addresses; their connections now share one string. A fleet of distinct
 * addresses gains nothing and pays one map lookup per CONNECT; the table is bounded.
 */
const MAX_ADDRESSES = 4096;

export class AddressTable {
  private readonly held = new Map<string, string>();

  constructor(private readonly max = MAX_ADDRESSES) {}

  /** The table's copy of `address` (held from now on unless the table is full: then it starts over). */
  share(address: string): string {
    const hit = this.held.get(address);
    if (hit !== undefined) return hit;
    if (this.held.size >= this.max) this.held.clear();
    this.held.set(address, address);
    return address;
  }

  get size(): number {
    return this.held.size;
  }
}
