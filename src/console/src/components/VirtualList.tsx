/**
 * A virtualized list: only the rows in view (plus overscan) are in the DOM, so 100,000 rows scroll
 * smoothly. Rows are fetched page by page from the server through `loadPage`.
 */
import { useEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { visibleRange } from '../format';

export interface Column<T> {
  key: string;
  label: string;
  width: string;
  render: (row: T) => ReactNode;
  /** Server sort key when the column is sortable. */
  sort?: string;
}

interface Props<T> {
  columns: Column<T>[];
  total: number;
  rowHeight?: number;
  height?: number;
  /** Rows by index; undefined = not loaded yet. */
  rowAt: (index: number) => T | undefined;
  /** Ask for rows [start, end) to be loaded. */
  onRange: (start: number, end: number) => void;
  onOpen?: (row: T) => void;
  label: string;
  sort?: { key: string; order: 'asc' | 'desc' } | undefined;
  onSort?: (key: string) => void;
  /** Called once when the first loaded rows are on screen (render benchmark). */
  onFirstRows?: () => void;
}

export function VirtualList<T>({
  columns,
  total,
  rowHeight = 36,
  height = 560,
  rowAt,
  onRange,
  onOpen,
  label,
  sort,
  onSort,
  onFirstRows,
}: Props<T>): JSX.Element {
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  // Shrink to the rows there are; never taller than `height`.
  const viewport = Math.min(height, (total + 1) * rowHeight + 2);
  const { start, end } = visibleRange(scrollTop, viewport, rowHeight, total);
  useEffect(() => onRange(start, end), [start, end, onRange]);
  const grid = columns.map((c) => c.width).join(' ');
  const firstLoaded = total > 0 && rowAt(start) !== undefined;
  const reported = useRef(false);
  useEffect(() => {
    if (firstLoaded && !reported.current) {
      reported.current = true;
      onFirstRows?.();
    }
  }, [firstLoaded, onFirstRows]);
  const rows: JSX.Element[] = [];
  for (let i = start; i < end; i++) {
    const row = rowAt(i);
    const key = (e: KeyboardEvent): void => {
      if (e.key === 'Enter' && row) onOpen?.(row);
      if (e.key === 'ArrowDown') (e.currentTarget.nextElementSibling as HTMLElement | null)?.focus();
      if (e.key === 'ArrowUp') (e.currentTarget.previousElementSibling as HTMLElement | null)?.focus();
    };
    rows.push(
      <div
        key={i}
        role="row"
        aria-rowindex={i + 2}
        tabIndex={0}
        className="row"
        style={{ top: (i + 1) * rowHeight, height: rowHeight, gridTemplateColumns: grid }}
        onClick={() => row && onOpen?.(row)}
        onKeyDown={key}
      >
        {columns.map((c) => (
          <span
            role="cell"
            key={c.key}
            style={{ overflow: 'hidden', textOverflow: 'ellipsis', whiteSpace: 'nowrap' }}
          >
            {row ? c.render(row) : <span className="muted">…</span>}
          </span>
        ))}
      </div>,
    );
  }
  return (
    <div
      ref={ref}
      className="vlist"
      role="table"
      aria-label={label}
      aria-rowcount={total + 1}
      style={{ height: Math.max(viewport, rowHeight * 2) }}
      onScroll={(e) => setScrollTop(e.currentTarget.scrollTop)}
    >
      <div style={{ height: (total + 1) * rowHeight, position: 'relative' }}>
        <div
          role="row"
          className="row head"
          style={{ top: 0, height: rowHeight, gridTemplateColumns: grid, position: 'sticky' }}
        >
          {columns.map((c) => (
            <span
              role="columnheader"
              key={c.key}
              aria-sort={
                sort && c.sort === sort.key ? (sort.order === 'asc' ? 'ascending' : 'descending') : undefined
              }
            >
              {c.sort && onSort ? (
                <button type="button" className="link" onClick={() => onSort(c.sort!)}>
                  {c.label}
                  {sort?.key === c.sort ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
                </button>
              ) : (
                c.label
              )}
            </span>
          ))}
        </div>
        {rows}
      </div>
    </div>
  );
}
