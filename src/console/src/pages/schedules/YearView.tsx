import { useState } from 'react';
import { call } from '../../api';
import { ErrorText } from '../../components/bits';
import { useLoad } from '../../hooks';
import { todayIn, yearGrid, type DayCell, type Schedule } from '../../schedule-form';

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HUES = [210, 20, 130, 280, 50, 330, 170, 0, 90, 250];

/**
 * A year of the plan as a calendar heat map: one cell per day, coloured by the rule that plans it
 * (a legend names them), holidays and exceptions marked, today outlined. A day's writes show on click.
 */
export function YearView({ schedule, device }: { schedule: Schedule; device?: string }): JSX.Element {
  const zone = schedule.timezone ?? 'UTC';
  const today = todayIn(zone);
  const [year, setYear] = useState(Number(today.slice(0, 4)));
  const [picked, setPicked] = useState<DayCell>();
  const id = schedule.id ?? '';
  // A day either side, so slots near midnight in zones east or west of UTC are not cut off.
  const preview = useLoad(
    () =>
      call('/schedules/:id/preview', 'get', {
        params: { id },
        query: { from: `${year - 1}-12-31`, to: `${year + 1}-01-02`, ...(device ? { device } : {}) },
      }),
    [id, year, device, schedule.version],
  );
  const months = preview.data ? yearGrid(year, preview.data.writes ?? [], schedule) : [];
  const sources = [...new Set((schedule.rules ?? []).map((r) => r.name)), 'exception'];
  const hue = (src: string | undefined): string | undefined => {
    const i = src === undefined ? -1 : sources.indexOf(src);
    return i < 0 ? undefined : `hsl(${HUES[i % HUES.length]} 65% 62%)`;
  };
  return (
    <section className="panel" aria-labelledby="year-h">
      <h2 id="year-h">
        <button
          type="button"
          className="secondary"
          aria-label="Previous year"
          onClick={() => setYear(year - 1)}
        >
          ‹
        </button>{' '}
        Year {year}{' '}
        <button type="button" className="secondary" aria-label="Next year" onClick={() => setYear(year + 1)}>
          ›
        </button>
      </h2>
      <p className="muted">
        In {preview.data?.zone ?? zone}
        {device ? ` for ${device}` : ''}. Grey: no write that day (the previous state holds). Today: {today}.
      </p>
      <ErrorText error={preview.error} />
      <p className="legend" style={{ display: 'flex', gap: 12, flexWrap: 'wrap' }}>
        {sources.map((s) => (
          <span key={s}>
            <span className="swatch" style={{ background: hue(s) }} /> {s}
          </span>
        ))}
        <span>
          <span className="swatch holiday-mark" /> holiday
        </span>
      </p>
      <div className="year" role="grid" aria-label={`Plan for ${year}`} data-testid="year-view">
        {months.map((days, m) => (
          <div key={m} role="row" className="year-row">
            <span role="rowheader" className="year-month">
              {MONTHS[m]}
            </span>
            {days.map((d) => {
              const label = `${d.date}: ${d.source ?? 'no write'}${d.holidays.length ? `, holiday ${d.holidays.join(', ')}` : ''}${d.exception ? ', exception' : ''}${d.writes.length ? ` — ${d.writes.map((w) => w.time).join(', ')}` : ''}`;
              return (
                <button
                  key={d.date}
                  role="gridcell"
                  type="button"
                  className={`day${d.date === today ? ' today' : ''}${d.holidays.length ? ' holiday' : ''}${d.exception ? ' exception' : ''}`}
                  style={{ background: hue(d.source) }}
                  title={label}
                  aria-label={label}
                  data-date={d.date}
                  onClick={() => setPicked(d)}
                />
              );
            })}
          </div>
        ))}
      </div>
      {picked && (
        <div data-testid="day-detail">
          <h3>
            {picked.date}
            {picked.date === today ? ' (today)' : ''}
          </h3>
          <p className="muted">
            {picked.source ? `Planned by ${picked.source}` : 'No write: the previous state holds'}
            {picked.holidays.length ? ` · holiday (${picked.holidays.join(', ')})` : ''}
            {picked.exception ? ' · exception date' : ''}
          </p>
          <ul>
            {picked.writes.map((w) => (
              <li key={w.at}>
                <code>
                  {w.time} {JSON.stringify(w.patch)}
                </code>
              </li>
            ))}
          </ul>
        </div>
      )}
    </section>
  );
}
