import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../api';
import type { DeviceQuery } from '../api-types';
import { Badge, ErrorText } from '../components/bits';
import { VirtualList, type Column } from '../components/VirtualList';
import { formatAgo } from '../format';
import { Link, navigate, useLocation } from '../router';

const PAGE = 100;

type Sort = NonNullable<DeviceQuery['sort']>;
interface Filters {
  q: string;
  model: string;
  tag: string;
  online: '' | 'true' | 'false';
  /** '' = any; 'out_of_service' lists from /fleet/out-of-service (the device list has no state filter) */
  state: '' | 'out_of_service';
  sort: Sort;
  order: 'asc' | 'desc';
}

/** One list row: a device from /devices, or an out-of-service entry from /fleet/out-of-service. */
interface Row {
  id: string;
  name: string;
  model: string | null;
  tags: string[];
  online?: boolean;
  lastSeen?: number | null;
  reasons?: string[];
}

const COLUMNS: Column<Row>[] = [
  { key: 'id', label: 'Device', width: '2fr', render: (d) => d.id, sort: 'id' },
  { key: 'name', label: 'Name', width: '2fr', render: (d) => d.name, sort: 'name' },
  { key: 'model', label: 'Model', width: '1.2fr', render: (d) => d.model ?? '—' },
  {
    key: 'online',
    label: 'Connection',
    width: '1.1fr',
    render: (d) => (d.online === undefined ? '—' : <Badge value={d.online ? 'online' : 'offline'} />),
  },
  {
    key: 'service',
    label: 'Service',
    width: '1.3fr',
    render: (d) => <Badge value={d.reasons?.length ? 'out_of_service' : 'in_service'} />,
  },
  {
    key: 'seen',
    label: 'Last seen',
    width: '1fr',
    render: (d) => (d.lastSeen ? formatAgo(d.lastSeen) : 'never'),
    sort: 'lastSeenAt',
  },
  { key: 'tags', label: 'Tags / reasons', width: '1.5fr', render: (d) => (d.reasons ?? d.tags).join(', ') },
];

const SORTS: Sort[] = ['id', 'name', 'createdAt', 'updatedAt', 'lastSeenAt'];
function fromQuery(q: URLSearchParams): Filters {
  const sort = q.get('sort') as Sort | null;
  return {
    q: q.get('q') ?? '',
    model: q.get('model') ?? '',
    tag: q.get('tag') ?? '',
    online:
      q.get('online') === 'true' || q.get('online') === 'false' ? (q.get('online') as 'true' | 'false') : '',
    state: q.get('state') === 'out_of_service' ? 'out_of_service' : '',
    sort: sort && SORTS.includes(sort) ? sort : 'id',
    order: q.get('order') === 'desc' ? 'desc' : 'asc',
  };
}

/** Debounce typing so a keystroke does not start a request against 100,000 devices. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * Server-side paging: pages of 100 are fetched as the virtualized list scrolls, so the page stays
 * fast with 100,000 devices. Filters live in the URL so a filtered list can be shared.
 */
