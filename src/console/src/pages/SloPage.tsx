import { useMemo } from 'react';
import { del, get } from '../api';
import type { Slo, SloStatus } from '../api-types';
import { asItems, Badge, BudgetBar, ErrorText } from '../components/bits';
import { Chart } from '../components/Chart';
import { formatPercent, formatTime } from '../format';
import { useLoad } from '../hooks';
import { navigate } from '../router';

interface HistoryPoint {
  t?: number;
  at?: number;
  ts?: number;
  sli?: number | null;
  budgetRemaining?: number | null;
}

export function SloPage({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const enc = encodeURIComponent(id);
  const slo = useLoad(() => get<Slo>(`/slos/${enc}`), [id]);
  const status = useLoad(() => get<SloStatus>(`/slos/${enc}/status`), [id]);
  const history = useLoad(() => {
    const to = Date.now();
    return get<unknown>(`/slos/${enc}/history`, { from: to - 28 * 86400e3, to, step: '1h' });
  }, [id]);
  const chart = useMemo(() => {
    const pts = asItems<HistoryPoint>((history.data as { points?: unknown } | undefined)?.points ?? history.data);
    const x = pts.map((p) => Number(p.t ?? p.at ?? p.ts) / 1000);
    return {
      x,
      sli: [{ label: 'SLI', values: pts.map((p) => p.sli ?? null) }],
      budget: [{ label: 'budget remaining', values: pts.map((p) => p.budgetRemaining ?? null) }],
    };
  }, [history.data]);
  const s = status.data;
  return (
    <>
      <h1>{slo.data?.name ?? id}</h1>
      <p className="muted">{slo.data?.description}</p>
      <ErrorText error={slo.error ?? status.error} />
      <section className="cards">
        <div className="card">
          <div className="label">Target</div>
          <div className="value">{formatPercent(slo.data?.target, 2)}</div>
        </div>
        <div className="card">
          <div className="label">SLI over the window</div>
          <div className="value">{formatPercent(s?.sli, 3)}</div>
        </div>
        <div className="card">
          <div className="label">Error budget remaining</div>
          <div className="value" data-testid="budget-remaining">
            {formatPercent(s?.budgetRemaining, 1)}
          </div>
          <BudgetBar remaining={s?.budgetRemaining} />
        </div>
        <div className="card">
          <div className="label">Budget exhausted at current burn</div>
          <div className="value" style={{ fontSize: 16 }}>
            {s?.exhaustionForecast ? formatTime(s.exhaustionForecast) : 'not on current burn'}
          </div>
        </div>
      </section>
      <section className="panel">
        <h2>Burn rates</h2>
        <table>
          <tbody>
            <tr>
              {Object.entries(s?.burnRates ?? {}).map(([w, b]) => (
                <td key={w}>
                  {w}: <strong>{b === null || b === undefined ? '—' : b.toFixed(2)}</strong>
                </td>
              ))}
            </tr>
          </tbody>
        </table>
        <h2>Alert tiers</h2>
        <table>
          <tbody>
            {(s?.alerts ?? []).map((a, i) => (
              <tr key={i}>
                <td>{a.tier ?? a.name}</td>
                <td>{a.severity}</td>
                <td>
                  <Badge value={a.state ?? (a.firing ? 'firing' : 'resolved')} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {chart.x.length > 0 && (
        <div className="grid2">
          <section className="panel">
            <Chart x={chart.x} series={chart.sli} title="SLI over time" />
          </section>
          <section className="panel">
            <Chart x={chart.x} series={chart.budget} title="Error budget burn-down" />
          </section>
        </div>
      )}
      {canEdit && (
        <p>
          <button
            className="secondary"
            onClick={() => {
              if (confirm(`Delete SLO ${slo.data?.name ?? id}?`)) void del(`/slos/${enc}`).then(() => navigate('/slos'));
            }}
          >
            Delete SLO
          </button>
        </p>
      )}
    </>
  );
}
