import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { AlarmActions, originatorLabel, WhoWhen } from '../components/alarms';
import { formatTime } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';

/** One alarm: every field, its details, and Ack / Clear when the state allows. */
export function AlarmPage({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const alarm = useLoad(() => call('/alarms/:id', 'get', { params: { id } }), [id]);
  const a = alarm.data;
  if (alarm.errorStatus === 404)
    return (
      <>
        <h1>No such alarm</h1>
        <p>
          There is no alarm {id} (or you may not see it). <Link to="/alarms">Back to the alarms</Link>
        </p>
      </>
    );
  return (
    <>
      <p>
        <Link to="/alarms">← Alarms</Link>
      </p>
      <h1>
        {a ? `${a.type} on ${originatorLabel(a)}` : `Alarm ${id}`} {a && <Badge value={a.state} />}
      </h1>
      <ErrorText error={alarm.error} />
      {!a && alarm.loading && <p className="muted">Loading…</p>}
      {a && (
        <section className="panel" data-testid="alarm-detail">
          <p>{a.message}</p>
          <dl className="facts">
            <dt>Severity</dt>
            <dd>
              <Badge value={a.severity} />
            </dd>
            <dt>Source</dt>
            <dd>{a.source}</dd>
            <dt>On</dt>
            <dd>
              {a.deviceId ? (
                <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceId}</Link>
              ) : (
                originatorLabel(a)
              )}
            </dd>
            {a.ruleId && (
              <>
                <dt>Rule</dt>
                <dd>
                  <Link to={`/rules/${encodeURIComponent(a.ruleId)}`}>{a.ruleId}</Link>
                </dd>
              </>
            )}
            <dt>Raised</dt>
            <dd>{formatTime(a.raisedAt)}</dd>
            <dt>Last seen</dt>
            <dd>
              {formatTime(a.lastSeen)} ({a.count} {a.count === 1 ? 'time' : 'times'})
            </dd>
            <dt>Acknowledged</dt>
            <dd data-testid="detail-ack">
              <WhoWhen by={a.ackBy} at={a.ackAt} />
            </dd>
            <dt>Cleared</dt>
            <dd data-testid="detail-clear">
              <WhoWhen by={a.clearedBy} at={a.clearedAt} />
            </dd>
          </dl>
          {canEdit && <AlarmActions alarm={a} onDone={() => alarm.reload()} />}
          <h2>Details</h2>
          <pre className="detail">{JSON.stringify(a.details ?? {}, null, 2)}</pre>
        </section>
      )}
    </>
  );
}

/** The device page's panel: this device's active alarms. */
export function DeviceAlarms({ deviceId, live }: { deviceId: string; live: number }): JSX.Element | null {
  const list = useLoad(
    () => call('/alarms', 'get', { query: { deviceId, state: 'ACTIVE', limit: 20 } }),
    [deviceId, live],
  );
  const items = list.data?.items ?? [];
  if (list.error) return <ErrorText error={`Alarms: ${list.error}`} />;
  if (!items.length) return null;
  return (
    <section className="panel" aria-label="Active alarms" data-testid="device-alarms">
      <h2>Active alarms</h2>
      <ul>
        {items.map((a) => (
          <li key={a.id}>
            <Badge value={a.severity} /> <Link to={`/alarms/${a.id}`}>{a.type}</Link> — {a.message}{' '}
            <Badge value={a.state} />
          </li>
        ))}
      </ul>
    </section>
  );
}
