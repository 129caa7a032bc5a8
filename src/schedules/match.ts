/**
 * Verification: does the reported state carry every key of the desired patch? Objects are
 * compared key by key (a shadow merges patches, so reported may hold more); `null` in a patch
 * deletes a key, so reported must not have it (AWS shadow semantics).
 */
import { isDeepStrictEqual } from 'node:util';
import type { JsonObject } from './types.js';

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Differences as readable `key: reported X, desired Y` lines; empty when applied. */
export function mismatches(
  patch: JsonObject,
  reported: Record<string, unknown> | undefined,
  path = '',
): string[] {
  const out: string[] = [];
  for (const [k, want] of Object.entries(patch)) {
    const name = path ? `${path}.${k}` : k;
    const got = reported?.[k];
    if (want === null) {
      if (got !== undefined && got !== null)
        out.push(`${name}: reported ${JSON.stringify(got)}, desired absent`);
    } else if (isObject(want)) {
      if (!isObject(got)) out.push(`${name}: reported ${JSON.stringify(got ?? null)}, desired an object`);
      else out.push(...mismatches(want, got, name));
    } else if (!isDeepStrictEqual(got, want)) {
      out.push(`${name}: reported ${JSON.stringify(got ?? null)}, desired ${JSON.stringify(want)}`);
    }
  }
  return out;
}

/** Keys of `patch` the manual `desired` sets to something else (an override of the schedule). */
export function overriddenKeys(patch: JsonObject, desired: Record<string, unknown>): string[] {
  return Object.keys(patch).filter((k) => k in desired && !isDeepStrictEqual(desired[k], patch[k]));
}
