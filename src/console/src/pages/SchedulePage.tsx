import { useState } from 'react';
import { call } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { EMPTY_SCHEDULE_FORM, scheduleToForm } from '../schedule-form';
import { ExecutionsPanel } from './schedules/ExecutionsPanel';
import { PreviewPanel } from './schedules/PreviewPanel';
import { ScheduleForm } from './schedules/ScheduleForm';
import { YearView } from './schedules/YearView';

const TABS = ['Plan', 'Preview', 'Executions', 'Edit'] as const;
type Tab = (typeof TABS)[number];

/** /schedules/new: the editor on an empty schedule. */
export function NewSchedulePage(): JSX.Element {
  return (
    <>
      <h1>New schedule</h1>
      <section className="panel">
        <ScheduleForm
          initial={EMPTY_SCHEDULE_FORM}
          onSaved={(s) => navigate(`/schedules/${encodeURIComponent(s.id ?? '')}`)}
        />
      </section>
    </>
  );
}

/** /schedules/:id — the year view, preview, executions with each device's outcome, and the editor. */
export function SchedulePage({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const [tab, setTab] = useState<Tab>('Plan');
  const [device, setDevice] = useState('');
  const [error, setError] = useState<string>();
  const sched = useLoad(() => call('/schedules/:id', 'get', { params: { id } }), [id]);
  const overrides = useLoad(() => call('/schedules/:id/overrides', 'get', { params: { id } }), [id]);
  const s = sched.data;
  const tabs = canEdit ? TABS : TABS.filter((t) => t !== 'Edit');
  const remove = async (): Promise<void> => {
    if (!window.confirm(`Delete schedule ${s?.name ?? id}? Its executions stay.`)) return;
    try {
      await call('/schedules/:id', 'delete', { params: { id } });
      navigate('/schedules');
    } catch (e) {
      setError(String(e));
    }
  };
  const clear = async (dev: string): Promise<void> => {
    try {
      await call('/schedules/:id/overrides/:device', 'delete', { params: { id, device: dev } });
      overrides.reload();
    } catch (e) {
      setError(String(e));
    }
  };
  return (
    <>
      <h1>
        {s?.name ?? id} {s && <Badge value={s.enabled === false ? 'disabled' : 'enabled'} />}
      </h1>
      <p className="muted">
        {s?.timezone} · version {s?.version} · override holds {s?.overrideMode?.replace(/_/g, ' ')}{' '}
        {canEdit && (
          <button type="button" className="secondary" onClick={() => void remove()}>
            Delete
          </button>
        )}
      </p>
      <ErrorText error={sched.error ?? error} />
      <div className="tabs" role="tablist" aria-label="Schedule sections">
        {tabs.map((t) => (
          <button key={t} role="tab" aria-selected={tab === t} onClick={() => setTab(t)}>
            {t}
          </button>
        ))}
      </div>
      {s && (
        <div role="tabpanel">
          {tab === 'Plan' && (
            <>
              <YearView schedule={s} {...(device ? { device } : {})} />
              <section className="panel" aria-labelledby="ovr-h">
                <h2 id="ovr-h">Manual overrides in force</h2>
                {overrides.data?.length ? (
                  <table data-testid="overrides">
                    <thead>
                      <tr>
                        <th>Device</th>
                        <th>Keys</th>
                        <th>By</th>
                        <th>Since</th>
                        <th>Until</th>
                        <th />
                      </tr>
                    </thead>
                    <tbody>
                      {overrides.data.map((o) => (
                        <tr key={o.deviceId}>
                          <td>{o.deviceId}</td>
                          <td>{o.keys?.join(', ')}</td>
                          <td>{o.actor}</td>
                          <td>{formatTime(o.at)}</td>
                          <td>{o.untilAt ? formatTime(o.untilAt) : 'cleared'}</td>
                          <td>
                            {canEdit && (
                              <button
                                type="button"
                                className="secondary"
                                onClick={() => void clear(o.deviceId ?? '')}
                              >
                                Clear
                              </button>
                            )}
                          </td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p className="muted">None.</p>
                )}
              </section>
            </>
          )}
          {tab === 'Preview' && <PreviewPanel id={id} device={device} onDevice={setDevice} />}
          {tab === 'Executions' && <ExecutionsPanel scheduleId={id} />}
          {tab === 'Edit' && canEdit && (
            <section className="panel">
              <ScheduleForm
                key={s.version}
                initial={scheduleToForm(s)}
                id={id}
                {...(s.version === undefined ? {} : { version: s.version })}
                onSaved={() => {
                  sched.reload();
                  setTab('Plan');
                }}
              />
            </section>
          )}
        </div>
      )}
    </>
  );
}
