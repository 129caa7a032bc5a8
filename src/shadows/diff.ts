/**
 * Path-level difference between two shadow states (history diff). Paths are JSONPath-like:
 * `$.desired.temp`, `$.reported.lights[0].on`. Objects and arrays are walked; a value that
 * changes type (object → scalar) is one `changed` entry at that path.
 */
import { deepEqual, isObject, type Json } from './json.js';

export interface DiffEntry {
  path: string;
  op: 'added' | 'removed' | 'changed';
  from?: Json;
  to?: Json;
}

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

function child(path: string, key: string | number): string {
  if (typeof key === 'number') return `${path}[${key}]`;
  return IDENT.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
}

function walk(path: string, a: Json | undefined, b: Json | undefined, out: DiffEntry[]): void {
  if (a === undefined && b === undefined) return;
  if (a === undefined) {
    out.push({ path, op: 'added', to: b });
    return;
  }
  if (b === undefined) {
    out.push({ path, op: 'removed', from: a });
    return;
  }
  if (isObject(a) && isObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of [...keys].sort())
      walk(
        child(path, k),
        Object.hasOwn(a, k) ? a[k] : undefined,
        Object.hasOwn(b, k) ? b[k] : undefined,
        out,
      );
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) walk(child(path, i), a[i], b[i], out);
    return;
  }
  if (!deepEqual(a, b)) out.push({ path, op: 'changed', from: a, to: b });
}

/** Differences going from state `a` to state `b` (each `{ desired?, reported? }`). */
export function diffStates(a: Json | undefined, b: Json | undefined): DiffEntry[] {
  const out: DiffEntry[] = [];
  walk('$', a ?? {}, b ?? {}, out);
  return out;
}
