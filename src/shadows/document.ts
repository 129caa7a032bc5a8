/**
 * Shadow document logic, pure and synchronous: request validation, merge with per-field metadata,
 * delta, and the response documents. Follows the AWS IoT Developer Guide chapters "Device Shadow
 * service documents" (document properties, delta state, versioning, empty fields) and "Device
 * Shadow error messages" (codes and texts). No I/O and no clock: the caller passes `nowMs`.
 */
import { ShadowErrors } from './errors.js';
import { deepEqual, depth, hasUnsafeKey, isObject, type Json, type JsonObject } from './json.js';

/** AWS shadow limits: at most 6 levels in desired/reported; clientToken at most 64 bytes. */
export const MAX_DEPTH = 6;
export const MAX_CLIENT_TOKEN_BYTES = 64;
/** Our default for the state document size (AWS's is 8 KiB per shadow; a model may override ours). */
export const DEFAULT_MAX_DOCUMENT_BYTES = 64 * 1024;

export interface ShadowState {
  desired?: JsonObject;
  reported?: JsonObject;
}

/**
 * Metadata mirrors the state: objects for objects, arrays for arrays (one entry per element), and
 * `{ timestamp }` (epoch seconds) for every scalar.
 */
export interface ShadowMetadata {
  desired?: JsonObject;
  reported?: JsonObject;
}

/** A stored shadow. `deleted` keeps the version so a re-created shadow continues it (AWS behaviour). */
export interface ShadowDocument {
  deviceId: string;
  name: string;
  state: ShadowState;
  metadata: ShadowMetadata;
  version: number;
  /** Epoch ms of the last change. */
  updatedAt: number;
  deleted: boolean;
}

export interface UpdateRequest {
  state: { desired?: JsonObject | null; reported?: JsonObject | null };
  version?: number;
  clientToken?: string;
}

export interface DocumentOptions {
  maxDocumentBytes: number;
  /** Beyond AWS: a reported value equal to the desired one removes the desired field. */
  clearDesiredOnReport: boolean;
}

/** Decode a request payload: size, UTF-8, JSON. Empty payloads are `{}` (AWS /get and /delete). */
export function decodePayload(payload: Buffer, maxBytes: number): unknown {
  if (payload.length > maxBytes) throw ShadowErrors.tooLarge();
  if (payload.length === 0) return {};
  try {
    return JSON.parse(payload.toString('utf8')) as unknown;
  } catch {
    throw ShadowErrors.invalidJson();
  }
}

function checkClientToken(token: unknown): string | undefined {
  if (token === undefined) return undefined;
  if (typeof token !== 'string' || Buffer.byteLength(token) > MAX_CLIENT_TOKEN_BYTES)
    throw ShadowErrors.invalidClientToken();
  return token;
}

/** The clientToken of a /get or /delete request (they carry nothing else). */
export function parseTokenOnly(body: unknown): { clientToken?: string } {
  if (!isObject(body)) throw ShadowErrors.invalidJson();
  const clientToken = checkClientToken(body.clientToken);
  return clientToken === undefined ? {} : { clientToken };
}

function checkSection(v: unknown, err: () => Error): JsonObject | null | undefined {
  if (v === undefined || v === null) return v;
  if (!isObject(v)) throw err();
  // AWS shadow: "JSON contains too many levels of nesting; maximum is 6" (desired/reported content).
  if (depth(v, MAX_DEPTH + 1) > MAX_DEPTH) throw ShadowErrors.tooDeep(MAX_DEPTH);
  if (hasUnsafeKey(v)) throw ShadowErrors.invalidNode();
  // AWS shadow "Array values in shadow documents": arrays can't have null values ("not valid");
  // null means "delete this field", which has no meaning inside an array that replaces whole.
  if (hasNullInArray(v, false)) throw ShadowErrors.invalidJson();
  return v;
}

function hasNullInArray(v: Json, inArray: boolean): boolean {
  if (v === null) return inArray;
  if (Array.isArray(v)) return v.some((x) => hasNullInArray(x, true));
  if (isObject(v)) return Object.values(v).some((x) => hasNullInArray(x, inArray));
  return false;
}

