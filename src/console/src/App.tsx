import { lazy, Suspense, useEffect, useState } from 'react';
import { call, onSignedOut, setCsrfToken, signOut } from './api';
import type { Me } from './api-types';
import { Link, matchPath, useLocation } from './router';
import { FleetPage } from './pages/FleetPage';
import { DevicesPage } from './pages/DevicesPage';
import { DevicePage } from './pages/DevicePage';
import { SlosPage } from './pages/SlosPage';
import { SloPage } from './pages/SloPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { AuditPage } from './pages/AuditPage';
import { SignInPage } from './pages/SignInPage';
import { UsersPage } from './pages/UsersPage';
import { RulesPage } from './pages/RulesPage';
import { RulesDetailPage } from './pages/RulesDetailPage';
import { JobsPage } from './pages/JobsPage';
import { JobPage } from './pages/JobPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { NewSchedulePage, SchedulePage } from './pages/SchedulePage';
import { AlarmsPage } from './pages/AlarmsPage';
import { AlarmPage } from './pages/AlarmPage';
import { useInterval, useLoad } from './hooks';
import { ModelsPage } from './pages/ModelsPage';
import { TokensPage } from './pages/TokensPage';
import { NewDevicePage } from './pages/device/SettingsTab';
// Dashboards are a chunk of their own, loaded when first opened (the rest of the console stays lean).
const DashboardsRoute = lazy(() => import('./pages/dashboards/DashboardsPage'));
// MapLibre and the world outlines weigh ~300 kB gzipped: only the map route loads them.
const MapPage = lazy(() => import('./pages/MapPage'));

/** `customer: true`: also shown to customer accounts (which see only their own devices); `admin`: only to admins. */
const NAV: { to: string; label: string; customer?: boolean; admin?: boolean }[] = [
  { to: '/', label: 'Fleet' },
  { to: '/dashboards', label: 'Dashboards', customer: true },
  { to: '/alarms', label: 'Alarms', customer: true },
  { to: '/devices', label: 'Devices', customer: true },
  { to: '/models', label: 'Models' },
  { to: '/map', label: 'Map' },
  { to: '/slos', label: 'SLOs', customer: true },
  { to: '/rules', label: 'Rules' },
  { to: '/jobs', label: 'Jobs' },
  { to: '/schedules', label: 'Schedules', customer: true },
  { to: '/notifications', label: 'Notifications' },
  { to: '/audit', label: 'Audit log' },
  { to: '/users', label: 'Users', admin: true },
  { to: '/tokens', label: 'API tokens', admin: true },
];

