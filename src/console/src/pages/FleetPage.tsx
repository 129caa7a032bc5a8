import { useEffect, useRef } from 'react';
import { get, streamEvents } from '../api';
import type { AlertItem, FleetConnectivity, FleetHealth, OutOfServiceItem, Slo, SloStatus } from '../api-types';
import { asItems, Badge, BudgetBar, ErrorText } from '../components/bits';
import { formatAgo, formatPercent } from '../format';
import { useLoad } from '../hooks';
import { Link } from '../router';

interface Overview {
  connectivity: FleetConnectivity | undefined;
  health: FleetHealth | undefined;
  out: OutOfServiceItem[];
  alerts: AlertItem[];
  slos: { slo: Slo; status: SloStatus | undefined }[];
}

/** Each part may be missing (a module turned off); the page shows what it can. */
async function loadOverview(): Promise<Overview> {
  const soft = <T,>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined);
  const [connectivity, health, out, alerts, slos] = await Promise.all([
    soft(get<FleetConnectivity>('/fleet/connectivity')),
    soft(get<FleetHealth>('/fleet/health')),
    soft(get<unknown>('/fleet/out-of-service', { limit: 50 })),
    soft(get<unknown>('/alerts', { state: 'firing' })),
    soft(get<unknown>('/slos')),
  ]);
  const sloList = asItems<Slo>(slos).slice(0, 12);
  const statuses = await Promise.all(sloList.map((s) => soft(get<SloStatus>(`/slos/${encodeURIComponent(s.id)}/status`))));
  return {
    connectivity,
    health,
    out: asItems<OutOfServiceItem>(out),
    alerts: asItems<AlertItem>(alerts).filter((a) => a.state === 'firing' || a.state === undefined),
    slos: sloList.map((slo, i) => ({ slo, status: statuses[i] })),
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
            {h ? (h.byState.out_of_service ?? 0) : '—'}
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
          {data && data.out.length === 0 && <p className="muted">Every device is in service.</p>}
          <table data-testid="out-of-service">
            <tbody>
              {data?.out.map((o) => (
                <tr key={o.deviceId}>
                  <td>
                    <Link to={`/devices/${encodeURIComponent(o.deviceId)}`}>{o.deviceId}</Link>
                  </td>
                  <td>{o.reasons.join(', ')}</td>
                  <td className="muted">{formatAgo(o.since)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" aria-labelledby="alerts-h">
          <h2 id="alerts-h">Firing alerts</h2>
          {data && data.alerts.length === 0 && <p className="muted">No alert is firing.</p>}
          <table>
            <tbody>
              {data?.alerts.map((a) => (
                <tr key={`${a.sloId}-${a.tier}`}>
                  <td>
                    <Link to={`/slos/${encodeURIComponent(a.sloId)}`}>{a.sloName ?? a.sloId}</Link>
                  </td>
                  <td>{a.tier}</td>
                  <td>
                    <Badge value={a.severity ?? a.state} />
                  </td>
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
              <tr key={slo.id}>
                <td>
                  <Link to={`/slos/${encodeURIComponent(slo.id)}`}>{slo.name}</Link>
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
