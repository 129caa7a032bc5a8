import { useState, type FormEvent } from 'react';
import { get, put } from '../../api';
import type { ConnectivitySession, ServiceStateEntry, ServiceStateView } from '../../api-types';
import { asItems, Badge, ErrorText } from '../../components/bits';
import { formatAgo, formatTime } from '../../format';
import { useLoad } from '../../hooks';

function actorText(a: ServiceStateEntry['actor']): string {
  if (!a) return '—';
  return typeof a === 'string' ? a : `${a.kind}:${a.id}`;
}

export function StatusTab({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const enc = encodeURIComponent(id);
  const state = useLoad(() => get<ServiceStateView>(`/devices/${enc}/service-state`), [id]);
  const sessions = useLoad(() => get<unknown>(`/devices/${enc}/sessions`, { limit: 50 }), [id]);
  const [target, setTarget] = useState('out_of_service');
  const [note, setNote] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    try {
      await put(`/devices/${enc}/service-state`, { state: target, note });
      setNote('');
      setError(undefined);
      state.reload();
    } catch (err) {
      setError(String(err));
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
            <Badge value={s.state} /> {s.reasons.length > 0 && <span>because {s.reasons.join(', ')}</span>}{' '}
            {s.since !== undefined && <span className="muted">since {formatAgo(s.since)}</span>}
          </p>
        )}
        {canEdit && (
          <form onSubmit={(e) => void submit(e)} aria-label="Change service state">
            <div className="filters">
              <label>
                Set state
                <select value={target} onChange={(e) => setTarget(e.target.value)}>
                  <option value="out_of_service">out of service</option>
                  <option value="in_service">in service</option>
                  <option value="maintenance">maintenance</option>
                  <option value="retired">retired</option>
                </select>
              </label>
              <label style={{ flex: 1 }}>
                Note (what was checked in the field)
                <input value={note} onChange={(e) => setNote(e.target.value)} required minLength={1} />
              </label>
              <button type="submit">Apply</button>
            </div>
            <ErrorText error={error} />
          </form>
        )}
        <h2>History</h2>
        <table>
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
            {asItems<ServiceStateEntry>(s?.history ?? []).map((h, i) => (
              <tr key={i}>
                <td>{formatTime(h.at)}</td>
                <td>
                  <Badge value={h.to} />
                </td>
                <td>{h.reasons.join(', ')}</td>
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
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Event</th>
              <th>Reason</th>
              <th>From</th>
            </tr>
          </thead>
          <tbody>
            {asItems<ConnectivitySession>(sessions.data).map((c, i) => (
              <tr key={i}>
                <td>{formatTime(c.at ?? c.connectedAt ?? c.disconnectedAt)}</td>
                <td>{c.event ?? (c.disconnectedAt ? 'session' : 'connected')}</td>
                <td>{c.reason ?? ''}</td>
                <td className="muted">{c.remoteAddress ?? ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </div>
  );
}