export function App(): JSX.Element {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(true);
  // After a refused single sign-on the server sends the browser here with the reason.
  const [notice, setNotice] = useState(
    () => new URLSearchParams(window.location.search).get('signInError') ?? undefined,
  );
  useEffect(() => {
    if (notice) window.history.replaceState(null, '', window.location.pathname);
    call('/auth/session', 'get').then(
      (s) => {
        setCsrfToken(s.csrfToken);
        setMe(s.principal);
        setChecking(false);
      },
      () => setChecking(false),
    );
    // Any 401 later (idle or absolute expiry, disabled, signed out elsewhere) → back to sign-in.
    return onSignedOut(() =>
      setMe((was) => {
        if (was) setNotice('Your session has ended; sign in again.');
        return null;
      }),
    );
  }, []);
  if (checking)
    return (
      <p className="muted" style={{ padding: 24 }}>
        Loading…
      </p>
    );
  if (!me) return <SignInPage onSignedIn={(m) => (setNotice(undefined), setMe(m))} notice={notice} />;
  return <Shell me={me} onSignOut={() => void signOut().then(() => setMe(null))} />;
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }): JSX.Element {
  const { path, query } = useLocation();
  const canEdit = me.role !== 'viewer';
  let page: JSX.Element;
  let m: Record<string, string> | null;
  const isCustomer = me.customer !== undefined;
  const unacked = useUnackedAlarms();
  const isAdmin = me.role === 'admin' && !isCustomer;
  if (path === '/') page = isCustomer ? <DevicesPage canEdit={false} /> : <FleetPage />;
  else if (path === '/devices') page = <DevicesPage canEdit={canEdit && !isCustomer} />;
  else if (path === '/devices/new' && canEdit && !isCustomer) page = <NewDevicePage isAdmin={isAdmin} />;
  else if ((m = matchPath('/devices/:id', path)))
    page = (
      <DevicePage
        id={m.id!}
        canEdit={canEdit && !isCustomer}
        canManage={canEdit && !isCustomer}
        isAdmin={isAdmin}
        isCustomer={isCustomer}
      />
    );
  else if (path === '/models' && !isCustomer) page = <ModelsPage canEdit={canEdit} />;
  else if (path === '/tokens' && isAdmin) page = <TokensPage />;
  else if (path === '/dashboards' || path.startsWith('/dashboards/'))
    page = (
      <Suspense fallback={<p className="muted">Loading dashboards…</p>}>
        <DashboardsRoute path={path} query={query} canEdit={canEdit} />
      </Suspense>
    );
  else if (path === '/map')
    page = (
      <Suspense fallback={<p className="muted">Loading the map…</p>}>
        <MapPage />
      </Suspense>
    );
  else if (path === '/slos') page = <SlosPage canEdit={canEdit} />;
  else if ((m = matchPath('/slos/:id', path))) page = <SloPage id={m.id!} canEdit={canEdit} />;
  else if (path === '/rules') page = <RulesPage canEdit={canEdit} />;
  else if ((m = matchPath('/rules/:name', path))) page = <RulesDetailPage name={m.name!} canEdit={canEdit} />;
  else if (path === '/jobs') page = <JobsPage canEdit={canEdit} />;
  else if ((m = matchPath('/jobs/:id', path))) page = <JobPage id={m.id!} canEdit={canEdit} />;
  else if (path === '/schedules') page = <SchedulesPage canEdit={canEdit} />;
  else if (path === '/schedules/new') page = <NewSchedulePage />;
  else if ((m = matchPath('/schedules/:id', path))) page = <SchedulePage id={m.id!} canEdit={canEdit} />;
  else if (path === '/alarms') page = <AlarmsPage canEdit={canEdit && !isCustomer} />;
  else if ((m = matchPath('/alarms/:id', path)))
    page = <AlarmPage id={m.id!} canEdit={canEdit && !isCustomer} />;
  else if (path === '/notifications') page = <NotificationsPage canEdit={canEdit} />;
  else if (path === '/audit') page = <AuditPage />;
  else if (path === '/users') page = <UsersPage myId={me.id} />;
  else
    page = (
      <p>
        Nothing here. <Link to="/">Back to the fleet</Link>
      </p>
    );
  return (
    <div className="layout">
      <nav className="nav" aria-label="Main">
        <h1>Tsunagu</h1>
        <ul>
          {NAV.filter((n) => (!isCustomer || n.customer) && (!n.admin || me.role === 'admin')).map((n) => {
            const active = n.to === '/' ? path === '/' : path.startsWith(n.to);
            return (
              <li key={n.to}>
                <Link to={n.to} aria-current={active ? 'page' : undefined}>
                  {n.label}
                  {n.to === '/alarms' && unacked !== undefined && unacked !== '0' && (
                    <span
                      className="count"
                      data-testid="alarm-count"
                      aria-label={`${unacked} unacknowledged`}
                    >
                      {unacked}
                    </span>
                  )}
                </Link>
              </li>
            );
          })}
        </ul>
        <p className="muted who" style={{ fontSize: 13, marginTop: 24 }} data-testid="signed-in-as">
          {me.name} · {me.customer !== undefined ? `customer ${me.customer}` : me.role}
          <br />
          <button className="secondary" onClick={onSignOut} style={{ marginTop: 6 }}>
            Sign out
          </button>
        </p>
      </nav>
      <main>{page}</main>
    </div>
  );
}

/** Unacknowledged active alarms for the nav badge ("99+" past a page), refreshed every 15 s. */
function useUnackedAlarms(): string | undefined {
  const MAX = 99;
  const r = useLoad(() => call('/alarms', 'get', { query: { state: 'ACTIVE_UNACK', limit: MAX + 1 } }), []);
  useInterval(r.reload, 15_000);
  const n = r.data?.items.length;
  return n === undefined ? undefined : n > MAX ? `${MAX}+` : String(n);
}
