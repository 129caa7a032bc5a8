import { useMemo, useState } from 'react';
import { get } from '../../api';
import { ErrorText } from '../../components/bits';
import { Chart } from '../../components/Chart';
import { useLoad } from '../../hooks';

const RANGES: Record<string, number> = { '1h': 3600e3, '6h': 6 * 3600e3, '24h': 86400e3, '7d': 7 * 86400e3, '30d': 30 * 86400e3 };
const BUCKETS = ['', '1m', '5m', '1h', '1d'];

interface Point {
  t: number;
  v: number | null;
}

/** Accept the common shapes a series endpoint returns: [{t|ts|time, v|value|avg}] inside points/items/series. */
export function toPoints(raw: unknown): Point[] {
  const o = raw as Record<string, unknown> | unknown[];
  const arr = (Array.isArray(o) ? o : (o.points ?? o.items ?? o.series ?? o.data ?? [])) as Record<string, unknown>[];
  return arr.map((p) => {
    const t = Number(p.t ?? p.ts ?? p.time ?? p.bucket ?? p.at);
    const v = p.v ?? p.value ?? p.avg ?? p.last ?? p.sum ?? p.max ?? p.min ?? p.count;
    return { t, v: v === null || v === undefined ? null : Number(v) };
  });
}

export function TelemetryTab({ id }: { id: string }): JSX.Element {
  const enc = encodeURIComponent(id);
  const latest = useLoad(() => get<unknown>('/telemetry/latest', { device: id }), [id]);
  const metrics = useMemo(() => {
    const l = latest.data as Record<string, unknown> | undefined;
    const items = (Array.isArray(l) ? l : ((l?.items ?? []) as unknown[])) as { deviceId?: string; metric?: string }[];
    return [...new Set(items.filter((i) => !i.deviceId || i.deviceId === id).map((i) => i.metric).filter((m): m is string => !!m))];
  }, [latest.data, id]);
  const [metric, setMetric] = useState('');
  const [range, setRange] = useState('24h');
  const [bucket, setBucket] = useState('');
  const [agg, setAgg] = useState('avg');
  const chosen = metric || metrics[0] || '';
  const series = useLoad(async () => {
    if (!chosen) return [];
    const to = Date.now();
    const from = to - RANGES[range]!;
    return toPoints(await get<unknown>(`/devices/${enc}/telemetry`, { metric: chosen, from, to, bucket, agg }));
  }, [enc, chosen, range, bucket, agg]);
  const data = useMemo(() => {
    const pts = series.data ?? [];
    return {
      x: pts.map((p) => (p.t > 1e11 ? p.t / 1000 : p.t)),
      series: [{ label: chosen, values: pts.map((p) => p.v) }],
    };
  }, [series.data, chosen]);
  return (
    <section className="panel" aria-labelledby="tel-h">
      <h2 id="tel-h">Telemetry</h2>
      <div className="filters">
        <label>
          Metric
          <select value={chosen} onChange={(e) => setMetric(e.target.value)}>
            {metrics.map((m) => (
              <option key={m}>{m}</option>
            ))}
          </select>
        </label>
        <label>
          Range
          <select value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.keys(RANGES).map((r) => (
              <option key={r}>{r}</option>
            ))}
          </select>
        </label>
        <label>
          Bucket
          <select value={bucket} onChange={(e) => setBucket(e.target.value)}>
            {BUCKETS.map((b) => (
              <option key={b} value={b}>
                {b || 'auto'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Aggregate
          <select value={agg} onChange={(e) => setAgg(e.target.value)}>
            {['avg', 'min', 'max', 'sum', 'count', 'last'].map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <a href={`/api/v1/devices/${enc}/telemetry?metric=${encodeURIComponent(chosen)}&format=csv`} className="muted">
          CSV
        </a>
      </div>
      <ErrorText error={latest.error ?? series.error} />
      {!chosen && <p className="muted">No telemetry received yet.</p>}
      {chosen && data.x.length > 0 && <Chart x={data.x} series={data.series} title={chosen} />}
      {chosen && data.x.length === 0 && !series.loading && <p className="muted">No points in this range.</p>}
    </section>
  );
}
