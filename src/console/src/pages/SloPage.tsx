import { useMemo, useState } from 'react';
import { ApiError, call } from '../api';
import type { AlertRecord, SloDefinition } from '../api-types';
import { Badge, BudgetBar, ErrorText } from '../components/bits';
import { Chart } from '../components/Chart';
import { SloEditor } from '../components/SloEditor';
import { formatCount, formatPercent, formatTime } from '../format';
import { useLoad } from '../hooks';
import { navigate } from '../router';
import { formatExhaustion } from '../slo-form';

/** Ratios: show at least 0…1 for the budget, up to 1 for the SLI (module constants: no chart rebuild per render). */
const RATIO_RANGE: [null, number] = [null, 1];
const BUDGET_RANGE: [number, number] = [0, 1];

export function SloPage({ id, canEdit }: { id: string; canEdit: boolean }): JSX.Element {
  const params = { name: id };
  const slo = useLoad(
    async () => (await call('/slos/:name', 'get', { params })) as unknown as SloDefinition,
    [id],
  );
  const status = useLoad(() => call('/slos/:name/status', 'get', { params }), [id]);
  const alerts = useLoad(
    async () =>
      ((await call('/alerts', 'get', { query: { slo: id, limit: 20 } })).items ??
        []) as unknown as AlertRecord[],
    [id],
  );
  const history = useLoad(() => {
    const to = Date.now();
    return call('/slos/:name/history', 'get', {
      params,
      query: { from: String(to - 7 * 86400e3), to: String(to), step: '1h' },
    });
  }, [id]);
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string>();
  const charts = useMemo(() => {
    const pts = history.data?.points ?? [];
    const burned = status.data?.budgetBurned ?? [];
    const bx = burned.map((b) => Number(b.at) / 1000);
    return {
      x: pts.map((p) => (p.at ?? 0) / 1000),
      sli: [{ label: 'SLI', values: pts.map((p) => p.sli ?? null) }],
      bx,
      burned: [{ label: 'budget left', values: burned.map((b) => 1 - Number(b.consumed)) }],
    };
  }, [history.data, status.data]);
  const s = status.data;
  const def = slo.data;
  const remove = async (): Promise<void> => {
    if (!confirm(`Delete SLO ${id}? Its counters and alerts go with it.`)) return;
    try {
      await call('/slos/:name', 'delete', { params });
      navigate('/slos');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : String(e));
    }
  };
  return (
    <>
      <h1>{def?.displayName ?? id}</h1>
      <p className="muted">
        {id} · {def?.sli.type} SLI
        {def
          ? 'rolling' in def.window
            ? ` · rolling ${def.window.rolling}`
            : ` · calendar ${def.window.calendar}`
          : ''}
        {def?.description ? ` · ${def.description}` : ''}
      </p>
      <ErrorText error={slo.error ?? status.error ?? error} />
      <section className="cards">
        <div className="card">
          <div className="label">Target</div>
          <div className="value">{formatPercent(def?.target, 2)}</div>
        </div>
        <div className="card">
          <div className="label">SLI over the window</div>
          <div className="value">{formatPercent(s?.sli, 3)}</div>
          <div className="muted">
            {formatCount(s?.good)} good of {formatCount(s?.total)}
            {def?.sli.type === 'availability' ? ' device-minutes' : ''}
          </div>
        </div>
        <div className="card">
          <div className="label">Error budget remaining</div>
          <div className="value" data-testid="budget-remaining">
            {formatPercent(s?.budgetRemaining, 1)}
          </div>
          <BudgetBar remaining={s?.budgetRemaining} />
        </div>
        <div className="card">
          <div className="label">Budget exhausted at the 1h burn rate</div>
          <div className="value" style={{ fontSize: 18 }}>
            {s ? formatExhaustion(s.exhaustionInMs) : '—'}
          </div>
        </div>
      </section>
      <div className="grid2">
        <section className="panel" aria-labelledby="burn-h">
          <h2 id="burn-h">Burn rates</h2>
          <table>
            <tbody>
              {Object.entries(s?.burnRates ?? {}).map(([w, b]) => (
                <tr key={w}>
                  <td>{w}</td>
                  <td>
                    <strong>{b.toFixed(2)}</strong>×
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </section>
        <section className="panel" aria-labelledby="tiers-h">
          <h2 id="tiers-h">Alert tiers</h2>
          <table data-testid="alert-tiers">
            <thead>
              <tr>
                <th>Tier</th>
                <th>Severity</th>
                <th>Windows</th>
                <th>Threshold</th>
                <th>State</th>
              </tr>
            </thead>
            <tbody>
              {def?.alerting.tiers.map((t) => (
                <tr key={t.name}>
                  <td>{t.name}</td>
                  <td>{t.severity}</td>
                  <td>
                    {t.longWindow} / {t.shortWindow}
                  </td>
                  <td>
                    {t.burnRate !== undefined
                      ? `${t.burnRate}×`
                      : `${formatPercent(t.budgetShare, 0)} of budget`}
                  </td>
                  <td>
                    <Badge value={s?.firing?.includes(t.name) ? 'firing' : 'ok'} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <h3>Recent alerts</h3>
          {alerts.data?.length === 0 && <p className="muted">None.</p>}
          <ul>
            {alerts.data?.map((a) => (
              <li key={a.id}>
                {a.tier} <Badge value={a.resolvedAt === null ? 'firing' : 'resolved'} /> fired{' '}
                {formatTime(a.firedAt)} at {a.burnRate.toFixed(1)}× (threshold {a.threshold.toFixed(1)}×)
              </li>
            ))}
          </ul>
        </section>
      </div>
      <div className="grid2">
        <section className="panel" aria-label="SLI over time">
          {charts.sli[0]!.values.some((v) => v !== null) ? (
            <Chart x={charts.x} series={charts.sli} title="SLI, last 7 days (hourly)" yRange={RATIO_RANGE} />
          ) : (
            <p className="muted">No SLI history yet.</p>
          )}
        </section>
        <section className="panel" aria-label="Budget burn-down">
          {charts.bx.length > 0 ? (
            <Chart
              x={charts.bx}
              series={charts.burned}
              title="Error budget left over the window"
              yRange={BUDGET_RANGE}
            />
          ) : (
            <p className="muted">No budget data yet.</p>
          )}
        </section>
      </div>
      {canEdit && def && (
        <section className="panel">
          <p style={{ display: 'flex', gap: 8 }}>
            <button
              type="button"
              className="secondary"
              onClick={() => setEditing((e) => !e)}
              aria-expanded={editing}
            >
              {editing ? 'Close editor' : 'Edit SLO'}
            </button>
            <button type="button" className="danger" onClick={() => void remove()}>
              Delete SLO
            </button>
          </p>
          {editing && (
            <SloEditor
              existing={def}
              onSaved={() => {
                setEditing(false);
                slo.reload();
                status.reload();
              }}
            />
          )}
        </section>
      )}
    </>
  );
}
