import { useCallback, useEffect, useRef, useState } from 'react';
import { call } from '../api';
import type { DeviceQuery } from '../api-types';
import { Badge, ErrorText } from '../components/bits';
import { VirtualList, type Column } from '../components/VirtualList';
import { formatAgo } from '../format';
import { Link, navigate, useLocation } from '../router';

const PAGE = 100;

type Sort = NonNullable<DeviceQuery['sort']>;
type ServiceState = NonNullable<DeviceQuery['serviceState']>;
const STATES: ServiceState[] = ['in_service', 'out_of_service', 'maintenance', 'retired'];
interface Filters {
  q: string;
  model: string;
  tag: string;
  online: '' | 'true' | 'false';
  /** '' = any; otherwise the server's service-state filter (health's state). */
  state: '' | ServiceState;
  sort: Sort;
  order: 'asc' | 'desc';
}

/** One list row: a device from /devices with its service state. */
interface Row {
  id: string;
  name: string;
  model: string | null;
  tags: string[];
  online: boolean;
  lastSeen: number | null;
  state: ServiceState;
  reasons: string[];
}

const COLUMNS: Column<Row>[] = [
  { key: 'id', label: 'Device', width: '2fr', render: (d) => d.id, sort: 'id' },
  { key: 'name', label: 'Name', width: '2fr', render: (d) => d.name, sort: 'name' },
  { key: 'model', label: 'Model', width: '1.2fr', render: (d) => d.model ?? '—' },
  {
    key: 'online',
    label: 'Connection',
    width: '1.1fr',
    render: (d) => <Badge value={d.online ? 'online' : 'offline'} />,
  },
  { key: 'service', label: 'Service', width: '1.3fr', render: (d) => <Badge value={d.state} /> },
  {
    key: 'seen',
    label: 'Last seen',
    width: '1fr',
    render: (d) => (d.lastSeen ? formatAgo(d.lastSeen) : 'never'),
    sort: 'lastSeenAt',
  },
  {
    key: 'tags',
    label: 'Tags / reasons',
    width: '1.5fr',
    render: (d) => (d.reasons.length ? d.reasons : d.tags).join(', '),
  },
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
    state: STATES.find((s) => s === q.get('state')) ?? '',
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

  const fetchPage = useCallback(
    async (page: number) => {
      if (requested.current.has(page)) return;
      requested.current.add(page);
      const gen = generation.current;
      try {
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
            ...(filters.state ? { serviceState: filters.state } : {}),
          },
        });
        const items: Row[] = r.items.map((d) => ({
          id: d.id,
          name: d.name,
          model: d.model ?? null,
          tags: d.tags,
          online: d.online,
          lastSeen: d.lastSeenAt ?? null,
          state: d.serviceState,
          reasons: d.serviceReasons,
        }));
        const count = r.total;
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
          <input type="search" value={typed.q} onChange={set('q')} placeholder="id or name" />
        </label>
        <label>
          Model
          <input value={typed.model} onChange={set('model')} />
        </label>
        <label>
          Tag
          <input value={typed.tag} onChange={set('tag')} />
        </label>
        <label>
          Connection
          <select value={typed.online} onChange={set('online')}>
            <option value="">any</option>
            <option value="true">online</option>
            <option value="false">offline</option>
          </select>
        </label>
        <label>
          Service state
          <select value={typed.state} onChange={set('state')}>
            <option value="">any</option>
            {STATES.map((st) => (
              <option key={st} value={st}>
                {st.replace(/_/g, ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Sort
          <select value={typed.sort} onChange={set('sort')}>
            <option value="id">id</option>
            <option value="name">name</option>
            <option value="createdAt">registered</option>
            <option value="updatedAt">changed</option>
            <option value="lastSeenAt">last seen</option>
          </select>
        </label>
        <label>
          Order
          <select value={typed.order} onChange={set('order')}>
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
        sort={{ key: filters.sort, order: filters.order }}
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
