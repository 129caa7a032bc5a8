/**
 * Rule definitions from the API or YAML: every field checked, errors naming the field path
 * (`actions[1].url`) and, for the statement, the line, column and token. The result is a RuleDef
 * plus its compiled statement and templates.
 */
import { republishRefusal } from './actions/republish.js';
import { TsunaguError } from '../core/index.js';
import { RulesErrors } from './errors.js';
import { RuleSqlError } from './sql-errors.js';
import { compileStatement, type CompiledStatement } from './sql-eval.js';
import { compileTemplate, TemplateError, type Template } from './template.js';
import { ACTION_TYPES, type ActionDef, type PlatformActionDef, type RuleDef } from './types.js';

export interface RuleLimits {
  maxRules: number;
  maxActionsPerRule: number;
  /** Largest message payload a rule evaluates (larger ones are counted and skipped). */
  maxPayloadBytes: number;
  /** Loop protection: most rule republishes a message may have passed through (default 8). */
  maxHops: number;
}

export const DEFAULT_LIMITS: RuleLimits = {
  maxRules: 10_000,
  maxActionsPerRule: 10,
  maxPayloadBytes: 128 * 1024,
  maxHops: 8,
};

export const NAME_RE = /^[A-Za-z0-9_]{1,128}$/;
const MAX_ATTEMPTS = 50;

/** Compiled templates of one action, by field name (`topic`, `headers.x-id`, `columns.temp` …). */
export type ActionTemplates = Map<string, Template>;

export interface CompiledRule {
  def: RuleDef;
  statement: CompiledStatement;
  actions: ActionTemplates[];
  errorAction: ActionTemplates | undefined;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const bad = (field: string, why: string): never => {
  throw RulesErrors.invalid(field, why);
};

function str(o: Obj, k: string, path: string, required: true, max?: number): string;
function str(o: Obj, k: string, path: string, required: false, max?: number): string | undefined;
function str(o: Obj, k: string, path: string, required: boolean, max = 4096): string | undefined {
  const v = o[k];
  if (v === undefined) return required ? bad(`${path}${k}`, 'is required') : undefined;
  if (typeof v !== 'string') return bad(`${path}${k}`, 'must be a string');
  if (required && v.length === 0) bad(`${path}${k}`, 'must not be empty');
  if (v.length > max) bad(`${path}${k}`, `must be at most ${max} characters`);
  return v;
}

function int(o: Obj, k: string, path: string, min: number, max: number): number | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    bad(`${path}${k}`, `must be an integer from ${min} to ${max}`);
  return v as number;
}

function stringMap(o: Obj, k: string, path: string): Record<string, string> | undefined {
  const v = o[k];
  if (v === undefined) return undefined;
  if (!isObj(v)) return bad(`${path}${k}`, 'must be an object of strings');
  for (const [key, x] of Object.entries(v))
    if (typeof x !== 'string') bad(`${path}${k}.${key}`, 'must be a string');
  return v as Record<string, string>;
}

function only(o: Obj, allowed: string[], path: string): void {
  for (const k of Object.keys(o)) if (!allowed.includes(k)) bad(`${path}${k}`, 'unknown field');
}

function url(v: string, field: string, schemes: string[]): void {
  let u: URL;
  try {
    u = new URL(v.replace(/\$\{[^}]*\}/g, 'x'));
  } catch {
    return bad(field, 'must be a URL');
  }
  if (!schemes.includes(u.protocol)) bad(field, `must be a ${schemes.join(' or ')} URL`);
}

const COMMON = ['type', 'maxAttempts', 'ratePerSecond'];
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?$/;

