/**
 * Input checks shared by the HTTP API and the YAML import, so both name the failing field the same
 * way. JSON schemas on the routes catch shape errors first; these catch what a schema cannot say.
 */
import {
  OUT_OF_SERVICE_COMMANDS,
  type DecoderRoute,
  type HeartbeatPolicy,
  type ModelField,
  type OutOfServiceCommands,
  type SignOfLife,
} from '../core/index.js';
import { checkTemplatePattern } from './acl.js';
import { RegistryErrors } from './errors.js';
import { checkDecoderRoutes } from './model-decoders.js';
import type { AclTemplate, ShadowOptions } from './types.js';

export interface ModelInput {
  name: string;
  description?: string;
  heartbeat?: HeartbeatPolicy;
  acl?: AclTemplate;
  decoder?: string;
  decoders?: DecoderRoute[];
  shadow?: ShadowOptions;
  outOfServiceCommands?: OutOfServiceCommands;
  fields?: ModelField[];
  attributes?: Record<string, unknown>;
}

export interface DeviceInput {
  id: string;
  model?: string | null;
  name?: string;
  tags?: string[];
  attributes?: Record<string, unknown>;
  enabled?: boolean;
}

export type DevicePatch = Omit<Partial<DeviceInput>, 'id'>;

/**
 * Device ids are MQTT client ids, topic levels and what operators read in the console: the AWS IoT
 * thing-name set, ASCII only, so no NUL, no right-to-left override, no look-alike letters.
 */
const DEVICE_ID = /^[A-Za-z0-9:_-]{1,128}$/;
const MODEL_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const SIGNS: SignOfLife[] = ['heartbeat', 'any_message', 'connection'];

const fail = (field: string, why: string): never => {
  throw RegistryErrors.invalid(field, why);
};

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export function checkDeviceId(id: unknown, field = 'id'): string {
  if (typeof id !== 'string' || !DEVICE_ID.test(id))
    fail(field, 'must be 1-128 characters: ASCII letters, digits, ":", "_" or "-"');
  return id as string;
}

export function checkModelName(name: unknown, field = 'name'): string {
  if (typeof name !== 'string' || !MODEL_NAME.test(name))
    fail(field, 'must be 1-64 characters: letters, digits, ".", "_", "-", starting with a letter or digit');
  return name as string;
}

function checkStringList(v: unknown, field: string, max = 64): string[] {
  if (!Array.isArray(v)) return fail(field, 'must be a list of strings');
  if (v.length > max) fail(field, `must have at most ${max} entries`);
  v.forEach((s, i) => {
    if (typeof s !== 'string' || s === '' || s.length > 256)
      fail(`${field}[${i}]`, 'must be a non-empty string');
  });
  return v as string[];
}

function checkTags(v: unknown, field: string): string[] {
  const tags = checkStringList(v, field);
  tags.forEach((t, i) => {
    if (/\s/.test(t)) fail(`${field}[${i}]`, 'must not contain whitespace');
  });
  return [...new Set(tags)];
}

function checkAttributes(v: unknown, field: string): Record<string, unknown> {
  if (!isObject(v)) fail(field, 'must be an object');
  if (JSON.stringify(v).length > 16 * 1024) fail(field, 'must be at most 16 KiB as JSON');
  return v as Record<string, unknown>;
}

function checkPositiveInt(v: unknown, field: string, min = 1): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(field, `must be an integer >= ${min}`);
  return v as number;
}

export function checkModel(v: unknown, at = ''): ModelInput {
  const f = (k: string): string => (at ? `${at}.${k}` : k);
  if (!isObject(v)) return fail(at || 'body', 'must be an object');
  const known = [
    'name',
    'description',
    'heartbeat',
    'acl',
    'decoder',
    'decoders',
    'shadow',
    'outOfServiceCommands',
    'fields',
    'attributes',
  ];
  for (const k of Object.keys(v)) if (!known.includes(k)) fail(f(k), 'is not a device model field');
  const out: ModelInput = { name: checkModelName(v.name, f('name')) };
  if (v.description !== undefined) {
    if (typeof v.description !== 'string' || v.description.length > 1024)
      fail(f('description'), 'must be a string of at most 1024 characters');
    out.description = v.description as string;
  }
  if (v.heartbeat !== undefined) {
    const h = v.heartbeat;
    if (!isObject(h)) return fail(f('heartbeat'), 'must be an object');
    const signOfLife = h.signOfLife ?? 'heartbeat';
    if (!SIGNS.includes(signOfLife as SignOfLife))
      fail(f('heartbeat.signOfLife'), `must be one of ${SIGNS.join(', ')}`);
    out.heartbeat = {
      intervalMs: checkPositiveInt(h.intervalMs, f('heartbeat.intervalMs'), 1000),
      graceMs: h.graceMs === undefined ? 0 : checkPositiveInt(h.graceMs, f('heartbeat.graceMs'), 0),
      signOfLife: signOfLife as SignOfLife,
    };
  }
  if (v.acl !== undefined) {
    const a = v.acl;
    if (!isObject(a)) return fail(f('acl'), 'must be an object with publish and/or subscribe lists');
    const acl: AclTemplate = {};
    for (const action of ['publish', 'subscribe'] as const) {
      if (a[action] === undefined) continue;
      const list = checkStringList(a[action], f(`acl.${action}`));
      list.forEach((p, i) => {
        const why = checkTemplatePattern(p);
        if (why) fail(f(`acl.${action}[${i}]`), why);
      });
      acl[action] = list;
    }
    for (const k of Object.keys(a))
      if (k !== 'publish' && k !== 'subscribe')
        fail(f(`acl.${k}`), 'is not an ACL field (publish, subscribe)');
    out.acl = acl;
  }
  if (v.decoder !== undefined) {
    if (typeof v.decoder !== 'string' || v.decoder === '') fail(f('decoder'), 'must be a decoder id');
    out.decoder = v.decoder as string;
  }
  if (v.decoders !== undefined) out.decoders = checkDecoderRoutes(v.decoders, f('decoders'));
  if (v.shadow !== undefined) {
    const s = v.shadow;
    if (!isObject(s)) return fail(f('shadow'), 'must be an object');
    const shadow: ShadowOptions = {};
    if (s.clearDesiredOnReport !== undefined) {
      if (typeof s.clearDesiredOnReport !== 'boolean')
        fail(f('shadow.clearDesiredOnReport'), 'must be true or false');
      shadow.clearDesiredOnReport = s.clearDesiredOnReport as boolean;
    }
    if (s.maxDocumentBytes !== undefined)
      shadow.maxDocumentBytes = checkPositiveInt(s.maxDocumentBytes, f('shadow.maxDocumentBytes'), 64);
    out.shadow = shadow;
  }
  if (v.outOfServiceCommands !== undefined) {
    if (!OUT_OF_SERVICE_COMMANDS.includes(v.outOfServiceCommands as OutOfServiceCommands))
      fail(f('outOfServiceCommands'), `must be one of ${OUT_OF_SERVICE_COMMANDS.join(', ')}`);
    out.outOfServiceCommands = v.outOfServiceCommands as OutOfServiceCommands;
  }
  if (v.fields !== undefined) out.fields = checkFields(v.fields, f('fields'));
  if (v.attributes !== undefined) out.attributes = checkAttributes(v.attributes, f('attributes'));
  return out;
}

