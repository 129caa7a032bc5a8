import { useEffect, useState } from 'react';
import { call, streamEvents } from '../api';
import { Badge, ErrorText } from '../components/bits';
import { Link } from '../router';
import { useLoad } from '../hooks';
import { StatusTab } from './device/StatusTab';
import { ShadowTab } from './device/ShadowTab';
import { TelemetryTab } from './device/TelemetryTab';
import { EventsTab } from './device/EventsTab';
import { CommandsTab } from './device/CommandsTab';
import { ScheduleTab } from './device/ScheduleTab';
import { DeviceAlarms } from './AlarmPage';
import { SettingsTab } from './device/SettingsTab';

const ALL_TABS = ['Status', 'Shadow', 'Telemetry', 'Events', 'Commands', 'Schedule', 'Settings'] as const;
type Tab = (typeof ALL_TABS)[number];

export function DevicePage({
  id,
  canEdit,
  canManage = false,
  isAdmin = false,
  isCustomer = false,
}: {
  id: string;
  /** Staff who may change things (operators, admins); never a customer. */
  canEdit: boolean;
  /** A customer's user: may set the desired keys its devices' model marks customer-writable. */
  isCustomer?: boolean;
  /** Operators and admins (not customers): the Settings tab (edit, credentials, delete). */
  canManage?: boolean;
  isAdmin?: boolean;
}): JSX.Element {
  const TABS = ALL_TABS.filter((t) => t !== 'Settings' || canManage);
  const [tab, setTab] = useState<Tab>('Status');
  // Live: stream events about this device bump `live`, which the tabs reload on (debounced).
  const [live, setLive] = useState(0);
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    const stop = streamEvents((_type, data) => {
      if ((data as { deviceId?: unknown } | null)?.deviceId !== id) return;
      clearTimeout(pending);
      pending = setTimeout(() => setLive((n) => n + 1), 300);
    });
    return () => {
      stop();
      clearTimeout(pending);
    };
  }, [id]);
  const device = useLoad(() => call('/devices/:id', 'get', { params: { id } }), [id, live]);
  const service = useLoad(
    () => call('/devices/:id/service-state', 'get', { params: { id }, query: { historyLimit: 1 } }),
    [id, live],
  );
  const d = device.data;
  if (device.errorStatus === 404)
    return (
      <>
        <h1>No such device</h1>
        <p>
          There is no device with the id <code>{id}</code> (or you may not see it).{' '}
          <Link to="/devices">Back to the device list</Link>
        </p>
      </>
    );
  const reasons = service.data?.reasons ?? [];
  return (
    <>
      <h1>
        {d?.name ?? id} {d && <Badge value={d.online ? 'online' : 'offline'} />}{' '}
        {service.data && <Badge value={service.data.state} />}
      </h1>
      {reasons.length > 0 && <p data-testid="header-reasons">Held out of service: {reasons.join(', ')}</p>}
      <p className="muted">
        {id} · model {d?.model ?? '—'} {d?.tags.length ? `· tags ${d.tags.join(', ')}` : ''}{' '}
        {d && !d.enabled ? '· disabled' : ''}
        {d?.model && (
          <>
            {' · '}
            <Link
              to={`/dashboards/default?model=${encodeURIComponent(d.model)}&device=${encodeURIComponent(id)}`}
            >
              Open model dashboard
            </Link>
          </>
        )}
      </p>
      <ErrorText error={device.error} />
      <DeviceAlarms deviceId={id} live={live} />
      <div
        className="tabs"
        role="tablist"
        aria-label="Device sections"
        onKeyDown={(e) => {
          // WAI-ARIA tabs: arrow keys move between tabs.
          const i = TABS.indexOf(tab);
          const next =
            e.key === 'ArrowRight'
              ? TABS[(i + 1) % TABS.length]
              : e.key === 'ArrowLeft'
                ? TABS[(i + TABS.length - 1) % TABS.length]
                : undefined;
          if (!next) return;
          setTab(next);
          e.currentTarget.querySelector<HTMLElement>(`#tab-${next}`)?.focus();
        }}
      >
        {TABS.map((t) => (
          <button
            key={t}
            id={`tab-${t}`}
            role="tab"
            aria-selected={tab === t}
            aria-controls="device-tabpanel"
            tabIndex={tab === t ? 0 : -1}
            onClick={() => setTab(t)}
          >
            {t}
          </button>
        ))}
      </div>
      <div role="tabpanel" id="device-tabpanel" aria-labelledby={`tab-${tab}`}>
        {tab === 'Status' && <StatusTab id={id} canEdit={canEdit} live={live} />}
        {tab === 'Shadow' && (
          <ShadowTab id={id} canEdit={canEdit || isCustomer} customer={isCustomer} live={live} />
        )}
        {tab === 'Telemetry' && <TelemetryTab id={id} model={d?.model ?? null} />}
        {tab === 'Events' && <EventsTab id={id} />}
        {tab === 'Commands' && <CommandsTab id={id} canEdit={canEdit} live={live} />}
        {tab === 'Schedule' && <ScheduleTab id={id} />}
        {tab === 'Settings' && d && <SettingsTab device={d} isAdmin={isAdmin} onChanged={device.reload} />}
      </div>
    </>
  );
}
