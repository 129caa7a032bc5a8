/**
 * Edit mode's direct manipulation: a move handle (in the widget's title) and a resize handle (its
 * bottom-right corner). Drag either with the pointer — mouse, pen or touch — and the widget follows
 * in whole grid cells; or focus it (Tab) and press the arrow keys to move or resize by one cell.
 * Both change the draft only; Save writes it. The step buttons in PlacementControls stay too.
 */
import { useRef, type KeyboardEvent, type PointerEvent, type RefObject } from 'react';
import { arrowStep, cellSize, dragged, moved, resized } from './layout';
import type { Widget } from './types';

interface Props {
  widget: Widget;
  /** The grid the widget sits on (its width gives the column size). */
  grid: RefObject<HTMLDivElement | null>;
  label: string;
  onChange: (w: Widget) => void;
  onStart: () => void;
}

type Mode = 'move' | 'resize';

export function GridHandles(props: Props): JSX.Element {
  return (
    <>
      <Handle {...props} mode="move" />
      <Handle {...props} mode="resize" />
    </>
  );
}

function Handle({ widget, grid, label, onChange, onStart, mode }: Props & { mode: Mode }): JSX.Element {
  const drag = useRef<{ x: number; y: number; start: Widget; cell: { col: number; row: number } }>(null);
  const last = useRef(widget);
  last.current = widget;

  const change = (next: Widget): void => {
    const w = last.current;
    if (next.x !== w.x || next.y !== w.y || next.w !== w.w || next.h !== w.h) onChange(next);
  };
  const onPointerDown = (e: PointerEvent<HTMLButtonElement>): void => {
    if (e.button !== 0 || !grid.current) return;
    e.preventDefault();
    e.currentTarget.focus();
    e.currentTarget.setPointerCapture(e.pointerId);
    const gap = parseFloat(getComputedStyle(grid.current).columnGap) || 0;
    const cell = cellSize(grid.current.getBoundingClientRect().width, gap);
    drag.current = { x: e.clientX, y: e.clientY, start: widget, cell };
    onStart();
  };
  const onPointerMove = (e: PointerEvent<HTMLButtonElement>): void => {
    const d = drag.current;
    if (d) change(dragged(d.start, mode, e.clientX - d.x, e.clientY - d.y, d.cell));
  };
  const end = (): void => {
    drag.current = null;
  };
  const onKeyDown = (e: KeyboardEvent<HTMLButtonElement>): void => {
    const step = arrowStep(e.key);
    if (!step) return;
    e.preventDefault();
    onStart();
    change(mode === 'move' ? moved(widget, ...step) : resized(widget, ...step));
  };
  const verb = mode === 'move' ? 'move' : 'resize';
  return (
    <button
      type="button"
      className={`dash-handle ${mode}`}
      aria-label={`Drag to ${verb} ${label}`}
      title={`Drag to ${verb}, or focus and use the arrow keys`}
      aria-keyshortcuts="ArrowLeft ArrowRight ArrowUp ArrowDown"
      data-handle={mode}
      onPointerDown={onPointerDown}
      onPointerMove={onPointerMove}
      onPointerUp={end}
      onPointerCancel={end}
      onLostPointerCapture={end}
      onKeyDown={onKeyDown}
    >
      {mode === 'move' ? '⠿' : '◢'}
    </button>
  );
}
