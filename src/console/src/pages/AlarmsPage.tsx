import { useState } from 'react';
import { call } from '../api';
import { ErrorText, Badge } from '../components/bits';
import { AlarmActions, originatorLabel, WhoWhen, type Alarm } from '../components/alarms';
import { formatTime } from '../format';
import { useInterval, useLoad } from '../hooks';
import { Link } from '../router';

const PAGE = 50;
const STATES: [string, string][] = [
  ['ACTIVE', 'Active'],
  ['ACTIVE_UNACK', 'Active, unacknowledged'],
  ['ACTIVE_ACK', 'Active, acknowledged'],
  ['CLEARED', 'Cleared'],
  ['CLEARED_UNACK', 'Cleared, unacknowledged'],
  ['', 'Any state'],
];
const SOURCES: [string, string][] = [
  ['', 'Any source'],
  ['health', 'Health (service-outs)'],
  ['slo', 'SLO alerts'],
  ['rule', 'Rules'],
];
const SEVERITIES = ['', 'critical', 'error', 'warning', 'info'];

/**
 * Alarms (service-outs, SLO alerts, rule alarms), newest first: filter by state, source and
 * severity; acknowledge and clear with who and when shown; "Older" pages with the server's cursor.
 * Refreshes every 5 s.
 */
export function AlarmsPage({ canEdit }: { canEdit: boolean }): JSX.Element {
  const [state, setState] = useState('ACTIVE');
  const [source, setSource] = useState('');
  const [severity, setSeverity] = useState('');
  // Cursors of the pages before this one (to go back) and this page's cursor.
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useLoad(
    () =>
      call('/alarms', 'get', {
        query: {
          limit: PAGE,
          ...(state ? { state } : {}),
          ...(source ? { source: source as 'health' } : {}),
          ...(severity ? { severity: severity as 'critical' } : {}),
          ...(cursor ? { cursor } : {}),
        },
      }),
    [state, source, severity, cursor],
  );
  useInterval(list.reload, 5000);
  const [updated, setUpdated] = useState<Record<number, Alarm>>({});
  const items = (list.data?.items ?? []).map((a) => updated[a.id] ?? a);
  const pick =
    (set: (v: string) => void) =>
    (e: { target: { value: string } }): void => {
      set(e.target.value);
      setCursors([]);
    };
  const done = (a: Alarm): void => {
    setUpdated((u) => ({ ...u, [a.id]: a }));
    list.reload();
  };
  return (
    <>
      <h1>Alarms</h1>
      <div className="filters">
        <label>
          State
          <select value={state} onChange={pick(setState)}>
            {STATES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Source
          <select value={source} onChange={pick(setSource)}>
            {SOURCES.map(([v, l]) => (
              <option key={v} value={v}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={severity} onChange={pick(setSeverity)}>
            {SEVERITIES.map((v) => (
              <option key={v} value={v}>
                {v || 'Any severity'}
              </option>
            ))}
          </select>
        </label>
      </div>
      <ErrorText error={list.error} />
      <section className="panel" aria-busy={list.loading}>
        {!list.data && list.loading && <p className="muted">Loading alarms…</p>}
        {list.data && items.length === 0 && (
          <p className="muted" data-testid="alarms-empty">
            No alarms match. Service-outs, SLO burn-rate alerts and rule alarms show here.
          </p>
        )}
        {items.length > 0 && (
          <table data-testid="alarms-table">
            <thead>
              <tr>
                <th>Severity</th>
                <th>Alarm</th>
                <th>On</th>
                <th>State</th>
                <th>Raised</th>
                <th>Acknowledged</th>
                <th>Cleared</th>
                {canEdit && <th>Actions</th>}
              </tr>
            </thead>
            <tbody>
              {items.map((a) => (
                <tr key={a.id} data-alarm-id={a.id}>
                  <td>
                    <Badge value={a.severity} />
                  </td>
                  <td>
                    <Link to={`/alarms/${a.id}`}>{a.type}</Link>
                    <div className="muted" style={{ fontSize: 13 }}>
                      {a.message}
                      {a.count > 1 ? ` · ×${a.count}, last ${formatTime(a.lastSeen)}` : ''}
                    </div>
                  </td>
                  <td>
                    {a.deviceId ? (
                      <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceId}</Link>
                    ) : a.sloId ? (
                      <Link to={`/slos/${encodeURIComponent(a.sloId)}`}>{originatorLabel(a)}</Link>
                    ) : (
                      originatorLabel(a)
                    )}
                    <div className="muted" style={{ fontSize: 13 }}>
                      {a.source}
                    </div>
                  </td>
                  <td>
                    <Badge value={a.state} />
                  </td>
                  <td>{formatTime(a.raisedAt)}</td>
                  <td data-testid="ack-who">
                    <WhoWhen by={a.ackBy} at={a.ackAt} />
                  </td>
                  <td data-testid="clear-who">
                    <WhoWhen by={a.clearedBy} at={a.clearedAt} />
                  </td>
                  {canEdit && (
                    <td>
                      <AlarmActions alarm={a} onDone={done} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p className="pager">
          <button disabled={cursors.length === 0} onClick={() => setCursors(cursors.slice(0, -1))}>
            Newer
          </button>{' '}
          <button
            disabled={!list.data?.nextCursor}
            onClick={() => list.data?.nextCursor && setCursors([...cursors, list.data.nextCursor])}
          >
            Older
          </button>
        </p>
      </section>
    </>
  );
}