/** Validate an /update request document; errors carry the AWS code and message. */
export function parseUpdate(body: unknown): UpdateRequest {
  if (!isObject(body)) throw ShadowErrors.invalidJson();
  const clientToken = checkClientToken(body.clientToken);
  if (body.state === undefined) throw ShadowErrors.missingState();
  if (!isObject(body.state)) throw ShadowErrors.stateNotObject();
  for (const k of Object.keys(body.state))
    if (k !== 'desired' && k !== 'reported') throw ShadowErrors.invalidNode();
  const desired = checkSection(body.state.desired, ShadowErrors.desiredNotObject);
  const reported = checkSection(body.state.reported, ShadowErrors.reportedNotObject);
  let version: number | undefined;
  if (body.version !== undefined) {
    if (typeof body.version !== 'number' || !Number.isSafeInteger(body.version) || body.version < 0)
      throw ShadowErrors.invalidVersion();
    version = body.version;
  }
  const state: UpdateRequest['state'] = {};
  if (desired !== undefined) state.desired = desired;
  if (reported !== undefined) state.reported = reported;
  return {
    state,
    ...(version === undefined ? {} : { version }),
    ...(clientToken === undefined ? {} : { clientToken }),
  };
}

const clone = <T>(v: T): T => structuredClone(v);

/**
 * Merge `patch` into `target` (both mutated in place with their metadata). AWS shadow: updates
 * affect only the fields given; `null` deletes a field; arrays are replaced whole.
 */
function merge(target: JsonObject, meta: JsonObject, patch: JsonObject, ts: number): void {
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) {
      delete target[k];
      delete meta[k];
      continue;
    }
    if (isObject(v)) {
      const t = Object.hasOwn(target, k) ? target[k] : undefined;
      if (!isObject(t)) target[k] = {};
      const m = Object.hasOwn(meta, k) ? meta[k] : undefined;
      if (!isObject(m) || typeof m.timestamp === 'number') meta[k] = {};
      const sub = target[k] as JsonObject;
      merge(sub, meta[k] as JsonObject, v, ts);
      // An object emptied by null deletes disappears (AWS shadow: empty nodes are removed).
      if (Object.keys(sub).length === 0 && Object.keys(v).length > 0) {
        delete target[k];
        delete meta[k];
      }
      continue;
    }
    target[k] = clone(v);
    meta[k] = metadataFor(v, ts);
  }
}

/**
 * Metadata for a value: the same shape, a `{ timestamp }` at each scalar (and null), arrays element
 * by element (AWS shadow metadata: one timestamp per array element).
 */
function metadataFor(patch: Json, ts: number): Json {
  if (Array.isArray(patch)) return patch.map((v) => metadataFor(v, ts));
  if (!isObject(patch)) return { timestamp: ts };
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(patch)) out[k] = metadataFor(v, ts);
  return out;
}

/**
 * AWS shadow "delta state": only fields present in desired whose value differs from reported
 * (nested objects compared field by field; arrays and scalars as whole values).
 */
export function computeDelta(desired: JsonObject | undefined, reported: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  if (!desired) return out;
  for (const [k, d] of Object.entries(desired)) {
    const r = reported && Object.hasOwn(reported, k) ? reported[k] : undefined;
    if (r === undefined) out[k] = d;
    else if (isObject(d) && isObject(r)) {
      const sub = computeDelta(d, r);
      if (Object.keys(sub).length > 0) out[k] = sub;
    } else if (!deepEqual(d, r)) out[k] = d;
  }
  return out;
}

/** The desired metadata for exactly the fields of a delta. */
function pickMetadata(delta: JsonObject, meta: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(delta)) {
    const m = meta && Object.hasOwn(meta, k) ? meta[k] : undefined;
    if (isObject(v) && isObject(m) && typeof m.timestamp !== 'number') out[k] = pickMetadata(v, m);
    else if (m !== undefined) out[k] = m;
  }
  return out;
}

/** Beyond AWS (model option): drop desired fields that the report just made equal. */
function clearSatisfied(
  desired: JsonObject,
  dMeta: JsonObject,
  patch: JsonObject,
  reported: JsonObject | undefined,
): void {
  for (const [k, pv] of Object.entries(patch)) {
    if (pv === null || !Object.hasOwn(desired, k)) continue;
    const dv = desired[k];
    const rv = reported && Object.hasOwn(reported, k) ? reported[k] : undefined;
    const sm = Object.hasOwn(dMeta, k) ? dMeta[k] : undefined;
    if (isObject(pv) && isObject(dv) && isObject(rv)) {
      clearSatisfied(dv, isObject(sm) ? sm : {}, pv, rv);
      if (Object.keys(dv).length === 0) {
        delete desired[k];
        delete dMeta[k];
      }
    } else if (deepEqual(dv, rv)) {
      delete desired[k];
      delete dMeta[k];
    }
  }
}

