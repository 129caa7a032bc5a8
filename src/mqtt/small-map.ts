/**
 * A map that holds its first entry inline and allocates a Map only for a second one. Most
 * sessions have one subscription (a device's own command topic) and most trie nodes one
 * subscriber; an empty V8 Map alone costs ~180 bytes, about as much as the session object.
 */
export class SmallMap<K, V> {
  private k: K | undefined;
  private v: V | undefined;
  private has1 = false;
  private map: Map<K, V> | undefined;

  get size(): number {
    return this.map ? this.map.size : this.has1 ? 1 : 0;
  }

  has(key: K): boolean {
    return this.map ? this.map.has(key) : this.has1 && this.k === key;
  }

  get(key: K): V | undefined {
    if (this.map) return this.map.get(key);
    return this.has1 && this.k === key ? this.v : undefined;
  }

  set(key: K, value: V): this {
    if (this.map) this.map.set(key, value);
    else if (!this.has1 || this.k === key) {
      this.k = key;
      this.v = value;
      this.has1 = true;
    } else {
      this.map = new Map([
        [this.k as K, this.v as V],
        [key, value],
      ]);
      this.k = this.v = undefined;
      this.has1 = false;
    }
    return this;
  }

  delete(key: K): boolean {
    if (this.map) return this.map.delete(key);
    if (!this.has1 || this.k !== key) return false;
    this.k = this.v = undefined;
    this.has1 = false;
    return true;
  }

  clear(): void {
    this.map = undefined;
    this.k = this.v = undefined;
    this.has1 = false;
  }

  *values(): IterableIterator<V> {
    if (this.map) yield* this.map.values();
    else if (this.has1) yield this.v as V;
  }
}
