/** Small JSON helpers shared by the shadow document logic and the diff. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqual(a[i], b[i])) return false;
    return true;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k)) return false;
    if (!deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])) return false;
  }
  return true;
}

/**
 * Nesting depth: a scalar is 0, an object or array is 1 + its deepest child. Stops counting past
 * `cap` so a hostile 100,000-level document costs no deep recursion.
 */
export function depth(v: unknown, cap: number): number {
  if (typeof v !== 'object' || v === null) return 0;
  if (cap <= 0) return 1;
  let max = 0;
  for (const child of Array.isArray(v) ? v : Object.values(v)) {
    const d = depth(child, cap - 1);
    if (d > max) max = d;
    if (max >= cap) break;
  }
  return 1 + max;
}

/** Own keys that would be unsafe as plain-object property names (prototype setters). */
export function hasUnsafeKey(v: unknown, cap = 64): boolean {
  if (typeof v !== 'object' || v === null || cap <= 0) return false;
  if (Array.isArray(v)) return v.some((x) => hasUnsafeKey(x, cap - 1));
  for (const [k, child] of Object.entries(v)) {
    if (k === '__proto__') return true;
    if (hasUnsafeKey(child, cap - 1)) return true;
  }
  return false;
}