/** `fields`: telemetry keys (unique, non-empty) with an optional unit and label, at most 256. */
function checkFields(v: unknown, field: string): ModelField[] {
  if (!Array.isArray(v) || v.length > 256) return fail(field, 'must be a list of at most 256 fields');
  const seen = new Set<string>();
  return v.map((x: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isObject(x)) return fail(at, 'must be an object with key, unit and label');
    for (const k of Object.keys(x))
      if (k !== 'key' && k !== 'unit' && k !== 'label') fail(`${at}.${k}`, 'is not a field property');
    if (typeof x.key !== 'string' || x.key.trim() === '' || x.key.length > 128)
      fail(`${at}.key`, 'must be a telemetry key of 1 to 128 characters');
    const key = (x.key as string).trim();
    if (seen.has(key)) fail(`${at}.key`, `"${key}" is listed twice`);
    seen.add(key);
    const out: ModelField = { key };
    for (const k of ['unit', 'label'] as const) {
      const s = x[k];
      if (s === undefined || s === '') continue;
      if (typeof s !== 'string' || s.length > 64)
        fail(`${at}.${k}`, 'must be a string of at most 64 characters');
      out[k] = s as string;
    }
    return out;
  });
}

function checkDeviceFields(v: Record<string, unknown>, f: (k: string) => string, out: DevicePatch): void {
  if (v.model !== undefined) out.model = v.model === null ? null : checkModelName(v.model, f('model'));
  if (v.name !== undefined) {
    if (typeof v.name !== 'string' || v.name.length > 256)
      fail(f('name'), 'must be a string of at most 256 characters');
    out.name = v.name as string;
  }
  if (v.tags !== undefined) out.tags = checkTags(v.tags, f('tags'));
  if (v.attributes !== undefined) out.attributes = checkAttributes(v.attributes, f('attributes'));
  if (v.enabled !== undefined) {
    if (typeof v.enabled !== 'boolean') fail(f('enabled'), 'must be true or false');
    out.enabled = v.enabled as boolean;
  }
}

const DEVICE_FIELDS = ['id', 'model', 'name', 'tags', 'attributes', 'enabled'];

export function checkDevice(v: unknown, at = ''): DeviceInput {
  const f = (k: string): string => (at ? `${at}.${k}` : k);
  if (!isObject(v)) return fail(at || 'body', 'must be an object');
  for (const k of Object.keys(v)) if (!DEVICE_FIELDS.includes(k)) fail(f(k), 'is not a device field');
  const out: DeviceInput = { id: checkDeviceId(v.id, f('id')) };
  checkDeviceFields(v, f, out);
  return out;
}

export function checkDevicePatch(v: unknown): DevicePatch {
  if (!isObject(v)) return fail('body', 'must be an object');
  for (const k of Object.keys(v))
    if (!DEVICE_FIELDS.includes(k) || k === 'id')
      fail(`body.${k}`, k === 'id' ? 'cannot be changed' : 'is not a device field');
  const out: DevicePatch = {};
  checkDeviceFields(v, (k) => `body.${k}`, out);
  return out;
}

/** SHA-256 fingerprint: 64 hex digits, colons allowed; normalised to lowercase without colons. */
export function checkFingerprint(v: unknown, field = 'fingerprint'): string {
  const s = typeof v === 'string' ? v.replace(/:/g, '').toLowerCase() : '';
  if (!/^[0-9a-f]{64}$/.test(s)) fail(field, 'must be a SHA-256 fingerprint (64 hex digits, colons allowed)');
  return s;
}
