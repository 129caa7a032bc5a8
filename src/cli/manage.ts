/**
 * Management verbs against a running platform's HTTP API (any node of a cluster):
 *
 *   tsunagu devices  list | get ID | create ID [--model M] [--name N] [--tag T]… | update ID … | delete ID
 *                    credential ID | credentials ID | rotate ID CRED | revoke ID CRED
 *   tsunagu models   list | get NAME | apply FILE | delete NAME
 *   tsunagu tokens   list | create NAME --role ROLE [--expires-in 30d] | revoke ID
 *   tsunagu channels list | create NAME --type slack|webhook --url URL [--secret-file F] | test ID | delete ID
 *   tsunagu routes   list | create NAME --channel ID… [--kind K]… | delete ID
 *
 * Common options: --url (TSUNAGU_URL, default http://127.0.0.1:8080), --token (TSUNAGU_TOKEN) or
 * --token-file FILE, --json (the API's JSON instead of a table). Secrets the platform makes (device
 * credentials, tokens) are printed once, as the API returns them once.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';

export interface ManageIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: Record<string, string | undefined>;
}

export class UsageError extends Error {}

type Json = Record<string, unknown>;

export const MANAGE_USAGE = `usage: tsunagu <devices|models|tokens|channels|routes> <action> [args] [options]

  devices  list [--model M] [--tag T] [--online true|false] [--q TEXT] [--limit N]
           get ID | create ID [--model M] [--name NAME] [--tag T]… | delete ID
           update ID [--model M (empty: none)] [--name NAME] [--tag T]… (tags replace the list)
           credential ID            make a password credential; its secret is printed once
           credentials ID           list a device's credentials (never secrets)
           rotate ID CRED [--overlap 24h]   new password (printed once); the old one works for the overlap
           revoke ID CRED           revoke a credential (a device connected with it is disconnected)
  models   list | get NAME | apply FILE.yaml|FILE.json (create or replace) | delete NAME
  tokens   list | create NAME --role admin|operator|viewer [--expires-in 30d|12h|3600s] | revoke ID
  channels list | create NAME --type slack|webhook --url URL [--secret-file FILE] | delete ID
           test ID                  send a test message now; exit 1 when the endpoint did not take it
  routes   list | create NAME --channel ID… [--kind KIND]… | delete ID

options: --url URL (TSUNAGU_URL, default http://127.0.0.1:8080)
         --token TOKEN (TSUNAGU_TOKEN) or --token-file FILE
         --json   print the API's JSON instead of a table
`;

interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
  json: boolean;
}

const BOOL_FLAGS = new Set(['json']);

function parseArgs(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (!a.startsWith('--')) {
      positional.push(a);
      continue;
    }
    const [name, inline] = a.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOL_FLAGS.has(name)) {
      json = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${name} needs a value`);
    flags.set(name, [...(flags.get(name) ?? []), value]);
  }
  return { positional, flags, json };
}

const one = (p: Parsed, name: string): string | undefined => p.flags.get(name)?.at(-1);
const need = (v: string | undefined, what: string): string => {
  if (v === undefined || v === '') throw new UsageError(`missing ${what}`);
  return v;
};

/** `30d`, `12h`, `15m`, `3600s` or plain seconds. */
export function parseDurationS(text: string): number {
  const m = /^(\d+)([smhd]?)$/.exec(text.trim());
  if (!m) throw new UsageError(`--expires-in: expected e.g. 30d, 12h, 15m or 3600s, got "${text}"`);
  return Number(m[1]) * { '': 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2] as '' | 's' | 'm' | 'h' | 'd'];
}

