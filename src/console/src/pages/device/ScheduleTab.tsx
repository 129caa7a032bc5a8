import { call } from '../../api';
import { ErrorText } from '../../components/bits';
import { useLoad } from '../../hooks';
import { Link } from '../../router';
import { ExecutionsPanel } from '../schedules/ExecutionsPanel';

/** A device's schedules: the next writes of each schedule targeting it, and its past executions. */
export function ScheduleTab({ id }: { id: string }): JSX.Element {
  const upcoming = useLoad(async () => {
    const [all, d] = await Promise.all([
      call('/schedules', 'get'),
      call('/devices/:id', 'get', { params: { id } }),
    ]);
    const now = Date.now();
    const out = [];
    // The schedule's target rule (docs/schedules.md): any of ids, models, tags matches.
    const targets = (t: (typeof all)[number]['targets']): boolean =>
      Boolean(
        t?.devices?.includes(id) ||
        (d.model && t?.models?.includes(d.model)) ||
        t?.tags?.some((tag) => d.tags.includes(tag)),
      );
    for (const s of all.filter((x) => x.enabled !== false && targets(x.targets))) {
      const p = await call('/schedules/:id/preview', 'get', {
        params: { id: s.id ?? '' },
        query: { from: String(now), to: String(now + 7 * 86_400_000), device: id },
      }).catch(() => undefined);
      if (p) out.push({ s, writes: (p.writes ?? []).slice(0, 5) });
    }
    return out;
  }, [id]);
  return (
    <>
      <section className="panel" aria-labelledby="upcoming-h">
        <h2 id="upcoming-h">Upcoming writes (7 days)</h2>
        <ErrorText error={upcoming.error} />
        {upcoming.data?.length === 0 && <p className="muted">No schedule targets this device.</p>}
        {upcoming.data?.map(({ s, writes }) => (
          <div key={s.id}>
            <h3>
              <Link to={`/schedules/${encodeURIComponent(s.id ?? '')}`}>{s.name}</Link>
            </h3>
            <ul>
              {writes.map((w) => (
                <li key={w.at}>
                  {w.date} {w.time} <code>{JSON.stringify(w.patch)}</code>{' '}
                  <span className="muted">({w.source})</span>
                </li>
              ))}
            </ul>
          </div>
        ))}
      </section>
      <ExecutionsPanel deviceId={id} />
    </>
  );
}
