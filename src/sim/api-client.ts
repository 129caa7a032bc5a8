/**
 * The few HTTP API calls the simulator and the load test make: provision a device model, devices
 * and their credentials; send a command and wait for its outcome; read /metrics. Requests go
 * only to the URL the user gave.
 */
import { SimErrors } from './errors.js';

export interface ApiTarget {
  url: string;
  token: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
  text: string;
}

export async function apiRequest(
  api: ApiTarget,
  method: 'GET' | 'POST' | 'PUT',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<ApiResponse> {
  const res = await fetch(new URL(path, api.url), {
    method,
    headers: {
      authorization: `Bearer ${api.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    // not JSON: callers use `text`
  }
  return { status: res.status, body: parsed, text };
}

export interface ModelSpec {
  name: string;
  description: string;
  heartbeatIntervalMs: number;
}

/** Create the device model; an existing one (409) is fine. Falls back to a bare model if the
 * registry rejects the heartbeat policy (the API may be older or newer than this simulator). */
export async function ensureModel(api: ApiTarget, m: ModelSpec): Promise<void> {
  const full = {
    name: m.name,
    description: m.description,
    heartbeat: {
      intervalMs: Math.round(m.heartbeatIntervalMs),
      graceMs: Math.round(m.heartbeatIntervalMs),
      signOfLife: 'heartbeat',
    },
  };
  let r = await apiRequest(api, 'POST', '/api/v1/device-models', full);
  if (r.status === 400 || r.status === 422)
    r = await apiRequest(api, 'POST', '/api/v1/device-models', { name: m.name });
  if (r.status >= 300 && r.status !== 409)
    throw SimErrors.apiFailed(`create device model ${m.name}`, r.status, r.text);
}

/** Create a device (409 = already there) and issue a password credential; returns it. */
export async function provisionDevice(
  api: ApiTarget,
  id: string,
  model: string,
): Promise<{ username: string; password: string }> {
  const d = await apiRequest(api, 'POST', '/api/v1/devices', { id, model, name: id, tags: ['simulated'] });
  if (d.status >= 300 && d.status !== 409) throw SimErrors.apiFailed(`create device ${id}`, d.status, d.text);
  const c = await apiRequest(api, 'POST', `/api/v1/devices/${encodeURIComponent(id)}/credentials`, {
    kind: 'password',
  });
  const creds = c.status < 300 ? readCredentials(c.body, id) : undefined;
  if (!creds) throw SimErrors.apiFailed(`issue credentials for ${id}`, c.status, c.text);
  return creds;
}

/**
 * The secret comes back once. Accepts `{username, password}` and the registry's
 * `{credential: {username}, secret}` shape.
 */
export function readCredentials(
  body: unknown,
  id: string,
): { username: string; password: string } | undefined {
  const b = (body ?? {}) as {
    username?: unknown;
    password?: unknown;
    secret?: unknown;
    credential?: { username?: unknown };
  };
  const password =
    typeof b.password === 'string' ? b.password : typeof b.secret === 'string' ? b.secret : undefined;
  if (password === undefined) return undefined;
  const username =
    typeof b.username === 'string'
      ? b.username
      : typeof b.credential?.username === 'string'
        ? b.credential.username
        : id;
  return { username, password };
}

/** Run `fn` over `items` with at most `concurrency` in flight. */
export async function mapLimit<T, R>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return out;
}

export interface CommandResult {
  ok: boolean;
  /** Round trip of the HTTP call that waited for the outcome, ms. */
  latencyMs: number;
  status: string;
}

/** POST a command with `wait: true` and time the round trip as the operator's app sees it. */
export async function sendCommand(
  api: ApiTarget,
  deviceId: string,
  name: string,
  timeoutMs: number,
): Promise<CommandResult> {
  const t0 = performance.now();
  try {
    const r = await apiRequest(
      api,
      'POST',
      `/api/v1/devices/${encodeURIComponent(deviceId)}/commands`,
      { name, timeoutMs, wait: true },
      timeoutMs + 5000,
    );
    const latencyMs = performance.now() - t0;
    const b = r.body as { status?: unknown; command?: { status?: unknown } } | undefined;
    const raw = b?.status ?? b?.command?.status;
    const status = typeof raw === 'string' ? raw : `http_${r.status}`;
    const ok = r.status < 300 && ['ok', 'succeeded', 'success', 'completed', 'done'].includes(status);
    return { ok, latencyMs, status };
  } catch (err) {
    return {
      ok: false,
      latencyMs: performance.now() - t0,
      status: err instanceof Error ? err.name : 'error',
    };
  }
}

/** Read a gauge (sum over its series) from a Prometheus text exposition. */
export function metricValue(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const v = Number(line.trim().split(/\s+/).pop());
    if (Number.isFinite(v)) sum = (sum ?? 0) + v;
  }
  return sum;
}

export async function serverMemoryBytes(api: ApiTarget): Promise<number | undefined> {
  try {
    const r = await apiRequest(api, 'GET', '/metrics', undefined, 5000);
    if (r.status !== 200) return undefined;
    return (
      metricValue(r.text, 'process_resident_memory_bytes') ??
      metricValue(r.text, 'tsunagu_process_resident_memory_bytes')
    );
  } catch {
    return undefined;
  }
}