/** Columns sized to their widest cell; missing values print as "—". */
export function table(rows: Json[], columns: string[]): string {
  const cell = (v: unknown): string =>
    v === undefined || v === null || v === ''
      ? '—'
      : Array.isArray(v)
        ? v.map((x) => (typeof x === 'object' ? JSON.stringify(x) : String(x))).join(',') || '—'
        : typeof v === 'string'
          ? v
          : JSON.stringify(v);
  const cells = rows.map((r) => columns.map((c) => cell(r[c])));
  const width = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]): string =>
    r
      .map((v, i) => v.padEnd(width[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

export async function runManage(resource: string, argv: string[], io: ManageIo): Promise<number> {
  const p = parseArgs(argv);
  const base = (one(p, 'url') ?? io.env.TSUNAGU_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
  const tokenFile = one(p, 'token-file');
  const token =
    one(p, 'token') ?? (tokenFile ? readFileSync(tokenFile, 'utf8').trim() : io.env.TSUNAGU_TOKEN);
  const [action, ...args] = p.positional;

  const api = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    let res: Response;
    try {
      res = await fetch(`${base}/api/v1${path}`, {
        method,
        headers: {
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (e) {
      throw new ApiFailure(
        `cannot reach ${base} (${(e as Error & { cause?: Error }).cause?.message ?? String(e)})`,
      );
    }
    const text = await res.text();
    const parsed = text ? (safeJson(text) ?? text) : undefined;
    if (!res.ok) {
      // The platform's error body: { error: { code, message, field? } }.
      type ErrorBody = { error?: { code?: string; message?: string; field?: string } };
      const e = (typeof parsed === 'object' ? (parsed as ErrorBody).error : undefined) ?? {};
      throw new ApiFailure(
        `${method} ${path}: ${res.status} ${e.code ?? ''}${e.message ? `: ${e.message}` : ''}${e.field ? ` (${e.field})` : ''}`.trim(),
        res.status,
      );
    }
    return parsed;
  };
  const print = (data: unknown, columns: string[]): void => {
    if (p.json) return io.out(`${JSON.stringify(data, null, 2)}\n`);
    const rows = Array.isArray(data) ? data : ((data as { items?: unknown[] })?.items ?? [data]);
    io.out(table(rows as Json[], columns));
  };
  const enc = encodeURIComponent;

  switch (`${resource} ${action ?? ''}`) {
    case 'devices list': {
      const q = new URLSearchParams();
      for (const k of ['model', 'tag', 'online', 'q', 'limit', 'offset']) {
        const v = one(p, k);
        if (v !== undefined) q.set(k, v);
      }
      const page = (await api('GET', `/devices${q.size ? `?${q}` : ''}`)) as { total?: number };
      print(page, ['id', 'name', 'model', 'online', 'enabled', 'tags']);
      if (!p.json && page.total !== undefined) io.err(`${page.total} devices\n`);
      return 0;
    }
    case 'devices get':
      print(await api('GET', `/devices/${enc(need(args[0], 'device id'))}`), [
        'id',
        'name',
        'model',
        'online',
        'enabled',
        'tags',
        'lastSeenAt',
      ]);
      return 0;
    case 'devices create': {
      const body: Json = { id: need(args[0], 'device id') };
      if (one(p, 'model')) body.model = one(p, 'model');
      if (one(p, 'name')) body.name = one(p, 'name');
      if (p.flags.get('tag')) body.tags = p.flags.get('tag');
      print(await api('POST', '/devices', body), ['id', 'name', 'model', 'enabled', 'tags']);
      return 0;
    }
    case 'devices update': {
      const body: Json = {};
      const model = one(p, 'model');
      if (model !== undefined) body.model = model === '' ? null : model;
      if (one(p, 'name') !== undefined) body.name = one(p, 'name');
      if (p.flags.get('tag')) body.tags = p.flags.get('tag');
      if (Object.keys(body).length === 0)
        throw new UsageError('devices update: give --model, --name or --tag');
      print(await api('PATCH', `/devices/${enc(need(args[0], 'device id'))}`, body), [
        'id',
        'name',
        'model',
        'enabled',
        'tags',
      ]);
      return 0;
    }
    case 'devices credentials':
      print(await api('GET', `/devices/${enc(need(args[0], 'device id'))}/credentials`), [
        'id',
        'kind',
        'username',
        'status',
        'createdAt',
        'expiresAt',
      ]);
      return 0;
    case 'devices rotate': {
      const path = `/devices/${enc(need(args[0], 'device id'))}/credentials/${enc(need(args[1], 'credential id'))}`;
      const overlap = one(p, 'overlap');
      const r = (await api(
        'POST',
        `${path}/rotate`,
        overlap ? { overlapMs: parseDurationS(overlap) * 1000 } : {},
      )) as {
        credential?: Json;
        secret?: string;
      };
      print({ ...r.credential, secret: r.secret }, ['id', 'username', 'status', 'secret']);
      if (!p.json) io.err('the secret is shown once: store it on the device now\n');
      return 0;
    }
    case 'devices revoke': {
      const path = `/devices/${enc(need(args[0], 'device id'))}/credentials/${enc(need(args[1], 'credential id'))}`;
      print(await api('POST', `${path}/revoke`), ['id', 'kind', 'status', 'revokedAt']);
      return 0;
    }
    case 'devices delete':
      await api('DELETE', `/devices/${enc(need(args[0], 'device id'))}`);
      io.err(`deleted device ${args[0]}\n`);
      return 0;
    case 'devices credential': {
      const c = (await api('POST', `/devices/${enc(need(args[0], 'device id'))}/credentials`, {})) as Json;
      print(c, ['id', 'deviceId', 'secret']);
      if (!p.json) io.err('the secret is shown once: store it on the device now\n');
      return 0;
    }
    case 'models list':
      print(await api('GET', '/device-models'), ['name', 'description', 'decoder', 'outOfServiceCommands']);
      return 0;
    case 'models get':
      print(await api('GET', `/device-models/${enc(need(args[0], 'model name'))}`), [
        'name',
        'description',
        'decoder',
        'heartbeat',
      ]);
      return 0;
    case 'models apply': {
      const file = need(args[0], 'model file (YAML or JSON)');
      let model: Json;
      try {
        model = parseYaml(readFileSync(file, 'utf8')) as Json; // YAML is a superset of JSON
      } catch (e) {
        throw new UsageError(`${file}: ${(e as Error).message}`);
      }
      const name = need(typeof model?.name === 'string' ? model.name : undefined, `"name" in ${file}`);
      let exists = true;
      try {
        await api('GET', `/device-models/${enc(name)}`);
      } catch (e) {
        if (!(e instanceof ApiFailure && e.status === 404)) throw e;
        exists = false;
      }
      const saved = exists
        ? await api('PUT', `/device-models/${enc(name)}`, model)
        : await api('POST', '/device-models', model);
      print(saved, ['name', 'description', 'decoder']);
      io.err(`${exists ? 'replaced' : 'created'} model ${name}\n`);
      return 0;
    }
    case 'models delete':
      await api('DELETE', `/device-models/${enc(need(args[0], 'model name'))}`);
      io.err(`deleted model ${args[0]}\n`);
      return 0;
    case 'tokens list':
      print(await api('GET', '/tokens'), ['id', 'name', 'role', 'expiresAt', 'lastUsedAt']);
      return 0;
    case 'tokens create': {
      const body: Json = { name: need(args[0], 'token name'), role: need(one(p, 'role'), '--role') };
      const exp = one(p, 'expires-in');
      if (exp) body.expiresInSeconds = parseDurationS(exp);
      const created = (await api('POST', '/tokens', body)) as { token?: Json; secret?: string };
      print({ ...created.token, secret: created.secret }, ['id', 'name', 'role', 'expiresAt', 'secret']);
      if (!p.json) io.err('the secret is shown once\n');
      return 0;
    }
    case 'tokens revoke':
      await api('DELETE', `/tokens/${enc(need(args[0], 'token id'))}`);
      io.err(`revoked token ${args[0]}\n`);
      return 0;
    case 'channels list':
      print(await api('GET', '/notification-channels'), ['id', 'name', 'type', 'url', 'enabled']);
      return 0;
    case 'channels create': {
      const body: Json = {
        name: need(args[0], 'channel name'),
        type: need(one(p, 'type'), '--type'),
        url: need(one(p, 'url'), '--url'),
      };
      const secretFile = one(p, 'secret-file');
      if (secretFile) body.secret = readFileSync(secretFile, 'utf8').trim();
      print(await api('POST', '/notification-channels', body), ['id', 'name', 'type', 'url']);
      return 0;
    }
    case 'channels test': {
      const id = need(args[0], 'channel id');
      const r = (await api('POST', `/notification-channels/${enc(id)}/test`)) as {
        delivered?: boolean;
        statusCode?: number | null;
        error?: string | null;
      };
      print(r, ['delivered', 'statusCode', 'error']);
      if (!r.delivered)
        throw new ApiFailure(`channel ${id} did not take the test message: ${r.error ?? 'no answer'}`);
      return 0;
    }
    case 'channels delete':
      await api('DELETE', `/notification-channels/${enc(need(args[0], 'channel id'))}`);
      io.err(`deleted channel ${args[0]}\n`);
      return 0;
    case 'routes list':
      print(await api('GET', '/notification-routes'), ['id', 'name', 'kinds', 'channelIds', 'minSeverity']);
      return 0;
    case 'routes create': {
      const body: Json = { name: need(args[0], 'route name'), channelIds: p.flags.get('channel') ?? [] };
      if (p.flags.get('kind')) body.kinds = p.flags.get('kind');
      print(await api('POST', '/notification-routes', body), ['id', 'name', 'kinds', 'channelIds']);
      return 0;
    }
    case 'routes delete':
      await api('DELETE', `/notification-routes/${enc(need(args[0], 'route id'))}`);
      io.err(`deleted route ${args[0]}\n`);
      return 0;
    default:
      throw new UsageError(
        action ? `unknown action "${resource} ${action}"` : `"${resource}" needs an action`,
      );
  }
}

export class ApiFailure extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
