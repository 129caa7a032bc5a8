import { Fragment, useState } from 'react';
import { call } from '../api';
import { ErrorText } from '../components/bits';
import { formatTime } from '../format';
import { useLoad } from '../hooks';

const PAGE = 50;

/**
 * The audit log, newest first, paged on the server; filter by who (actor id) and by resource (its
 * sub-resources included). A row opens to show the full change (before and after).
 */
export function AuditPage(): JSX.Element {
  const [resource, setResource] = useState('');
  const [actor, setActor] = useState('');
  const [offset, setOffset] = useState(0);
  const [open, setOpen] = useState<number>();
  const log = useLoad(
    () =>
      call('/audit', 'get', {
        query: {
          limit: PAGE,
          offset,
          ...(resource.trim() ? { resource: resource.trim() } : {}),
          ...(actor.trim() ? { actor: actor.trim() } : {}),
        },
      }),
    [resource, actor, offset],
  );
  const total = log.data?.total ?? 0;
  const filter =
    (set: (v: string) => void) =>
    (e: { target: { value: string } }): void => {
      set(e.target.value);
      setOffset(0);
      setOpen(undefined);
    };
  return (
    <>
      <h1>Audit log</h1>
      <div className="filters">
        <label>
          Resource
          <input value={resource} onChange={filter(setResource)} placeholder="e.g. devices/scooter-1" />
        </label>
        <label>
          Actor id
          <input value={actor} onChange={filter(setActor)} placeholder="token or user id" />
        </label>
      </div>
      <ErrorText error={log.error} />
      <section className="panel">
        {log.data && total === 0 && <p className="muted">No entries match.</p>}
        <table>
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Action</th>
              <th>Resource</th>
              <th>Change</th>
            </tr>
          </thead>
          <tbody>
            {(log.data?.items ?? []).map((a, i) => (
              <Fragment key={i}>
                <tr>
                  <td>{formatTime(a.at)}</td>
                  <td>
                    {a.actor ? (
                      <button
                        className="link"
                        title="Only this actor's entries"
                        onClick={() => filter(setActor)({ target: { value: a.actor?.id ?? '' } })}
                      >
                        {a.actor.name ?? `${a.actor.kind ?? '?'}:${a.actor.id ?? '?'}`}
                      </button>
                    ) : (
                      '—'
                    )}
                  </td>
                  <td>{a.action}</td>
                  <td>{a.resource}</td>
                  <td>
                    <button
                      className="link"
                      aria-expanded={open === i}
                      onClick={() => setOpen(open === i ? undefined : i)}
                    >
                      {open === i ? 'hide' : 'show'}
                    </button>{' '}
                    <span className="muted">{JSON.stringify(a.after ?? a.before ?? '').slice(0, 50)}</span>
                  </td>
                </tr>
                {open === i && (
                  <tr>
                    <td colSpan={5}>
                      <pre data-testid="audit-detail" className="detail">
                        {JSON.stringify({ before: a.before ?? null, after: a.after ?? null }, null, 2)}
                      </pre>
                    </td>
                  </tr>
                )}
              </Fragment>
            ))}
          </tbody>
        </table>
        <p className="pager">
          <button disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE))}>
            Newer
          </button>{' '}
          <span className="muted">
            {total === 0 ? '0' : `${offset + 1}–${Math.min(offset + PAGE, total)}`} of {total}
          </span>{' '}
          <button disabled={offset + PAGE >= total} onClick={() => setOffset(offset + PAGE)}>
            Older
          </button>
        </p>
      </section>
    </>
  );
}