function parseAction(v: unknown, path: string): ActionDef {
  if (!isObj(v)) return bad(path.slice(0, -1), 'must be an object');
  const type = v.type;
  if (typeof type !== 'string' || !(ACTION_TYPES as readonly string[]).includes(type))
    return bad(`${path}type`, `must be one of ${ACTION_TYPES.join(', ')}`);
  const common = {
    ...(int(v, 'maxAttempts', path, 1, MAX_ATTEMPTS) !== undefined
      ? { maxAttempts: v.maxAttempts as number }
      : {}),
    ...(int(v, 'ratePerSecond', path, 1, 1_000_000) !== undefined
      ? { ratePerSecond: v.ratePerSecond as number }
      : {}),
  };
  switch (type) {
    case 'republish': {
      only(v, [...COMMON, 'topic', 'qos', 'retain', 'userProperties'], path);
      const topic = str(v, 'topic', path, true, 1024);
      if (/[+#]/.test(topic.replace(/\$\{[^}]*\}/g, '')))
        bad(`${path}topic`, 'a topic name holds no wildcards');
      const refusal = topic.includes('${') ? null : republishRefusal(topic);
      if (refusal) bad(`${path}topic`, refusal);
      const qos = int(v, 'qos', path, 0, 1) as 0 | 1 | undefined;
      if (v.retain !== undefined && typeof v.retain !== 'boolean') bad(`${path}retain`, 'must be a boolean');
      const userProperties = stringMap(v, 'userProperties', path);
      return {
        type,
        topic,
        ...(qos !== undefined ? { qos } : {}),
        ...(v.retain !== undefined ? { retain: v.retain as boolean } : {}),
        ...(userProperties ? { userProperties } : {}),
        ...common,
      };
    }
    case 'http': {
      only(v, [...COMMON, 'url', 'method', 'headers', 'body', 'secret', 'timeoutMs'], path);
      const u = str(v, 'url', path, true, 2048);
      url(u, `${path}url`, ['http:', 'https:']);
      const method = str(v, 'method', path, false);
      if (method !== undefined && !['POST', 'PUT', 'PATCH'].includes(method))
        bad(`${path}method`, 'must be POST, PUT or PATCH');
      const headers = stringMap(v, 'headers', path);
      const body = str(v, 'body', path, false, 65536);
      const secret = str(v, 'secret', path, false, 512);
      const timeoutMs = int(v, 'timeoutMs', path, 100, 120_000);
      return {
        type,
        url: u,
        ...(method ? { method: method as 'POST' } : {}),
        ...(headers ? { headers } : {}),
        ...(body !== undefined ? { body } : {}),
        ...(secret ? { secret } : {}),
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...common,
      };
    }
    case 'postgres': {
      only(v, [...COMMON, 'url', 'table', 'columns'], path);
      const u = str(v, 'url', path, true, 2048);
      url(u, `${path}url`, ['postgres:', 'postgresql:']);
      const table = str(v, 'table', path, true, 127);
      if (!IDENT.test(table)) bad(`${path}table`, 'must be a plain table name, optionally schema.table');
      const columns = stringMap(v, 'columns', path);
      if (!columns || Object.keys(columns).length === 0)
        return bad(`${path}columns`, 'needs at least one column');
      for (const c of Object.keys(columns))
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(c))
          bad(`${path}columns.${c}`, 'column names are plain identifiers');
      return { type, url: u, table, columns, ...common };
    }
    case 'amqp': {
      only(v, [...COMMON, 'url', 'exchange', 'routingKey', 'persistent'], path);
      const u = str(v, 'url', path, true, 2048);
      url(u, `${path}url`, ['amqp:', 'amqps:']);
      const exchange = str(v, 'exchange', path, false, 255) ?? '';
      const routingKey = str(v, 'routingKey', path, true, 255);
      if (v.persistent !== undefined && typeof v.persistent !== 'boolean')
        bad(`${path}persistent`, 'must be a boolean');
      return {
        type,
        url: u,
        exchange,
        routingKey,
        ...(v.persistent !== undefined ? { persistent: v.persistent as boolean } : {}),
        ...common,
      };
    }
    case 'telemetry':
    case 'shadow':
    case 'command':
    case 'notify':
    case 'alarm':
      return { ...parsePlatformAction(type, v, path), ...common };
    default: {
      only(v, [...COMMON, 'url', 'subject'], path);
      const u = str(v, 'url', path, true, 2048);
      url(u, `${path}url`, ['nats:', 'tls:']);
      const subject = str(v, 'subject', path, true, 255);
      if (/[\s*>]/.test(subject.replace(/\$\{[^}]*\}/g, '')))
        bad(`${path}subject`, 'a subject to publish to holds no spaces or wildcards');
      return { type: 'nats', url: u, subject, ...common };
    }
  }
}

const SEVERITIES = ['info', 'warning', 'error', 'critical'];
const DEVICE_TPL = '${clientid()}';

