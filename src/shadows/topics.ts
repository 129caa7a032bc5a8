/**
 * AWS IoT reserved shadow topics (Developer Guide, "Device Shadow MQTT topics"):
 * `$aws/things/{thing}/shadow/{op}` for the classic shadow and
 * `$aws/things/{thing}/shadow/name/{name}/{op}` for a named one.
 */
export type ShadowOp = 'get' | 'update' | 'delete';

export interface ShadowTopic {
  thing: string;
  /** '' for the classic (unnamed) shadow. */
  name: string;
  op: ShadowOp;
}

const OPS = new Set<string>(['get', 'update', 'delete']);

/** Parse a request topic; response topics (`…/accepted`, `/delta`, …) and anything else give undefined. */
export function parseShadowTopic(topic: string): ShadowTopic | undefined {
  const p = topic.split('/');
  if (p[0] !== '$aws' || p[1] !== 'things' || p[3] !== 'shadow' || !p[2]) return undefined;
  if (p.length === 5 && OPS.has(p[4]!)) return { thing: p[2], name: '', op: p[4] as ShadowOp };
  if (p.length === 7 && p[4] === 'name' && p[5] && OPS.has(p[6]!))
    return { thing: p[2], name: p[5], op: p[6] as ShadowOp };
  return undefined;
}

export function shadowPrefix(thing: string, name: string): string {
  return name === '' ? `$aws/things/${thing}/shadow` : `$aws/things/${thing}/shadow/name/${name}`;
}

/** AWS named shadow names: letters, digits, `:`, `_`, `-`, at most 64 characters. */
export const SHADOW_NAME = /^[A-Za-z0-9:_-]{1,64}$/;
