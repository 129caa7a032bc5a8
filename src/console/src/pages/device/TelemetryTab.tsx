import { useMemo, useState } from 'react';
import { call, rawFetch } from '../../api';
import type { TelemetryQuery } from '../../api-types';
import { fitRange, isBooleanSeries, mergeChartData, toChartData } from '../../parse';
import { ErrorText } from '../../components/bits';
import { formatAgo } from '../../format';
import { Chart } from '../../components/Chart';
import { useLoad } from '../../hooks';

/** 'fit' = the last 24 h, with the time axis fitted to the data there (10 minutes of data fill the chart). */
const RANGES: Record<string, number> = {
  fit: 86400e3,
  '1h': 3600e3,
  '6h': 6 * 3600e3,
  '24h': 86400e3,
  '7d': 7 * 86400e3,
  '30d': 30 * 86400e3,
};
/** '' = raw points; otherwise the server picks raw, minute or hour rollups for the bucket size. */
const BUCKETS = ['', '1m', '5m', '1h', '1d'];
const AGGS: NonNullable<TelemetryQuery['agg']>[] = ['avg', 'min', 'max', 'sum', 'count', 'last'];

export function TelemetryTab({ id, model }: { id: string; model?: string | null }): JSX.Element {
  const latest = useLoad(() => call('/devices/:id/latest', 'get', { params: { id } }), [id]);
  // Units and labels come from the model's `fields` (a device without a model shows bare values).
  const modelDef = useLoad(
    () =>
      model
        ? call('/device-models/:name', 'get', { params: { name: model } }).catch(() => undefined)
        : Promise.resolve(undefined),
    [model],
  );
  const fieldOf = (key: string) => modelDef.data?.fields?.find((f) => f.key === key);
  const unitOf = (key: string): string | undefined => fieldOf(key)?.unit;
  const withUnit = (key: string): string => {
    const f = fieldOf(key);
    const name = f?.label ? `${f.label}` : key;
    return f?.unit ? `${name} (${f.unit})` : name;
  };
  // Numeric metrics only: text attributes (firmware, …) have no chart.
  const metrics = useMemo(
    () =>
      (latest.data?.items ?? [])
        .filter((i) => typeof i.value === 'number' && i.metric)
        .map((i) => i.metric!)
        .sort(),
    [latest.data],
  );
  const [picked, setPicked] = useState<string[]>([]);
  const [range, setRange] = useState('fit');
  const [bucket, setBucket] = useState('');
  const [agg, setAgg] = useState<NonNullable<TelemetryQuery['agg']>>('avg');
  const chosenList = picked.filter((m) => metrics.includes(m));
  if (chosenList.length === 0 && metrics[0]) chosenList.push(metrics[0]);
  const chosenKey = chosenList.join(',');
  const chosen = chosenList[0] ?? '';
  const series = useLoad(async () => {
    if (chosenList.length === 0) return undefined;
    const to = Date.now();
    const from = to - RANGES[range]!;
    const xRange: [number, number] | undefined = range === 'fit' ? undefined : [from / 1000, to / 1000];
    const data = await Promise.all(
      chosenList.map((metric) =>
        call('/devices/:id/telemetry', 'get', {
          params: { id },
          query: {
            metric,
            from: String(from),
            to: String(to),
            ...(bucket ? { bucket, agg } : {}),
            limit: 10000,
          },
        }),
      ),
    );
    return { xRange, data };
  }, [id, chosenKey, range, bucket, agg]);
  const data = useMemo(() => {
    const each = (series.data?.data ?? []).map((d) => toChartData(d));
    const { x, ys } = mergeChartData(each);
    return {
      x,
      series: chosenList.map((key, i) => ({
        label: withUnit(key),
        values: ys[i] ?? [],
        step: isBooleanSeries(each[i]?.y ?? []),
      })),
    };
  }, [series.data, chosenKey, modelDef.data]);
  // One unit for every chosen metric: it labels the y axis.
  const units = [...new Set(chosenList.map((k) => unitOf(k) ?? ''))];
  const yLabel = units.length === 1 && units[0] ? units[0] : undefined;
  const xRange = series.data?.xRange ?? fitRange(data.x);
  const toggle = (m: string): void =>
    setPicked((now) => {
      const base = now.filter((x) => metrics.includes(x));
      const current = base.length > 0 ? base : metrics.slice(0, 1);
      return current.includes(m) ? current.filter((x) => x !== m) : [...current, m];
    });
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
        <fieldset className="metrics">
          <legend>Metrics</legend>
          {metrics.map((m) => (
            <label key={m} className="check">
              <input type="checkbox" checked={chosenList.includes(m)} onChange={() => toggle(m)} />{' '}
              {withUnit(m)}
            </label>
          ))}
        </fieldset>
        <label>
          Range
          <select value={range} onChange={(e) => setRange(e.target.value)}>
            {Object.keys(RANGES).map((r) => (
              <option key={r} value={r}>
                {r === 'fit' ? '24h, fitted to the data' : r}
              </option>
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
      {latest.loading && !latest.data && <p className="muted">Loading…</p>}
      {latest.data && !chosen && <p className="muted">No numeric telemetry received yet.</p>}
      {chosen && data.x.length > 0 && (
        <Chart
          x={data.x}
          series={data.series}
          title={chosenList.map(withUnit).join(', ')}
          {...(yLabel ? { yLabel } : {})}
          spanGaps={chosenList.length > 1}
          {...(xRange ? { xRange } : {})}
        />
      )}
      {chosen && data.x.length === 0 && series.loading && <p className="muted">Loading…</p>}
      {chosen && data.x.length === 0 && !series.loading && <p className="muted">No points in this range.</p>}
      <h3>Latest values</h3>
      {latest.data && (latest.data.items ?? []).length === 0 && (
        <p className="muted">Nothing received yet.</p>
      )}
      <table data-testid="latest-values">
        <tbody>
          {[...(latest.data?.items ?? [])]
            .sort((a, b) => (a.metric ?? '').localeCompare(b.metric ?? ''))
            .map((v) => (
              <tr key={v.metric}>
                <th scope="row">{fieldOf(v.metric ?? '')?.label ?? v.metric}</th>
                <td>
                  {v.text ?? (typeof v.value === 'number' ? String(v.value) : '—')}
                  {typeof v.value === 'number' && unitOf(v.metric ?? '') ? ` ${unitOf(v.metric ?? '')}` : ''}
                </td>
                <td className="muted">{v.ts ? formatAgo(v.ts) : ''}</td>
              </tr>
            ))}
        </tbody>
      </table>
    </section>
  );
}
