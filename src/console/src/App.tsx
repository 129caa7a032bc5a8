import { useEffect, useState, type FormEvent } from 'react';
import { ApiError, call, getToken, setToken } from './api';
import type { Me } from './api-types';
import { Link, matchPath, useLocation } from './router';
import { FleetPage } from './pages/FleetPage';
import { DevicesPage } from './pages/DevicesPage';
import { DevicePage } from './pages/DevicePage';
import { MapPage } from './pages/MapPage';
import { SlosPage } from './pages/SlosPage';
import { SloPage } from './pages/SloPage';
import { NotificationsPage } from './pages/NotificationsPage';
import { AuditPage } from './pages/AuditPage';
import { SchedulesPage } from './pages/SchedulesPage';
import { NewSchedulePage, SchedulePage } from './pages/SchedulePage';

const NAV: { to: string; label: string }[] = [
  { to: '/', label: 'Fleet' },
  { to: '/devices', label: 'Devices' },
  { to: '/map', label: 'Map' },
  { to: '/slos', label: 'SLOs' },
  { to: '/schedules', label: 'Schedules' },
  { to: '/notifications', label: 'Notifications' },
  { to: '/audit', label: 'Audit log' },
];

export function App(): JSX.Element {
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(getToken() !== null);
  useEffect(() => {
    if (!getToken()) return;
    call('/me', 'get').then(
      (m) => {
        setMe(m);
        setChecking(false);
      },
      () => {
        setToken(null);
        setChecking(false);
      },
    );
  }, []);
  if (checking)
    return (
      <p className="muted" style={{ padding: 24 }}>
        Loading…
      </p>
    );
  if (!me) return <SignIn onSignedIn={setMe} />;
  return <Shell me={me} onSignOut={() => (setToken(null), setMe(null))} />;
}

function SignIn({ onSignedIn }: { onSignedIn: (m: Me) => void }): JSX.Element {
  const [token, setTok] = useState('');
  const [error, setError] = useState<string>();
  const submit = async (e: FormEvent): Promise<void> => {
    e.preventDefault();
    setToken(token.trim());
    try {
      onSignedIn(await call('/me', 'get'));
    } catch (err) {
      setToken(null);
      setError(err instanceof ApiError && err.status === 401 ? 'That token is not valid.' : String(err));
    }
  };
  return (
    <main className="signin">
      <form className="panel" onSubmit={(e) => void submit(e)}>
        <h1>Tsunagu console</h1>
        <p className="muted">
          Sign in with an API token (printed once at first start, or created under /api/v1/tokens).
        </p>
        <label>
          API token
          <input
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setTok(e.target.value)}
            required
          />
        </label>
        {error && (
          <p role="alert" className="error">
            {error}
          </p>
        )}
        <p>
          <button type="submit">Sign in</button>
        </p>
      </form>
    </main>
  );
}

function Shell({ me, onSignOut }: { me: Me; onSignOut: () => void }): JSX.Element {
  const { path } = useLocation();
  const canEdit = me.role !== 'viewer';
  let page: JSX.Element;
  let m: Record<string, string> | null;
  if (path === '/') page = <FleetPage />;
  else if (path === '/devices') page = <DevicesPage />;
  else if ((m = matchPath('/devices/:id', path))) page = <DevicePage id={m.id!} canEdit={canEdit} />;
  else if (path === '/map') page = <MapPage />;
  else if (path === '/slos') page = <SlosPage canEdit={canEdit} />;
  else if ((m = matchPath('/slos/:id', path))) page = <SloPage id={m.id!} canEdit={canEdit} />;
  else if (path === '/schedules') page = <SchedulesPage canEdit={canEdit} />;
  else if (path === '/schedules/new') page = <NewSchedulePage />;
  else if ((m = matchPath('/schedules/:id', path))) page = <SchedulePage id={m.id!} canEdit={canEdit} />;
  else if (path === '/notifications') page = <NotificationsPage />;
  else if (path === '/audit') page = <AuditPage />;
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
          {NAV.map((n) => {
            const active = n.to === '/' ? path === '/' : path.startsWith(n.to);
            return (
              <li key={n.to}>
                <Link to={n.to} aria-current={active ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            );
          })}
        </ul>
        <p className="muted who" style={{ fontSize: 13, marginTop: 24 }}>
          {me.name} · {me.role}
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
