import { useState } from 'react';
import { ApiError, call } from '../../api';
import type { DiffChange, ShadowDoc, ShadowHistoryEntry } from '../../api-types';
import { ErrorText } from '../../components/bits';
import { formatTime } from '../../format';
import { useLoad } from '../../hooks';
import { parseJsonObject } from '../../parse';

function actorText(a: ShadowHistoryEntry['actor'] | undefined): string {
  return a ? `${a.kind ?? '?'}:${a.id ?? '?'}` : '—';
}

export function ShadowTab({
  id,
  canEdit,
  live,
}: {
  id: string;
  canEdit: boolean;
  live: number;
}): JSX.Element {
  const params = { id };
  const shadow = useLoad<ShadowDoc | undefined>(async () => {
    try {
      return await call('/devices/:id/shadow', 'get', { params });
    } catch (e) {
      if (e instanceof ApiError && e.status === 404) return undefined; // no shadow yet
      throw e;
    }
  }, [id, live]);
  const history = useLoad(
    () => call('/devices/:id/shadow/history', 'get', { params, query: { limit: 50 } }),
    [id, live],
  );
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
    try {
      await call('/devices/:id/shadow', 'post', {
        params,
        body: {
          state: { desired },
          ...(shadow.data?.version !== undefined ? { version: shadow.data.version } : {}),
        },
      });
      setError(undefined);
      setDraft('');
      shadow.reload();
      history.reload();
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    }
  };
  const loadDiff = async (): Promise<void> => {
    try {
      const r = await call('/devices/:id/shadow/diff', 'get', {
        params,
        query: { from: Number(from), to: Number(to) },
      });
      setDiff(r.changes ?? []);
      setError(undefined);
    } catch (e) {
      setError(e instanceof ApiError ? `${e.message} (${e.code})` : String(e));
    }
  };
  const doc = shadow.data;
  return (
    <div className="grid2">
      <section className="panel" aria-labelledby="sh-h">
        <h2 id="sh-h">Shadow {doc ? <span className="muted">version {doc.version}</span> : null}</h2>
        <ErrorText error={shadow.error} />
        {!doc && !shadow.loading && <p className="muted">No shadow yet.</p>}
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
        {canEdit && (
          <>
            <label>
              Change desired state (JSON; null removes a field)
              <textarea
                rows={5}
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                placeholder='{"setpoint": 21.5}'
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
              const cls = op.startsWith('add') ? 'diff-add' : op.startsWith('rem') ? 'diff-del' : 'diff-chg';
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
  );
}
