/**
 * The clientToken of a request, for the answer to echo it. AWS shadow ("Error response document"):
 * a rejection carries the request's clientToken, and SDKs match answers by it — without it they
 * wait for their timeout. A parsed body gives it directly; a body that is not JSON or too large to
 * parse is scanned for `"clientToken":"…"` within a bounded window at each end (the SDKs put it
 * last, hand-written firmware often first), so a hostile payload costs at most two small scans.
 */
import { DEFAULT_MAX_DOCUMENT_BYTES, MAX_CLIENT_TOKEN_BYTES } from './document.js';
import { isObject } from './json.js';

/** Bytes scanned at the start and at the end of a payload that could not be parsed. */
export const TOKEN_SCAN_BYTES = 4096;

const valid = (t: unknown): t is string =>
  typeof t === 'string' && Buffer.byteLength(t) <= MAX_CLIENT_TOKEN_BYTES;

/** The token of a parsed request body, when it is one a valid request could carry. */
export function tokenOf(body: unknown): string | undefined {
  if (!isObject(body)) return undefined;
  return valid(body.clientToken) ? body.clientToken : undefined;
}

// A JSON string literal of at most 4×64 source characters (escapes take more than one); JSON.parse
// then refuses what a string literal may not hold (raw control characters).
const TOKEN = /"clientToken"\s*:\s*("(?:[^"\\]|\\.){0,256}")/g;

function scan(text: string, last: boolean): string | undefined {
  let found: string | undefined;
  for (const m of text.matchAll(TOKEN)) {
    let token: unknown;
    try {
      token = JSON.parse(m[1]!);
    } catch {
      continue;
    }
    if (!valid(token)) continue;
    found = token;
    if (!last) break;
  }
  return found;
}

/** The clientToken found by scanning the raw payload (first match at the start, last at the end). */
export function recoverClientToken(payload: Buffer): string | undefined {
  if (payload.length <= 2 * TOKEN_SCAN_BYTES) return scan(payload.toString('utf8'), false);
  return (
    scan(payload.subarray(payload.length - TOKEN_SCAN_BYTES).toString('utf8'), true) ??
    scan(payload.subarray(0, TOKEN_SCAN_BYTES).toString('utf8'), false)
  );
}

/** The token of a raw payload not otherwise parsed (a request refused before its body is read). */
export function clientTokenOf(payload: Buffer): string | undefined {
  if (payload.length <= DEFAULT_MAX_DOCUMENT_BYTES) {
    try {
      const token = tokenOf(JSON.parse(payload.toString('utf8')));
      if (token !== undefined) return token;
    } catch {
      // not JSON: scan below
    }
  }
  return recoverClientToken(payload);
}
