/**
 * The widget renderers: each reads its data through the same API routes as the rest of the console
 * (so a customer sees only its devices) and shows loading, empty and error states of its own.
 */
import { useMemo } from 'react';
import { call } from '../../api';
import { Chart } from '../../components/Chart';
import { Badge, BudgetBar, ErrorText } from '../../components/bits';
import { formatAgo } from '../../format';
import { useLoad } from '../../hooks';
import { fitRange, isBooleanSeries, mergeChartData, toChartData } from '../../parse';
import { Link } from '../../router';
import { gaugeShare, gaugeTone, rangeMs, tableRows, withUnit } from './layout';
import type { ModelField, Widget } from './types';

export interface WidgetProps {
  widget: Widget;
  /** The device a device-bound widget reads: its own, else the one the model dashboard is opened for. */
  device: string | undefined;
  /** The model of a model dashboard. */
  model: string | undefined;
  /** Bumped to reload (periodic refresh). */
  tick: number;
}

const fieldsCache = new Map<string, Promise<ModelField[]>>();
/** A model's fields (with units), fetched once per page load. */
export function modelFields(model: string): Promise<ModelField[]> {
  let p = fieldsCache.get(model);
  if (!p) {
    p = call('/dashboards/fields', 'get', { query: { model } }).catch(() => []);
    fieldsCache.set(model, p);
  }
  return p;
}

/** The unit of `key` on `device`, from its model's decoder fields. */
function useUnit(
  device: string | undefined,
  model: string | undefined,
  key: string | undefined,
): string | undefined {
  const r = useLoad(async () => {
    if (!key || !device) return undefined;
    const m = model ?? (await call('/devices/:id', 'get', { params: { id: device } })).model ?? undefined;
    return m ? (await modelFields(m)).find((f) => f.key === key)?.unit : undefined;
  }, [device, model, key]);
  return r.data;
}

function NeedsDevice(): JSX.Element {
  return <p className="muted">Pick a device above to see this widget.</p>;
}

function Loading(): JSX.Element {
  return <p className="muted">Loading…</p>;
}

function useLatest(device: string | undefined, tick: number) {
  return useLoad(
    () =>
      device ? call('/devices/:id/latest', 'get', { params: { id: device } }) : Promise.resolve(undefined),
    [device, tick],
  );
}

export function TimeSeriesWidget({ widget, device, tick }: WidgetProps): JSX.Element {
  const keys = widget.keys ?? [];
  const span = rangeMs(widget.range);
  const series = useLoad(async () => {
    if (!device) return undefined;
    const to = Date.now();
    const from = to - (span ?? 86_400_000);
    const data = await Promise.all(
      keys.map((metric) =>
        call('/devices/:id/telemetry', 'get', {
          params: { id: device },
          query: { metric, from: String(from), to: String(to), limit: 10000 },
        }),
      ),
    );
    return { data, xRange: span === undefined ? undefined : ([from / 1000, to / 1000] as [number, number]) };
  }, [device, keys.join(','), widget.range, tick]);
  const chart = useMemo(() => {
    const each = (series.data?.data ?? []).map((d) => toChartData(d));
    const { x, ys } = mergeChartData(each);
    return {
      x,
      series: keys.map((label, i) => ({
        label,
        values: ys[i] ?? [],
        step: isBooleanSeries(each[i]?.y ?? []),
      })),
    };
  }, [series.data]);
  if (!device) return <NeedsDevice />;
  if (series.error) return <ErrorText error={series.error} />;
  if (!series.data) return <Loading />;
  if (chart.x.length === 0) return <p className="muted">No data for {keys.join(', ')} in this range.</p>;
  const xRange = series.data.xRange ?? fitRange(chart.x);
  return (
    <Chart
      x={chart.x}
      series={chart.series}
      spanGaps
      height={Math.max(120, widget.h * 72 - 90)}
      {...(xRange ? { xRange } : {})}
    />
  );
}

export function LatestValueWidget({ widget, device, model, tick }: WidgetProps): JSX.Element {
  const latest = useLatest(device, tick);
  const unit = useUnit(device, model, widget.key);
  if (!device) return <NeedsDevice />;
  if (latest.error) return <ErrorText error={latest.error} />;
  if (!latest.data) return <Loading />;
  const v = latest.data.items?.find((i) => i.metric === widget.key);
  return (
    <div data-testid={`latest-${widget.key}`}>
      <div className="dash-value">{withUnit(v ? (v.value ?? v.text ?? null) : null, unit)}</div>
      <div className="muted">{v ? `${widget.key} · ${formatAgo(v.ts)}` : `${widget.key}: no value yet`}</div>
    </div>
  );
}

