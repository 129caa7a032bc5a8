import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  arrowStep,
  cellSize,
  dragged,
  gaugeShare,
  gaugeTone,
  moved,
  newWidget,
  rangeMs,
  resized,
  tableRows,
  withUnit,
} from './layout';
import type { Widget } from './types';

const w = (over: Partial<Widget> = {}): Widget => ({ id: 'a', kind: 'map', x: 2, y: 1, w: 4, h: 2, ...over });

test('moves and resizes stay on the 12-column grid', () => {
  assert.deepEqual([moved(w(), -5, 0).x, moved(w(), 20, 0).x, moved(w(), 0, -3).y], [0, 8, 0]);
  assert.deepEqual([resized(w(), 20, 0).w, resized(w(), -9, 0).w, resized(w(), 0, 40).h], [10, 1, 24]);
});

test('a pointer drag moves or resizes by whole cells, rounded, kept on the grid; arrows step one cell', () => {
  const cell = cellSize(1188, 12); // 12 columns of 88 px with 11 gaps of 12 px
  assert.deepEqual(cell, { col: 100, row: 84 });
  const moveBy = (dx: number, dy: number): number[] => {
    const r = dragged(w(), 'move', dx, dy, cell);
    return [r.x, r.y, r.w, r.h];
  };
  assert.deepEqual(moveBy(149, 0), [3, 1, 4, 2], 'under half a cell more stays');
  assert.deepEqual(moveBy(151, 43), [4, 2, 4, 2], 'over half a cell rounds up');
  assert.deepEqual(moveBy(-900, -900), [0, 0, 4, 2], 'never off the left or top');
  assert.deepEqual(moveBy(2000, 0), [8, 1, 4, 2], 'never past column 12');
  const resizeBy = (dx: number, dy: number): number[] => {
    const r = dragged(w(), 'resize', dx, dy, cell);
    return [r.x, r.y, r.w, r.h];
  };
  assert.deepEqual(resizeBy(210, 84), [2, 1, 6, 3]);
  assert.deepEqual(resizeBy(-1000, -1000), [2, 1, 1, 1], 'at least one cell');
  assert.deepEqual(resizeBy(5000, 0), [2, 1, 10, 2], 'x + w stays within 12');
  assert.deepEqual(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Enter'].map(arrowStep), [
    [-1, 0],
    [1, 0],
    [0, -1],
    [0, 1],
    undefined,
  ]);
});

test('a new widget goes below the others with keys from the fields; fleet widgets pin the device', () => {
  const fields = [
    { key: 'mode', kind: 'text' as const, source: 'd' },
    { key: 'temp', kind: 'number' as const, unit: 'degC', source: 'd' },
    { key: 'rpm', kind: 'number' as const, source: 'd' },
  ];
  const ts = newWidget('time_series', [w({ y: 3, h: 4 })], { fields, device: 'd1', fleet: true });
  assert.deepEqual([ts.id, ts.y, ts.keys, ts.device], ['w2', 7, ['temp', 'rpm'], 'd1']);
  const lv = newWidget('latest_value', [], { fields, device: 'd1', fleet: false });
  assert.deepEqual([lv.key, lv.device], ['mode', undefined]);
});

test('ranges, gauge tone and share, units, table rows', () => {
  assert.deepEqual(
    [rangeMs('15m'), rangeMs('6h'), rangeMs('7d'), rangeMs('data')],
    [900_000, 21_600_000, 604_800_000, undefined],
  );
  const th = [
    { from: 0, tone: 'ok' as const },
    { from: 70, tone: 'warn' as const },
    { from: 90, tone: 'bad' as const },
  ];
  assert.deepEqual([gaugeTone(-1, th), gaugeTone(70, th), gaugeTone(95, th)], [undefined, 'warn', 'bad']);
  assert.deepEqual([gaugeShare(50, 0, 200), gaugeShare(500, 0, 200), gaugeShare(-5, 0, 200)], [0.25, 1, 0]);
  assert.deepEqual(
    [withUnit(55.123456, 'degC'), withUnit(1.4, 'bar'), withUnit('eco', undefined), withUnit(null, 'V')],
    ['55.123 °C', '1.4 bar', 'eco', '—'],
  );
  assert.deepEqual(
    tableRows(
      [
        { deviceId: 'b', metric: 'p', value: 2 },
        { deviceId: 'a', metric: 'mode', text: 'eco', value: null },
        { deviceId: 'a', metric: 'other', value: 9 },
      ],
      ['p', 'mode'],
    ),
    [
      { deviceId: 'a', cells: [null, 'eco'] },
      { deviceId: 'b', cells: [2, null] },
    ],
  );
});
