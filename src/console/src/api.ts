/**
 * The console's only way to the server: `/api/v1` with the browser's session cookie (HttpOnly, set
 * by sign-in; the console never sees it) and, on requests that change state, the session's CSRF
 * token in `X-CSRF-Token`. A 401 means the session ended (expiry, sign-out elsewhere, user
 * disabled): listeners registered with `onSignedOut` send the user back to the sign-in page.
 * `call()` is typed by the generated `Paths` (api-schema.ts, from /api/v1/openapi.json): the path
 * pattern picks the params, query, body and response types.
 */
import type { Method, Paths } from './api-schema';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** The CSRF token of the current session, kept in memory only (from sign-in or GET /auth/session). */
let csrfToken: string | undefined;
export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

const signedOutListeners = new Set<() => void>();
/** Called when the server answers 401: the session is gone. Returns an unsubscribe function. */
export function onSignedOut(fn: () => void): () => void {
  signedOutListeners.add(fn);
  return () => signedOutListeners.delete(fn);
}
function sessionEnded(): void {
  csrfToken = undefined;
  for (const fn of signedOutListeners) fn();
}

/**
 * Sign out: ends the session here; after a single sign-on the browser goes on to the provider's
 * logout page (RP-initiated logout), which sends it back to the console.
 */
export async function signOut(): Promise<void> {
  const r: { endSessionUrl?: string } = await api<{ endSessionUrl?: string }>(
    'POST',
    '/auth/logout',
    {},
  ).catch(() => ({}));
  csrfToken = undefined;
  if (r.endSessionUrl) window.location.assign(r.endSessionUrl);
}

/** Headers every request needs: the CSRF token on state-changing methods. */
export function authHeaders(method: string): Record<string, string> {
  return method !== 'GET' && method !== 'HEAD' && csrfToken ? { 'x-csrf-token': csrfToken } : {};
}

/** For raw fetches (CSV, YAML): same credentials and CSRF header as `api()`, same 401 handling. */
export async function rawFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const method = (init.method ?? 'GET').toUpperCase();
  const res = await fetch(`/api/v1${path}`, {
    ...init,
    credentials: 'same-origin',
    headers: { ...authHeaders(method), ...(init.headers as Record<string, string> | undefined) },
  });
  if (res.status === 401) sessionEnded();
  return res;
}

type Query = Record<string, string | number | boolean | undefined | null>;

export function withQuery(path: string, q?: Query): string {
  if (!q) return path;
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v !== undefined && v !== null && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `${path}?${s}` : path;
}

export async function api<T>(method: string, path: string, body?: unknown, q?: Query): Promise<T> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await rawFetch(withQuery(path, q), {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  const data: unknown = text ? safeJson(text) : undefined;
  if (!res.ok) {
    const e = (data as { error?: { code?: string; message?: string; field?: string } } | undefined)?.error;
    throw new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? res.statusText, e?.field);
  }
  return data as T;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

type Op<P extends keyof Paths, M extends keyof Paths[P]> = Paths[P][M];
type Opts<O> = (O extends { params: infer X } ? { params: X } : { params?: never }) &
  (O extends { query: infer Q } ? { query?: Q } : { query?: never }) &
  (O extends { body: infer B } ? { body: B } : { body?: never });

/** `/devices/:id/shadow` + `{ id: 'd 1' }` → `/devices/d%201/shadow`. */
export function fillPath(pattern: string, params: Record<string, string> | undefined): string {
  return pattern.replace(/:([A-Za-z]+)/g, (_, k: string) => {
    const v = params?.[k];
    if (v === undefined) throw new Error(`missing path parameter ${k} for ${pattern}`);
    return encodeURIComponent(v);
  });
}

/** A typed request: `call('/devices/:id', 'get', { params: { id } })` resolves to the device. */
export function call<P extends keyof Paths, M extends keyof Paths[P] & Method>(
  path: P,
  method: M,
  ...[opts]: Partial<Opts<Op<P, M>>> extends Opts<Op<P, M>> ? [Opts<Op<P, M>>?] : [Opts<Op<P, M>>]
): Promise<Op<P, M> extends { response: infer R } ? R : never> {
  const o = (opts ?? {}) as { params?: Record<string, string>; query?: Query; body?: unknown };
  return api(
    method.toUpperCase(),
    fillPath(path, o.params),
    o.body ?? (method === 'get' || method === 'delete' ? undefined : {}),
    o.query,
  );
}

/** Untyped, for routes whose body is not JSON (YAML import/export). */
export const get = <T>(path: string, q?: Query): Promise<T> => api<T>('GET', path, undefined, q);
export const post = <T>(path: string, body?: unknown, q?: Query): Promise<T> =>
  api<T>('POST', path, body ?? {}, q);
export const put = <T>(path: string, body?: unknown): Promise<T> => api<T>('PUT', path, body ?? {});
export const patch = <T>(path: string, body?: unknown): Promise<T> => api<T>('PATCH', path, body ?? {});
export const del = <T>(path: string): Promise<T> => api<T>('DELETE', path);

/**
 * Live updates: reads the server-sent event stream with fetch (the session cookie goes along; a 401
 * ends the session in the console). Calls `onEvent` per event; reconnects after a drop. Returns a
 * stop function.
 */
export function streamEvents(onEvent: (type: string, data: unknown) => void): () => void {
  let stopped = false;
  let controller: AbortController | undefined;
  const run = async (): Promise<void> => {
    while (!stopped) {
      controller = new AbortController();
      try {
        const res = await rawFetch('/stream', { signal: controller.signal });
        if (res.status === 401) return;
        if (!res.ok || !res.body) throw new Error(`stream ${res.status}`);
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let idx: number;
          while ((idx = buf.indexOf('\n\n')) >= 0) {
            const chunk = buf.slice(0, idx);
            buf = buf.slice(idx + 2);
            let type = 'message';
            let data = '';
            for (const line of chunk.split('\n')) {
              if (line.startsWith('event: ')) type = line.slice(7);
              else if (line.startsWith('data: ')) data += line.slice(6);
            }
            if (data) onEvent(type, safeJson(data));
          }
        }
      } catch {
        /* dropped: retry below */
      }
      if (!stopped) await new Promise((r) => setTimeout(r, 2000));
    }
  };
  void run();
  return () => {
    stopped = true;
    controller?.abort();
  };
}