export function GaugeWidget({ widget, device, model, tick }: WidgetProps): JSX.Element {
  const latest = useLatest(device, tick);
  const unit = useUnit(device, model, widget.key);
  if (!device) return <NeedsDevice />;
  if (latest.error) return <ErrorText error={latest.error} />;
  if (!latest.data) return <Loading />;
  const v = latest.data.items?.find((i) => i.metric === widget.key)?.value;
  if (typeof v !== 'number') return <p className="muted">{widget.key}: no numeric value yet</p>;
  const min = widget.min ?? 0;
  const max = widget.max ?? 100;
  const share = gaugeShare(v, min, max);
  const tone = gaugeTone(v, widget.thresholds);
  // A half circle from left (min) to right (max); the filled arc ends at the value.
  const angle = Math.PI * (1 - share);
  const end = { x: 50 + 40 * Math.cos(angle), y: 50 - 40 * Math.sin(angle) };
  return (
    <div role="meter" aria-label={widget.key} aria-valuemin={min} aria-valuemax={max} aria-valuenow={v}>
      <svg viewBox="0 0 100 58" style={{ width: '100%', maxHeight: widget.h * 72 - 80 }} aria-hidden="true">
        <path d="M10 50 A40 40 0 0 1 90 50" fill="none" stroke="var(--border)" strokeWidth="9" />
        {share > 0 && (
          <path
            d={`M10 50 A40 40 0 0 1 ${end.x.toFixed(2)} ${end.y.toFixed(2)}`}
            fill="none"
            stroke={tone ? `var(--${tone})` : 'var(--accent)'}
            strokeWidth="9"
          />
        )}
        <text x="50" y="48" textAnchor="middle" fontSize="13" fill="currentColor">
          {withUnit(v, unit)}
        </text>
      </svg>
      <div className="muted" style={{ display: 'flex', justifyContent: 'space-between' }}>
        <span>{min}</span>
        <span>{widget.key}</span>
        <span>{max}</span>
      </div>
    </div>
  );
}

export function ServiceStateWidget({ widget, device, model, tick }: WidgetProps): JSX.Element {
  const one = widget.mode === 'device';
  const r = useLoad(async () => {
    if (one) {
      if (!device) return undefined;
      const s = await call('/devices/:id/service-state', 'get', {
        params: { id: device },
        query: { historyLimit: 1 },
      });
      return { state: s.state, reasons: s.reasons ?? [] };
    }
    const h = await call('/fleet/health', 'get');
    return { counts: (model ? h.byModel?.[model] : h.byState) ?? {} };
  }, [one, device, model, tick]);
  if (one && !device) return <NeedsDevice />;
  if (r.error) return <ErrorText error={r.error} />;
  if (!r.data) return <Loading />;
  if ('state' in r.data) {
    const reasons = r.data.reasons ?? [];
    return (
      <div data-testid="service-state">
        <Badge value={r.data.state} />
        {reasons.length > 0 && <p className="muted">{reasons.join(', ')}</p>}
      </div>
    );
  }
  const counts = Object.entries(r.data.counts as Record<string, number>).filter(([, n]) => n > 0);
  if (counts.length === 0) return <p className="muted">No devices.</p>;
  return (
    <ul className="dash-counts">
      {counts.map(([state, n]) => (
        <li key={state}>
          <Badge value={state} /> <strong>{n}</strong>
        </li>
      ))}
    </ul>
  );
}

