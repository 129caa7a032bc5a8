import { useState, type FormEvent } from 'react';
import { ApiError, call } from '../../api';
import { SERVICE_STATES, type ServiceState, type ServiceStateEntry } from '../../api-types';
import { Badge, ErrorText } from '../../components/bits';
import { formatAgo, formatTime } from '../../format';
import { useLoad } from '../../hooks';

function actorText(a: ServiceStateEntry['actor']): string {
  if (!a) return '—';
  return `${a.kind ?? '?'}:${a.id ?? '?'}`;
}

export function StatusTab({
  id,
  canEdit,
  live,
}: {
  id: string;
  canEdit: boolean;
  live: number;
}): JSX.Element {
  const params = { id };
  const state = useLoad(
    () => call('/devices/:id/service-state', 'get', { params, query: { historyLimit: 50 } }),
    [id, live],
  );
  const sessions = useLoad(
    () => call('/devices/:id/sessions', 'get', { params, query: { limit: 50 } }),
    [id, live],
  );
  const [target, setTarget] = useState<ServiceState>('out_of_service');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      await call('/devices/:id/service-state', 'put', { params, body: { state: target, note: note.trim() } });
      setNote('');
      setError(undefined);
      state.reload();
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    }
  };
  const s = state.data;
  return (
    <div className="grid2">
      <section className="panel" aria-labelledby="ss-h">
        <h2 id="ss-h">Service state</h2>
        <ErrorText error={state.error} />
        {s && (
          <p data-testid="service-state">
            <Badge value={s.state} />{' '}
            {s.reasons && s.reasons.length > 0 && <span>because {s.reasons.join(', ')}</span>}{' '}
            {s.since != null && (
              <span className="muted" title={formatTime(s.since)}>
                since {formatAgo(s.since)}
              </span>
            )}
          </p>
        )}
        {canEdit && (
          <form onSubmit={(e) => void submit(e)} aria-label="Change service state">
            <div className="filters">
              <label>
                Set state
                <select value={target} onChange={(e) => setTarget(e.target.value as ServiceState)}>
                  {SERVICE_STATES.map((st) => (
                    <option key={st} value={st}>
                      {st.replace(/_/g, ' ')}
                    </option>
                  ))}
                </select>
              </label>
              <label style={{ flex: 1 }}>
                Note (what was checked in the field)
                <input
                  name="note"
                  value={note}
                  onChange={(e) => setNote(e.target.value)}
                  required
                  pattern=".*\S.*"
                />
              </label>
              <button type="submit">Apply</button>
            </div>
            <ErrorText error={error} />
          </form>
        )}
        <h2>History</h2>
        {s?.history?.length === 0 && <p className="muted">No state changes yet.</p>}
        <table data-testid="service-history">
          <thead>
            <tr>
              <th>When</th>
              <th>To</th>
              <th>Reasons</th>
              <th>By</th>
              <th>Note</th>
            </tr>
          </thead>
          <tbody>
            {(s?.history ?? []).map((h, i) => (
              <tr key={i}>
                <td>{formatTime(h.at)}</td>
                <td>
                  <Badge value={h.to} />
                </td>
                <td>{h.reasons?.join(', ')}</td>
                <td>{actorText(h.actor)}</td>
                <td>{h.note ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      <section className="panel" aria-labelledby="conn-h">
        <h2 id="conn-h">Connectivity</h2>
        <ErrorText error={sessions.error} />
        <table data-testid="connectivity">
          <thead>
            <tr>
              <th>When</th>
              <th>Event</th>
              <th>Reason</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {sessions.data?.items.map((c, i) => (
              <tr key={c.id ?? i}>
                <td>{formatTime(c.at)}</td>
                <td>
                  <Badge value={c.event === 'connect' ? 'online' : c.refused ? 'rejected' : 'offline'} />{' '}
                  {c.event === 'connect' ? 'connected' : c.refused ? 'refused' : 'disconnected'}
                </td>
                <td>{[c.reason, c.detail].filter(Boolean).join(': ')}</td>
                <td className="muted">{c.remoteAddress ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
