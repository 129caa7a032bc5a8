/**
 * Dot paths with array indices into decoded JSON: `battery.cells[2].volts`, `readings[0]`.
 * Compiled once per decoder so decoding does no string work.
 */
import { fail } from './spec.js';

export type PathStep = string | number;

export function compilePath(path: string, field: string): PathStep[] {
  const steps: PathStep[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  let consumed = 0;
  for (const m of path.matchAll(re)) {
    const sep = path.slice(consumed, m.index);
    if (sep !== '' && sep !== '.') fail(field, `unexpected "${sep}" in path "${path}"`);
    if (sep === '.' && steps.length === 0) fail(field, `path "${path}" starts with "."`);
    steps.push(m[2] !== undefined ? Number(m[2]) : m[1]!);
    consumed = m.index + m[0].length;
  }
  if (steps.length === 0 || consumed !== path.length) fail(field, `invalid path "${path}"`);
  return steps;
}

export function getPath(root: unknown, steps: readonly PathStep[]): unknown {
  let cur = root;
  for (const s of steps) {
    if (typeof s === 'number') {
      if (!Array.isArray(cur)) return undefined;
      cur = cur[s];
    } else {
      if (typeof cur !== 'object' || cur === null || Array.isArray(cur)) return undefined;
      if (!Object.prototype.hasOwnProperty.call(cur, s)) return undefined;
      cur = (cur as Record<string, unknown>)[s];
    }
  }
  return cur;
}
