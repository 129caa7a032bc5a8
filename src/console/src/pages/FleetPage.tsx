import { useEffect, useRef } from 'react';
import { call, streamEvents } from '../api';
import type {
  AlertRecord,
  FleetConnectivity,
  FleetHealth,
  OutOfServicePage,
  SloDefinition,
  SloStatus,
} from '../api-types';
import { Badge, BudgetBar, ErrorText } from '../components/bits';
import { formatAgo, formatPercent, formatTime } from '../format';
import { loadSlos } from './SlosPage';
import { useLoad } from '../hooks';
import { Link } from '../router';

interface Overview {
  connectivity: FleetConnectivity | undefined;
  health: FleetHealth | undefined;
  out: OutOfServicePage | undefined;
  alerts: AlertRecord[];
  slos: { slo: SloDefinition; status: SloStatus | undefined }[];
}

/** Each part may be missing (a module turned off); the page shows what it can. */
async function loadOverview(): Promise<Overview> {
  const soft = <T,>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
  const [connectivity, health, out, alerts, slos] = await Promise.all([
    soft(call('/fleet/connectivity', 'get')),
    soft(call('/fleet/health', 'get')),
    soft(call('/fleet/out-of-service', 'get', { query: { limit: 50 } })),
    soft(call('/alerts', 'get', { query: { state: 'firing', limit: 50 } })),
    soft(loadSlos()),
  ]);
  return {
    connectivity,
    health,
    out,
    alerts: (alerts?.items ?? []) as unknown as AlertRecord[],
    slos: slos ?? [],
  };
}

export function FleetPage(): JSX.Element {
  const { data, error, reload } = useLoad(loadOverview, []);
  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => {
    // Live: any connectivity, service-state or alert event refreshes the overview (debounced).
    const stop = streamEvents(() => {
      clearTimeout(pending.current);
      pending.current = setTimeout(reload, 300);
    });
    return () => {
      stop();
      clearTimeout(pending.current);
    };
  }, [reload]);
  useEffect(() => {
    // Read by src/bench/console-render.ts: first overview with data after navigation start.
    if (data && performance.getEntriesByName('tsunagu:fleet-data').length === 0)
      performance.mark('tsunagu:fleet-data');
  }, [data]);
  const c = data?.connectivity;
  const h = data?.health;
  return (
    <>
      <h1>Fleet</h1>
      <ErrorText error={error} />
      <section className="cards" aria-label="Fleet summary">
        <div className="card">
          <div className="label">Devices online</div>
          <div className="value" data-testid="online-count">
            {c ? `${c.online} / ${c.total}` : '—'}
          </div>
        </div>
        <div className="card">
          <div className="label">In service</div>
          <div className="value" data-testid="in-service-share">
            {formatPercent(h?.inServiceShare, 1)}
          </div>
        </div>
        <div className="card">
          <div className="label">Out of service</div>
          <div className="value" data-testid="out-of-service-count">
            {h ? (h.byState?.out_of_service ?? 0) : '—'}
          </div>
        </div>
        <div className="card">
          <div className="label">Firing alerts</div>
          <div className="value">{data ? data.alerts.length : '—'}</div>
        </div>
      </section>
      <div className="grid2">
        <section className="panel" aria-labelledby="oos-h">
          <h2 id="oos-h">Out of service</h2>
          {data?.out?.items?.length === 0 && <p className="muted">Every device is in service.</p>}
          <table data-testid="out-of-service">
            <thead>
              <tr>
                <th>Device</th>
                <th>Reasons</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {data?.out?.items?.map((o) => (
                <tr key={o.deviceId}>
                  <td>
                    <Link to={`/devices/${encodeURIComponent(o.deviceId ?? '')}`}>{o.deviceId}</Link>
                    {o.model ? <span className="muted"> · {o.model}</span> : null}
                  </td>
                  <td>{o.reasons?.join(', ')}</td>
                  <td className="muted" title={formatTime(o.since)}>
                    {formatAgo(o.since)}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {data?.out && (data.out.total ?? 0) > (data.out.items?.length ?? 0) && (
            <p className="muted">
              {data.out.items?.length} of {data.out.total} shown, longest out first.
            </p>
          )}
        </section>
        <section className="panel" aria-labelledby="alerts-h">
          <h2 id="alerts-h">Firing alerts</h2>
          {data && data.alerts.length === 0 && <p className="muted">No alert is firing.</p>}
          <table>
            <tbody>
              {data?.alerts.map((a) => (
                <tr key={a.id}>
                  <td>
                    <Link to={`/slos/${encodeURIComponent(a.sloId)}`}>{a.sloName}</Link>
                  </td>
                  <td>{a.tier}</td>
                  <td>
                    <Badge value={a.severity === 'page' ? 'firing' : 'pending'} /> {a.severity}
                  </td>
                  <td className="muted">{formatAgo(a.firedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
      </div>
      <section className="panel" aria-labelledby="slo-h">
        <h2 id="slo-h">SLOs</h2>
        {data && data.slos.length === 0 && <p className="muted">No SLO defined yet.</p>}
        <table>
          <tbody>
            {data?.slos.map(({ slo, status }) => (
              <tr key={slo.name}>
                <td>
                  <Link to={`/slos/${encodeURIComponent(slo.name)}`}>{slo.displayName ?? slo.name}</Link>
                </td>
                <td>SLI {formatPercent(status?.sli, 3)}</td>
                <td style={{ width: '40%' }}>
                  <BudgetBar remaining={status?.budgetRemaining} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
}