export function DevicesPage({ canEdit = false }: { canEdit?: boolean }): JSX.Element {
  const { query } = useLocation();
  const [typed, setFilters] = useState<Filters>(() => fromQuery(query));
  const filters = useDebounced(typed, 250);
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string>();
  const rows = useRef(new Map<number, Row>());
  const requested = useRef(new Set<number>());
  const [, setVersion] = useState(0);
  const generation = useRef(0);
  const outOfService = useRef<Map<string, string[]> | undefined>(undefined);

  const fetchPage = useCallback(
    async (page: number) => {
      if (requested.current.has(page)) return;
      requested.current.add(page);
      const gen = generation.current;
      try {
        let items: Row[];
        let count: number;
        if (filters.state === 'out_of_service') {
          const r = await call('/fleet/out-of-service', 'get', {
            query: { limit: PAGE, offset: page * PAGE, ...(filters.model ? { model: filters.model } : {}) },
          });
          items = (r.items ?? []).map((o) => ({
            id: o.deviceId ?? '',
            name: o.deviceId ?? '',
            model: o.model ?? null,
            tags: o.tags ?? [],
            lastSeen: o.lastSeen ?? null,
            reasons: o.reasons ?? [],
          }));
          count = r.total ?? items.length;
        } else {
          const r = await call('/devices', 'get', {
            query: {
              limit: PAGE,
              offset: page * PAGE,
              sort: filters.sort,
              order: filters.order,
              ...(filters.q ? { q: filters.q } : {}),
              ...(filters.model ? { model: filters.model } : {}),
              ...(filters.tag ? { tag: filters.tag } : {}),
              ...(filters.online ? { online: filters.online === 'true' } : {}),
            },
          });
          // The device list carries no service state: mark the rows held out of service (one
          // request per filter change, not per page).
          if (!outOfService.current) {
            // Fleet views are staff-only: a customer's list goes without the service column's marks.
            const o = await call('/fleet/out-of-service', 'get', {
              query: { limit: 10_000, offset: 0, ...(filters.model ? { model: filters.model } : {}) },
            }).catch(() => ({ items: [] }));
            outOfService.current = new Map((o.items ?? []).map((x) => [x.deviceId ?? '', x.reasons ?? []]));
          }
          const out = outOfService.current;
          items = r.items.map((d) => ({
            ...d,
            lastSeen: d.lastSeenAt ?? null,
            ...(out.has(d.id) ? { reasons: out.get(d.id) } : {}),
          }));
          count = r.total;
        }
        if (gen !== generation.current) return;
        items.forEach((d, i) => rows.current.set(page * PAGE + i, d));
        setTotal(count);
        setError(undefined);
        setVersion((v) => v + 1);
      } catch (e) {
        requested.current.delete(page);
        setError(String(e));
      }
    },
    [filters],
  );

  useEffect(() => {
    generation.current++;
    outOfService.current = undefined;
    rows.current.clear();
    requested.current.clear();
    setTotal(0);
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filters))
      if (v && !(k === 'sort' && v === 'id') && !(k === 'order' && v === 'asc')) p.set(k, v);
    const qs = p.toString();
    window.history.replaceState(null, '', `/devices${qs ? `?${qs}` : ''}`);
    void fetchPage(0);
  }, [filters, fetchPage]);

  const onRange = useCallback(
    (start: number, end: number) => {
      for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++)
        void fetchPage(p);
    },
    [fetchPage],
  );

  const set = (k: keyof Filters) => (e: { target: { value: string } }) =>
    setFilters((f) => ({ ...f, [k]: e.target.value }));
  const outOnly = typed.state === 'out_of_service';
  return (
    <>
      <h1>
        Devices{' '}
        {canEdit && (
          <Link to="/devices/new" className="button-link">
            New device
          </Link>
        )}
      </h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input
            type="search"
            value={typed.q}
            onChange={set('q')}
            placeholder="id or name"
            disabled={outOnly}
          />
        </label>
        <label>
          Model
          <input value={typed.model} onChange={set('model')} />
        </label>
        <label>
          Tag
          <input value={typed.tag} onChange={set('tag')} disabled={outOnly} />
        </label>
        <label>
          Connection
          <select value={typed.online} onChange={set('online')} disabled={outOnly}>
            <option value="">any</option>
            <option value="true">online</option>
            <option value="false">offline</option>
          </select>
        </label>
        <label>
          Service state
          <select value={typed.state} onChange={set('state')}>
            <option value="">any</option>
            <option value="out_of_service">out of service</option>
          </select>
        </label>
        <label>
          Sort
          <select value={typed.sort} onChange={set('sort')} disabled={outOnly}>
            <option value="id">id</option>
            <option value="name">name</option>
            <option value="createdAt">registered</option>
            <option value="updatedAt">changed</option>
            <option value="lastSeenAt">last seen</option>
          </select>
        </label>
        <label>
          Order
          <select value={typed.order} onChange={set('order')} disabled={outOnly}>
            <option value="asc">ascending</option>
            <option value="desc">descending</option>
          </select>
        </label>
        <span className="muted" data-testid="device-total" role="status">
          {total.toLocaleString()} devices
        </span>
      </form>
      <ErrorText error={error} />
      <VirtualList
        label="Devices"
        columns={COLUMNS}
        total={total}
        rowAt={(i) => rows.current.get(i)}
        onRange={onRange}
        onFirstRows={markDevicesRendered}
        onOpen={(d) => navigate(`/devices/${encodeURIComponent(d.id)}`)}
        sort={outOnly ? undefined : { key: filters.sort, order: filters.order }}
        onSort={(key) =>
          setFilters((f) => ({
            ...f,
            sort: key as Sort,
            order: f.sort === key && f.order === 'asc' ? 'desc' : 'asc',
          }))
        }
      />
    </>
  );
}

/** Read by src/bench/console-render.ts: first device rows on screen after navigation start. */
function markDevicesRendered(): void {
  performance.mark('tsunagu:devices-rows');
}
