import { useMemo, useState } from 'react';
import { call, rawFetch } from '../../api';
import type { TelemetryQuery } from '../../api-types';
import { toChartData } from '../../parse';
import { ErrorText } from '../../components/bits';
import { Chart } from '../../components/Chart';
import { useLoad } from '../../hooks';

const RANGES: Record<string, number> = {
  '1h': 3600e3,
  '6h': 6 * 3600e3,
  '24h': 86400e3,
  '7d': 7 * 86400e3,
  '30d': 30 * 86400e3,
};
/** '' = raw points; otherwise the server picks raw, minute or hour rollups for the bucket size. */
const BUCKETS = ['', '1m', '5m', '1h', '1d'];
const AGGS: NonNullable<TelemetryQuery['agg']>[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];

export function TelemetryTab({ id }: { id: string }): JSX.Element {
  const latest = useLoad(() => call('/devices/:id/latest', 'get', { params: { id } }), [id]);
  // Numeric metrics only: text attributes (firmware, …) have no chart.
  const metrics = useMemo(
    () =>
      (latest.data?.items ?? [])
        .filter((i) => typeof i.value === 'number' && i.metric)
        .map((i) => i.metric!)
        .sort(),
    [latest.data],
  );
  const [metric, setMetric] = useState('');
  const [range, setRange] = useState('24h');
  const [bucket, setBucket] = useState('');
  const [agg, setAgg] = useState<NonNullable<TelemetryQuery['agg']>>('avg');
  const chosen = metric || metrics[0] || '';
  const series = useLoad(async () => {
    if (!chosen) return undefined;
    const to = Date.now();
    const from = to - RANGES[range]!;
    const xRange: [number, number] = [from / 1000, to / 1000];
    const data = await call('/devices/:id/telemetry', 'get', {
      params: { id },
      query: {
        metric: chosen,
        from: String(from),
        to: String(to),
        ...(bucket ? { bucket, agg } : {}),
        limit: 10000,
      },
    });
    return { xRange, data };
  }, [id, chosen, range, bucket, agg]);
  const data = useMemo(() => {
    const { x, y } = toChartData(series.data?.data);
    return { x, series: [{ label: chosen, values: y }] };
  }, [series.data, chosen]);
  const downloadCsv = async (): Promise<void> => {
    // A plain link would not carry the bearer token, so fetch and hand the browser a blob.
    const to = Date.now();
    const q = new URLSearchParams({
      metric: chosen,
      from: String(to - RANGES[range]!),
      to: String(to),
      format: 'csv',
    });
    if (bucket) {
      q.set('bucket', bucket);
      q.set('agg', agg);
    }
    const res = await rawFetch(`/devices/${encodeURIComponent(id)}/telemetry?${q}`);
    const a = document.createElement('a');
    a.href = URL.createObjectURL(await res.blob());
    a.download = `${id}-${chosen}.csv`;
    a.click();
    URL.revokeObjectURL(a.href);
  };
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
                {b || 'raw points'}
              </option>
            ))}
          </select>
        </label>
        <label>
          Aggregate
          <select value={agg} disabled={!bucket} onChange={(e) => setAgg(e.target.value as typeof agg)}>
            {AGGS.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </label>
        <button type="button" className="secondary" disabled={!chosen} onClick={() => void downloadCsv()}>
          Download CSV
        </button>
      </div>
      <ErrorText error={latest.error ?? series.error} />
      {!chosen && <p className="muted">No telemetry received yet.</p>}
      {chosen && data.x.length > 0 && (
        <Chart x={data.x} series={data.series} title={chosen} xRange={series.data?.xRange} />
      )}
      {chosen && data.x.length === 0 && !series.loading && <p className="muted">No points in this range.</p>}
    </section>
  );
}