function parsePlatformAction(type: PlatformActionDef['type'], v: Obj, path: string): PlatformActionDef {
  const device = str(v, 'device', path, false, 1024);
  if (device !== undefined && device.length === 0) bad(`${path}device`, 'must not be empty');
  const dev = device !== undefined ? { device } : {};
  switch (type) {
    case 'telemetry':
      only(v, [...COMMON, 'device'], path);
      return { type, ...dev };
    case 'shadow': {
      only(v, [...COMMON, 'device', 'shadowName', 'section'], path);
      const shadowName = str(v, 'shadowName', path, false, 64);
      if (shadowName && !/^[A-Za-z0-9:_-]{1,64}$/.test(shadowName))
        bad(`${path}shadowName`, 'letters, digits, :, _ and -, at most 64');
      const section = str(v, 'section', path, false);
      if (section !== undefined && section !== 'desired' && section !== 'reported')
        bad(`${path}section`, 'must be desired or reported');
      return {
        type,
        ...dev,
        ...(shadowName ? { shadowName } : {}),
        ...(section ? { section: section as 'desired' } : {}),
      };
    }
    case 'command': {
      only(v, [...COMMON, 'device', 'name', 'timeoutMs', 'offline'], path);
      const name = str(v, 'name', path, true, 128);
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) bad(`${path}name`, 'letters, digits, _, . and -');
      const timeoutMs = int(v, 'timeoutMs', path, 100, 3_600_000);
      const offline = str(v, 'offline', path, false);
      if (offline !== undefined && offline !== 'reject' && offline !== 'queue')
        bad(`${path}offline`, 'must be reject or queue');
      return {
        type,
        ...dev,
        name,
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
        ...(offline ? { offline: offline as 'queue' } : {}),
      };
    }
    case 'notify': {
      only(v, [...COMMON, 'title', 'severity', 'device'], path);
      const title = str(v, 'title', path, true, 512);
      const severity = str(v, 'severity', path, false);
      if (severity !== undefined && !SEVERITIES.includes(severity))
        bad(`${path}severity`, `must be one of ${SEVERITIES.join(', ')}`);
      return { type, title, ...dev, ...(severity ? { severity: severity as 'info' } : {}) };
    }
    case 'alarm': {
      only(v, [...COMMON, 'name', 'severity', 'message', 'device', 'clear'], path);
      const name = str(v, 'name', path, true, 128);
      if (!/^[A-Za-z0-9_.-]+$/.test(name)) bad(`${path}name`, 'letters, digits, _, . and -');
      const severity = str(v, 'severity', path, false);
      if (severity !== undefined && !SEVERITIES.includes(severity))
        bad(`${path}severity`, `must be one of ${SEVERITIES.join(', ')}`);
      const message = str(v, 'message', path, false, 1024);
      if (v.clear !== undefined && typeof v.clear !== 'boolean') bad(`${path}clear`, 'must be a boolean');
      return {
        type,
        name,
        ...dev,
        ...(severity ? { severity: severity as 'info' } : {}),
        ...(message !== undefined ? { message } : {}),
        ...(v.clear === true ? { clear: true } : {}),
      };
    }
  }
}

/** The template fields of an action (secrets and connection URLs are not templates). */
export function templateFields(a: ActionDef): [string, string][] {
  switch (a.type) {
    case 'republish':
      return [
        ['topic', a.topic],
        ...Object.entries(a.userProperties ?? {}).map(([k, v]): [string, string] => [
          `userProperties.${k}`,
          v,
        ]),
      ];
    case 'http':
      return [
        ['url', a.url],
        ...Object.entries(a.headers ?? {}).map(([k, v]): [string, string] => [`headers.${k}`, v]),
        ...(a.body !== undefined ? [['body', a.body] as [string, string]] : []),
      ];
    case 'postgres':
      return Object.entries(a.columns).map(([k, v]): [string, string] => [`columns.${k}`, v]);
    case 'amqp':
      return [['routingKey', a.routingKey]];
    case 'nats':
      return [['subject', a.subject]];
    case 'telemetry':
    case 'shadow':
    case 'command':
      return [['device', a.device ?? DEVICE_TPL]];
    case 'notify':
      return [
        ['title', a.title],
        ...(a.device !== undefined ? [['device', a.device] as [string, string]] : []),
      ];
    case 'alarm':
      return [
        ['message', a.message ?? a.name],
        ...(a.device !== undefined ? [['device', a.device] as [string, string]] : []),
      ];
  }
}

function compileActionTemplates(a: ActionDef, path: string): ActionTemplates {
  const out: ActionTemplates = new Map();
  for (const [field, src] of templateFields(a)) {
    try {
      out.set(field, compileTemplate(src));
    } catch (e) {
      if (e instanceof TemplateError) bad(`${path}${field}`, e.message);
      throw e;
    }
  }
  return out;
}

