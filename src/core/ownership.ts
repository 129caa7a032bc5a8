/**
 * The ownership seam (ARCHITECTURE.md, "Scale-out"): which node runs a timer or a piece of
 * background work that must happen once fleet-wide. Work is named by a shard key (a device id,
 * or a fixed name such as `telemetry.retention`); keys hash onto a fixed number of shards and a
 * node owns whole shards. A single node owns everything and never changes; `cluster/` provides
 * an implementation with leases in PostgreSQL.
 *
 * How a module adopts it (docs/cluster.md):
 *  1. Keep the work's due time in the module's store (it must survive the owner dying).
 *  2. Arm timers as before, and ask `owns(key)` when the timer fires: false means another node
 *     does it — drop it silently.
 *  3. `onChange`: on `gained`, reload due work for keys in those shards (`ownsShard(shardOf(key))`)
 *     and arm it; on `lost`, cancel the timers of those shards.
 *  4. Make the final write conditional on the state it read (a compare-and-set), so work in
 *     flight while a lease moves cannot be applied twice.
 */

export interface OwnershipChange {
  /** Shards this node now owns and did not before. */
  gained: readonly number[];
  /** Shards this node no longer owns: its timers for them must stop now. */
  lost: readonly number[];
}

export interface Member {
  nodeId: string;
  /** Shards the node holds a lease on, as last seen. */
  shards: number;
}

export interface Ownership {
  readonly nodeId: string;
  readonly shardCount: number;
  /** The shard a key belongs to: stable across nodes and restarts (FNV-1a, mod shardCount). */
  shardOf(shardKey: string): number;
  /** Must this node do the work named by `shardKey` now? Synchronous: answered from held leases. */
  owns(shardKey: string): boolean;
  ownsShard(shard: number): boolean;
  /** Shards owned now, ascending. */
  ownedShards(): number[];
  /** Called after shards are gained or lost (lost: before another node can gain them). */
  onChange(listener: (change: OwnershipChange) => void): () => void;
  /** Live members of the cluster (this node included). */
  members(): Member[];
}

/** FNV-1a over the key's UTF-16 code units: cheap, stable, spreads device ids evenly. */
export function hashKey(key: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) {
    h ^= key.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

export function shardOf(shardKey: string, shardCount: number): number {
  return hashKey(shardKey) % shardCount;
}

export const DEFAULT_SHARDS = 64;

/** One node: owns every shard, forever. */
export function singleNodeOwnership(nodeId = 'local', shardCount = DEFAULT_SHARDS): Ownership {
  const all = Array.from({ length: shardCount }, (_, i) => i);
  return {
    nodeId,
    shardCount,
    shardOf: (k) => shardOf(k, shardCount),
    owns: () => true,
    ownsShard: () => true,
    ownedShards: () => [...all],
    onChange: () => () => undefined,
    members: () => [{ nodeId, shards: shardCount }],
  };
}