export interface UpdateOutcome {
  next: ShadowDocument;
  /** Body of /update/accepted. */
  accepted: JsonObject;
  /** Body of /update/documents. */
  documents: JsonObject;
  /** Body of /update/delta, when the resulting delta is not empty. */
  delta: JsonObject | undefined;
}

const tokenField = (t: string | undefined): JsonObject => (t === undefined ? {} : { clientToken: t });

function snapshot(doc: ShadowDocument): JsonObject {
  return {
    state: clone(doc.state) as JsonObject,
    metadata: clone(doc.metadata) as JsonObject,
    version: doc.version,
  };
}

/**
 * Apply a validated update to the current shadow (undefined or deleted = none yet). Throws 409
 * when `req.version` is given and differs (AWS shadow: optimistic locking), 413 when the
 * resulting state exceeds `maxDocumentBytes`.
 */
export function applyUpdate(
  current: ShadowDocument | undefined,
  deviceId: string,
  name: string,
  req: UpdateRequest,
  nowMs: number,
  opts: DocumentOptions,
): UpdateOutcome {
  const exists = current !== undefined && !current.deleted;
  const baseVersion = current?.version ?? 0;
  if (req.version !== undefined && req.version !== baseVersion) throw ShadowErrors.versionConflict();
  const ts = Math.floor(nowMs / 1000);
  const state: ShadowState = exists ? clone(current.state) : {};
  const metadata: ShadowMetadata = exists ? clone(current.metadata) : {};
  for (const section of ['desired', 'reported'] as const) {
    const patch = req.state[section];
    if (patch === undefined) continue;
    if (patch === null) {
      // AWS shadow: `"desired": null` removes the whole section.
      delete state[section];
      delete metadata[section];
      continue;
    }
    const target = state[section] ?? {};
    const meta = metadata[section] ?? {};
    merge(target, meta, patch, ts);
    state[section] = target;
    metadata[section] = meta;
  }
  if (opts.clearDesiredOnReport && req.state.reported && state.desired)
    clearSatisfied(state.desired, metadata.desired ?? {}, req.state.reported, state.reported);
  for (const section of ['desired', 'reported'] as const)
    if (state[section] && Object.keys(state[section]).length === 0) {
      delete state[section];
      delete metadata[section];
    }
  if (Buffer.byteLength(JSON.stringify(state)) > opts.maxDocumentBytes) throw ShadowErrors.tooLarge();

  const next: ShadowDocument = {
    deviceId,
    name,
    state,
    metadata,
    version: baseVersion + 1,
    updatedAt: nowMs,
    deleted: false,
  };
  const reqMeta: JsonObject = {};
  for (const section of ['desired', 'reported'] as const)
    if (req.state[section] !== undefined) reqMeta[section] = metadataFor(req.state[section], ts);
  const accepted: JsonObject = {
    state: clone(req.state),
    metadata: reqMeta,
    version: next.version,
    timestamp: ts,
    ...tokenField(req.clientToken),
  };
  const documents: JsonObject = {
    ...(exists ? { previous: snapshot(current) } : {}),
    current: snapshot(next),
    timestamp: ts,
    ...tokenField(req.clientToken),
  };
  const d = computeDelta(state.desired, state.reported);
  const delta =
    Object.keys(d).length === 0
      ? undefined
      : {
          state: d,
          metadata: pickMetadata(d, metadata.desired),
          version: next.version,
          timestamp: ts,
          ...tokenField(req.clientToken),
        };
  return { next, accepted, documents, delta };
}

/** Body of /get/accepted: state with delta, metadata, version, timestamp (AWS shadow document). */
export function getResponse(doc: ShadowDocument, nowMs: number, clientToken?: string): JsonObject {
  const d = computeDelta(doc.state.desired, doc.state.reported);
  const state: JsonObject = clone(doc.state) as JsonObject;
  if (Object.keys(d).length > 0) state.delta = d;
  return {
    state,
    metadata: clone(doc.metadata) as JsonObject,
    version: doc.version,
    timestamp: Math.floor(nowMs / 1000),
    ...tokenField(clientToken),
  };
}

/** Body of `…/rejected`: AWS shadow error response document. */
export function errorResponse(
  code: number,
  message: string,
  nowMs: number,
  clientToken?: string,
): JsonObject {
  return { code, message, timestamp: Math.floor(nowMs / 1000), ...tokenField(clientToken) };
}