export function parseRule(input: unknown, limits: RuleLimits, nameFromPath?: string): CompiledRule {
  if (!isObj(input)) return bad('body', 'must be an object');
  only(input, ['name', 'description', 'sql', 'enabled', 'actions', 'errorAction'], '');
  const name = nameFromPath ?? str(input, 'name', '', true, 128);
  if (nameFromPath !== undefined && input.name !== undefined && input.name !== nameFromPath)
    bad('name', 'does not match the rule name in the path');
  if (!NAME_RE.test(name)) bad('name', 'letters, digits and underscores, at most 128');
  const description = str(input, 'description', '', false, 2048);
  const sql = str(input, 'sql', '', true, 16 * 1024);
  let statement: CompiledStatement;
  try {
    statement = compileStatement(sql);
  } catch (e) {
    if (e instanceof RuleSqlError) {
      throw new TsunaguError(RulesErrors.invalid.code, `sql: ${e.message}`, 422, {
        field: 'sql',
        details: { line: e.line, column: e.column, offset: e.offset, token: e.token },
      });
    }
    throw e;
  }
  if (input.enabled !== undefined && typeof input.enabled !== 'boolean') bad('enabled', 'must be a boolean');
  const rawActions = input.actions ?? [];
  if (!Array.isArray(rawActions)) return bad('actions', 'must be an array');
  if (rawActions.length > limits.maxActionsPerRule)
    throw RulesErrors.limit('actions', `at most ${limits.maxActionsPerRule} actions per rule`);
  const actions = rawActions.map((a, i) => parseAction(a, `actions[${i}].`));
  const errorAction =
    input.errorAction === undefined ? undefined : parseAction(input.errorAction, 'errorAction.');
  const def: RuleDef = {
    name,
    ...(description !== undefined ? { description } : {}),
    sql,
    enabled: input.enabled !== false,
    actions,
    ...(errorAction ? { errorAction } : {}),
  };
  return compileRule(def, statement);
}

/** Compile a definition already validated (loaded from the store). */
export function compileRule(def: RuleDef, statement?: CompiledStatement): CompiledRule {
  return {
    def,
    statement: statement ?? compileStatement(def.sql),
    actions: def.actions.map((a, i) => compileActionTemplates(a, `actions[${i}].`)),
    errorAction: def.errorAction ? compileActionTemplates(def.errorAction, 'errorAction.') : undefined,
  };
}

/** Secret fields: write-only (masked in responses, audit entries and exports). */
export const SECRET_FIELDS: Record<string, string[]> = {
  http: ['secret'],
  postgres: ['url'],
  amqp: ['url'],
  nats: ['url'],
};

export const MASK = '***';

function maskAction(a: ActionDef): ActionDef {
  const fields = SECRET_FIELDS[a.type] ?? [];
  const out = { ...a } as Record<string, unknown>;
  for (const f of fields)
    if (out[f] !== undefined) out[f] = f === 'url' && typeof out[f] === 'string' ? maskUrl(out[f]) : MASK;
  return out as unknown as ActionDef;
}

/** A URL with its password masked (the host stays visible: operators need to see where it goes). */
function maskUrl(u: string): string {
  try {
    const x = new URL(u);
    if (x.password) x.password = MASK;
    return x.toString();
  } catch {
    return MASK;
  }
}

export function maskRule<T extends RuleDef>(r: T): T {
  return {
    ...r,
    actions: r.actions.map(maskAction),
    ...(r.errorAction ? { errorAction: maskAction(r.errorAction) } : {}),
  };
}

/** A write that sends a masked secret back keeps the stored one (GET → edit → PUT round trip). */
export function keepSecrets(next: RuleDef, prev: RuleDef | undefined): RuleDef {
  if (!prev) return next;
  const keep = (a: ActionDef, p: ActionDef | undefined): ActionDef => {
    if (!p || p.type !== a.type) return a;
    const out = { ...a } as Record<string, unknown>;
    const old = p as unknown as Record<string, unknown>;
    for (const f of SECRET_FIELDS[a.type] ?? []) {
      const v = out[f];
      if (v === MASK || (typeof v === 'string' && v.includes(MASK) && f === 'url')) out[f] = old[f];
    }
    return out as unknown as ActionDef;
  };
  return {
    ...next,
    actions: next.actions.map((a, i) => keep(a, prev.actions[i])),
    ...(next.errorAction ? { errorAction: keep(next.errorAction, prev.errorAction) } : {}),
  };
}