export function MapWidget({ widget, model, tick }: WidgetProps): JSX.Element {
  const r = useLoad(async () => {
    const get = async (metric: string) =>
      (
        await call('/telemetry/latest', 'get', {
          query: { metric, limit: 100000, ...(model ? { model } : {}) },
        })
      ).items ?? [];
    const [lat, lon] = await Promise.all([get('lat'), get('lon')]);
    const lons = new Map(lon.map((i) => [i.deviceId, i.value]));
    return lat.flatMap((i) => {
      const o = lons.get(i.deviceId);
      return typeof i.value === 'number' && typeof o === 'number' && i.deviceId
        ? [{ id: i.deviceId, lat: i.value, lon: o }]
        : [];
    });
  }, [model, tick]);
  if (r.error) return <ErrorText error={r.error} />;
  if (!r.data) return <Loading />;
  if (r.data.length === 0) return <p className="muted">No device has reported a position (lat/lon) yet.</p>;
  const pts = r.data;
  const [x0, x1] = [Math.min(...pts.map((p) => p.lon)), Math.max(...pts.map((p) => p.lon))];
  const [y0, y1] = [Math.min(...pts.map((p) => p.lat)), Math.max(...pts.map((p) => p.lat))];
  const pad = 0.05;
  const sx = (lon: number) => 5 + (90 * (lon - x0)) / (x1 - x0 || pad);
  const sy = (lat: number) => 95 - (90 * (lat - y0)) / (y1 - y0 || pad);
  return (
    <svg
      viewBox="0 0 100 100"
      preserveAspectRatio="none"
      style={{ width: '100%', height: widget.h * 72 - 70 }}
      role="img"
      aria-label={`${pts.length} devices on a map`}
    >
      <rect width="100" height="100" fill="var(--bg)" />
      {pts.slice(0, 5000).map((p) => (
        <a key={p.id} href={`/devices/${encodeURIComponent(p.id)}`}>
          <title>{p.id}</title>
          <circle cx={sx(p.lon)} cy={sy(p.lat)} r="1.2" fill="var(--accent)" />
        </a>
      ))}
    </svg>
  );
}

export function TableWidget({ widget, model, tick }: WidgetProps): JSX.Element {
  const keys = widget.keys ?? [];
  const r = useLoad(
    () => call('/telemetry/latest', 'get', { query: { limit: 100000, ...(model ? { model } : {}) } }),
    [model, tick],
  );
  const rows = useMemo(() => tableRows(r.data?.items ?? [], keys), [r.data, keys.join(',')]);
  if (r.error) return <ErrorText error={r.error} />;
  if (!r.data) return <Loading />;
  if (rows.length === 0) return <p className="muted">No device has reported {keys.join(', ')} yet.</p>;
  return (
    <div className="scroll-x" style={{ maxHeight: widget.h * 72 - 60, overflowY: 'auto' }}>
      <table>
        <thead>
          <tr>
            <th>Device</th>
            {keys.map((k) => (
              <th key={k}>{k}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.deviceId}>
              <td>
                <Link to={`/devices/${encodeURIComponent(row.deviceId)}`}>{row.deviceId}</Link>
              </td>
              {row.cells.map((c, i) => (
                <td key={keys[i]}>{withUnit(c, undefined)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function SloBudgetWidget({ widget, tick }: WidgetProps): JSX.Element {
  const name = widget.slo ?? '';
  const r = useLoad(
    () => (name ? call('/slos/:name/status', 'get', { params: { name } }) : Promise.resolve(undefined)),
    [name, tick],
  );
  if (!name) return <p className="muted">Choose an SLO in edit mode.</p>;
  if (r.error) return <ErrorText error={r.error} />;
  if (!r.data) return <Loading />;
  return (
    <div>
      <Link to={`/slos/${encodeURIComponent(name)}`}>{name}</Link>
      <BudgetBar remaining={r.data.budgetRemaining} />
      {(r.data.firing ?? []).length > 0 && <Badge value="firing" />}
    </div>
  );
}

/** Active alarms, newest first: of the widget's device (or the device a model dashboard is opened for), else all the user may see. */
export function AlarmListWidget({ device, tick }: WidgetProps): JSX.Element {
  const r = useLoad(
    () =>
      call('/alarms', 'get', {
        query: { state: 'ACTIVE', limit: 10, ...(device ? { deviceId: device } : {}) },
      }),
    [device, tick],
  );
  if (r.error) return <ErrorText error={r.error} />;
  if (!r.data) return <Loading />;
  const items = r.data.items ?? [];
  if (!items.length) return <p className="muted">No active alarms.</p>;
  return (
    <ul className="dash-alarms">
      {items.map((a) => (
        <li key={a.id}>
          <Badge value={a.severity} /> <Link to={`/alarms/${a.id}`}>{a.type}</Link>
          {a.deviceId && !device ? (
            <>
              {' '}
              on <Link to={`/devices/${encodeURIComponent(a.deviceId)}`}>{a.deviceId}</Link>
            </>
          ) : null}{' '}
          <Badge value={a.state} />
        </li>
      ))}
    </ul>
  );
}

export const RENDERERS: Record<Widget['kind'], (p: WidgetProps) => JSX.Element> = {
  time_series: TimeSeriesWidget,
  latest_value: LatestValueWidget,
  gauge: GaugeWidget,
  service_state: ServiceStateWidget,
  map: MapWidget,
  table: TableWidget,
  slo_budget: SloBudgetWidget,
  alarm_list: AlarmListWidget,
};
