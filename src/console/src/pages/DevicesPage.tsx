import { useCallback, useEffect, useRef, useState } from 'react';
import { get } from '../api';
import type { Device } from '../api-types';
import { asItems, Badge, ErrorText } from '../components/bits';
import { VirtualList, type Column } from '../components/VirtualList';
import { formatAgo } from '../format';
import { navigate, useLocation } from '../router';

const PAGE = 100;

interface Filters {
  q: string;
  model: string;
  tag: string;
  online: '' | 'true' | 'false';
  state: '' | 'out_of_service';
  sort: string;
}

const COLUMNS: Column<Device>[] = [
  { key: 'id', label: 'Device', width: '2fr', render: (d) => d.id },
  { key: 'name', label: 'Name', width: '2fr', render: (d) => d.name },
  { key: 'model', label: 'Model', width: '1.2fr', render: (d) => d.model ?? '—' },
  { key: 'online', label: 'Connection', width: '1fr', render: (d) => <Badge value={d.online === undefined ? 'unknown' : d.online ? 'online' : 'offline'} /> },
  { key: 'seen', label: 'Last seen', width: '1fr', render: (d) => formatAgo(d.lastSeen) },
  { key: 'tags', label: 'Tags', width: '1.5fr', render: (d) => d.tags.join(', ') },
];

function fromQuery(q: URLSearchParams): Filters {
  return {
    q: q.get('q') ?? '',
    model: q.get('model') ?? '',
    tag: q.get('tag') ?? '',
    online: (q.get('online') as Filters['online']) ?? '',
    state: (q.get('state') as Filters['state']) ?? '',
    sort: q.get('sort') ?? 'id',
  };
}

/**
 * Server-side paging: pages of 100 are fetched as the virtualized list scrolls, so the page stays
 * fast with 100,000 devices. Filters live in the URL so a filtered list can be shared.
 */
export function DevicesPage(): JSX.Element {
  const { query } = useLocation();
  const [filters, setFilters] = useState<Filters>(() => fromQuery(query));
  const [total, setTotal] = useState(0);
  const [error, setError] = useState<string>();
  const rows = useRef(new Map<number, Device>());
  const requested = useRef(new Set<number>());
  const [, setVersion] = useState(0);
  const generation = useRef(0);

  const fetchPage = useCallback(
    async (page: number) => {
      if (requested.current.has(page)) return;
      requested.current.add(page);
      const gen = generation.current;
      try {
        let items: Device[];
        let count: number;
        if (filters.state === 'out_of_service') {
          const r = await get<unknown>('/fleet/out-of-service', { limit: PAGE, offset: page * PAGE });
          items = asItems<{ deviceId: string; model?: string | null }>(r).map((o) => ({
            id: o.deviceId,
            name: o.deviceId,
            model: o.model ?? null,
            tags: [],
            enabled: true,
          }));
          count = (r as { total?: number }).total ?? items.length;
        } else {
          const r = await get<unknown>('/devices', {
            limit: PAGE,
            offset: page * PAGE,
            q: filters.q,
            model: filters.model,
            tag: filters.tag,
            online: filters.online,
            sort: filters.sort,
          });
          items = asItems<Device>(r);
          count = (r as { total?: number }).total ?? items.length;
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
    rows.current.clear();
    requested.current.clear();
    setTotal(0);
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(filters)) if (v && !(k === 'sort' && v === 'id')) p.set(k, v);
    const qs = p.toString();
    window.history.replaceState(null, '', `/devices${qs ? `?${qs}` : ''}`);
    void fetchPage(0);
  }, [filters, fetchPage]);

  const onRange = useCallback(
    (start: number, end: number) => {
      for (let p = Math.floor(start / PAGE); p <= Math.floor(Math.max(start, end - 1) / PAGE); p++) void fetchPage(p);
    },
    [fetchPage],
  );

  const set = (k: keyof Filters) => (e: { target: { value: string } }) => setFilters((f) => ({ ...f, [k]: e.target.value }));
  return (
    <>
      <h1>Devices</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Search
          <input value={filters.q} onChange={set('q')} placeholder="id or name" />
        </label>
        <label>
          Model
          <input value={filters.model} onChange={set('model')} />
        </label>
        <label>
          Tag
          <input value={filters.tag} onChange={set('tag')} />
        </label>
        <label>
          Connection
          <select value={filters.online} onChange={set('online')}>
            <option value="">any</option>
            <option value="true">online</option>
            <option value="false">offline</option>
          </select>
        </label>
        <label>
          Service state
          <select value={filters.state} onChange={set('state')}>
            <option value="">any</option>
            <option value="out_of_service">out of service</option>
          </select>
        </label>
        <label>
          Sort
          <select value={filters.sort} onChange={set('sort')}>
            <option value="id">id</option>
            <option value="name">name</option>
            <option value="-createdAt">newest</option>
            <option value="-lastSeen">last seen</option>
          </select>
        </label>
        <span className="muted" data-testid="device-total">
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
        onOpen={(d) => navigate(`/devices/${encodeURIComponent(d.id)}`)}
      />
    </>
  );
}
