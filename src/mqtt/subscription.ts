/**
 * The broker's `Subscription` objects, packed (idle memory): a device's subscription is one of
 * the few objects every idle connection holds. Four fields instead of nine — the options in one
 * small integer, and the filter, share group and Subscription Identifier in a second object only
 * for the subscriptions that have them (a shared subscription's filter differs from what the
 * client sent; otherwise they are the same string).
 */
import type { QoS } from './api.js';
import type { Subscription } from './types.js';

const QOS_BITS = 3;
const NO_LOCAL = 4;
const RETAIN_AS_PUBLISHED = 8;
const RH_SHIFT = 4;

class Uncommon {
  constructor(
    readonly filter: string,
    readonly group: string | undefined,
    readonly subId: number | undefined,
  ) {}
}

class PackedSubscription implements Subscription {
  constructor(
    readonly clientId: string,
    readonly raw: string,
    private readonly bits: number,
    private readonly uncommon: Uncommon | undefined,
  ) {}

  get filter(): string {
    return this.uncommon === undefined ? this.raw : this.uncommon.filter;
  }
  get group(): string | undefined {
    return this.uncommon?.group;
  }
  get subId(): number | undefined {
    return this.uncommon?.subId;
  }
  get qos(): QoS {
    return (this.bits & QOS_BITS) as QoS;
  }
  get nl(): boolean {
    return (this.bits & NO_LOCAL) !== 0;
  }
  get rap(): boolean {
    return (this.bits & RETAIN_AS_PUBLISHED) !== 0;
  }
  get rh(): number {
    return this.bits >> RH_SHIFT;
  }
}

/** A subscription as the broker keeps it (same fields as `s`, packed). */
export function packSubscription(s: Subscription): Subscription {
  const bits = s.qos | (s.nl ? NO_LOCAL : 0) | (s.rap ? RETAIN_AS_PUBLISHED : 0) | (s.rh << RH_SHIFT);
  const plain = s.filter === s.raw && s.group === undefined && s.subId === undefined;
  return new PackedSubscription(
    s.clientId,
    s.raw,
    bits,
    plain ? undefined : new Uncommon(s.filter, s.group, s.subId),
  );
}
