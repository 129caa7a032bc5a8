import { useState } from 'react';
import { ApiError, call } from '../../api';
import type { DiffChange, ShadowDoc, ShadowHistoryEntry } from '../../api-types';
import { ErrorText } from '../../components/bits';
import { formatTime } from '../../format';
import { useLoad } from '../../hooks';
import { parseJsonObject } from '../../parse';

/** AWS IoT shadow names: letters, digits, colon, underscore and hyphen, up to 64. */
const SHADOW_NAME = /^[A-Za-z0-9:_-]{1,64}$/;

function actorText(a: ShadowHistoryEntry['actor'] | undefined): string {
  return a ? `${a.kind ?? '?'}:${a.id ?? '?'}` : '—';
}

export function ShadowTab({
  id,
  canEdit,
  customer = false,
  live,
}: {
  id: string;
  canEdit: boolean;
  /** A customer's user: the server accepts only the model's customer-writable desired keys. */
  customer?: boolean;
  live: number;
}): JSX.Element {
  // '' = the classic shadow; otherwise a named shadow (AWS: `$aws/things/{id}/shadow/name/{name}`).
  const [name, setName] = useState('');
  const [newName, setNewName] = useState('');
  const names = useLoad(() => call('/devices/:id/shadows', 'get', { params: { id } }), [id, live]);
  // A customer may set only its model's customer-writable keys: say which before the attempt.
  const writable = useLoad(
    () =>
      customer
        ? call('/devices/:id/customer-writable', 'get', { params: { id } }).then((r) => r.keys)
        : Promise.resolve(undefined),
    [id, customer],
  );
  const keys = writable.data;
  const mayWrite = canEdit && (!customer || (keys !== undefined && keys.length > 0));
  const named = { id, name };
  const params = { id };
  const shadow = useLoad<ShadowDoc | undefined>(async () => {
    try {
      return name
        ? await call('/devices/:id/shadows/:name', 'get', { params: named })
        : await call('/devices/:id/shadow', 'get', { params });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined; // no shadow yet
      throw e;
    }
  }, [id, name, live]);
  const history = useLoad(
    () =>
      name
        ? call('/devices/:id/shadows/:name/history', 'get', { params: named, query: { limit: 50 } })
        : call('/devices/:id/shadow/history', 'get', { params, query: { limit: 50 } }),
    [id, name, live],
  );
  const shadowNames = ['', ...(names.data?.names ?? []).filter((n) => n !== '')];
  if (name && !shadowNames.includes(name)) shadowNames.push(name);
  const pick = (n: string): void => {
    setName(n);
    setDraft('');
    setDiff(undefined);
    setError(undefined);
  };
  const [draft, setDraft] = useState('');
  const [error, setError] = useState<string>();
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [diff, setDiff] = useState<DiffChange[]>();

  const save = async (): Promise<void> => {
    const desired = parseJsonObject(draft);
    if (typeof desired === 'string') {
      setError(desired);
      return;
    }
    const body = {
      state: { desired },
      ...(shadow.data?.version !== undefined ? { version: shadow.data.version } : {}),
    };
    try {
      if (name) await call('/devices/:id/shadows/:name', 'post', { params: named, body });
      else await call('/devices/:id/shadow', 'post', { params, body });
      setError(undefined);
      names.reload();
      setDraft('');
      shadow.reload();
      history.reload();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    }
  };
  const loadDiff = async (): Promise<void> => {
    try {
      const query = { from: Number(from), to: Number(to) };
      const r = name
        ? await call('/devices/:id/shadows/:name/diff', 'get', { params: named, query })
        : await call('/devices/:id/shadow/diff', 'get', { params, query });
      setDiff(r.changes ?? []);
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    }
  };
  const doc = shadow.data;
  return (
    <>
      <div className="filters" role="group" aria-label="Shadows">
        <label>
          Shadow
          <select value={name} onChange={(e) => pick(e.target.value)} data-testid="shadow-name">
            {shadowNames.map((n) => (
              <option key={n} value={n}>
                {n === '' ? 'classic (unnamed)' : n}
              </option>
            ))}
          </select>
        </label>
        {mayWrite && (
          <form
            className="row"
            onSubmit={(e) => {
              e.preventDefault();
              if (!SHADOW_NAME.test(newName))
                return setError('A shadow name is 1–64 letters, digits, _, - or :');
              pick(newName);
              setNewName('');
            }}
          >
            <label>
              New named shadow
              <input
                value={newName}
                onChange={(e) => setNewName(e.target.value)}
                placeholder="config"
                size={14}
              />
            </label>
            <button type="submit" className="secondary" disabled={!newName.trim()}>
              Open
            </button>
          </form>
        )}
        <span className="muted">
          {names.data ? `${shadowNames.length} shadow${shadowNames.length === 1 ? '' : 's'}` : ''}
        </span>
      </div>
      <div className="grid2">
        <section className="panel" aria-labelledby="sh-h">
          <h2 id="sh-h">
            {name ? `Shadow "${name}"` : 'Classic shadow'}{' '}
            {doc ? <span className="muted">version {doc.version}</span> : null}
          </h2>
          <ErrorText error={shadow.error} />
          {shadow.loading && !doc && <p className="muted">Loading…</p>}
          {!doc && !shadow.loading && (
            <p className="muted">
              No {name ? `shadow named "${name}"` : 'classic shadow'} yet
              {mayWrite ? ': set a desired state below to create it.' : '.'}
            </p>
          )}
          {doc && (
            <>
              <h3>Desired</h3>
              <pre data-testid="shadow-desired">{JSON.stringify(doc.state?.desired ?? {}, null, 2)}</pre>
              <h3>Reported</h3>
              <pre data-testid="shadow-reported">{JSON.stringify(doc.state?.reported ?? {}, null, 2)}</pre>
              {doc.state?.delta && (
                <>
                  <h3>Delta (desired, not yet reported)</h3>
                  <pre>{JSON.stringify(doc.state.delta, null, 2)}</pre>
                </>
              )}
            </>
          )}
          {customer && keys?.length === 0 && (
            <p className="muted" data-testid="writable-keys">
              Your provider has made no set-point of this device writable.
            </p>
          )}
          {mayWrite && (
            <>
              {keys && (
                <p className="muted" data-testid="writable-keys">
                  You may set: {keys.join(', ')}
                </p>
              )}
              <label>
                {customer ? 'Change set-points (JSON)' : 'Change desired state (JSON; null removes a field)'}
                <textarea
                  rows={5}
                  value={draft}
                  onChange={(e) => setDraft(e.target.value)}
                  placeholder={`{"${keys?.[0] ?? 'setpoint'}": 21.5}`}
                />
              </label>
              <p>
                <button onClick={() => void save()} disabled={!draft.trim()}>
                  Update desired
                </button>
              </p>
            </>
          )}
          <ErrorText error={error} />
        </section>
        <section className="panel" aria-labelledby="hist-h">
          <h2 id="hist-h">History</h2>
          <table data-testid="shadow-history">
            <thead>
              <tr>
                <th>Version</th>
                <th>When</th>
                <th>By</th>
                <th>Update</th>
              </tr>
            </thead>
            <tbody>
              {history.data?.items?.map((h) => (
                <tr key={h.version}>
                  <td>{h.version}</td>
                  <td>{formatTime(h.at)}</td>
                  <td>{actorText(h.actor)}</td>
                  <td title={JSON.stringify(h.request)}>
                    {h.op === 'delete' ? 'deleted' : (JSON.stringify(h.request) ?? '').slice(0, 80)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <div className="filters" style={{ marginTop: 10 }}>
            <label>
              From version
              <input value={from} onChange={(e) => setFrom(e.target.value)} inputMode="numeric" size={6} />
            </label>
            <label>
              To version
              <input value={to} onChange={(e) => setTo(e.target.value)} inputMode="numeric" size={6} />
            </label>
            <button className="secondary" onClick={() => void loadDiff()} disabled={!from || !to}>
              Diff
            </button>
          </div>
          {diff && (
            <ul data-testid="shadow-diff">
              {diff.length === 0 && <li className="muted">No differences.</li>}
              {diff.map((d, i) => {
                const op = d.op ?? 'changed';
                const cls = op.startsWith('add')
                  ? 'diff-add'
                  : op.startsWith('rem')
                    ? 'diff-del'
                    : 'diff-chg';
                return (
                  <li key={i} className={cls}>
                    {op} <code>{d.path}</code>: {JSON.stringify(d.from)} → {JSON.stringify(d.to)}
                  </li>
                );
              })}
            </ul>
          )}
        </section>
      </div>
    </>
  );
}
