/** A uPlot time-series chart (canvas; handles tens of thousands of points). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

interface Props {
  /** x in epoch seconds, one or more y series. */
  x: number[];
  series: { label: string; values: (number | null)[]; color?: string; step?: boolean }[];
  /** Join a series across points where it has none (several series merged on one time axis). */
  spanGaps?: boolean;
  height?: number;
  title?: string;
  /** y bounds that widen to include the data; null = from the data (e.g. [0, 1] for ratios). */
  yRange?: [number | null, number | null];
  /** x bounds in epoch seconds (the selected time range), so one point does not span years. */
  xRange?: [number, number];
  /** The y axis' label (the unit, when every series shares one). */
  yLabel?: string;
}

const PALETTE = ['#0b6bcb', '#c62828', '#1a7f37', '#9a6700', '#6f42c1'];

const stepped = uPlot.paths.stepped?.({ align: 1 });

export function Chart({
  x,
  series,
  height = 240,
  title,
  yRange,
  xRange,
  spanGaps = false,
  yLabel,
}: Props): JSX.Element {
  const el = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const node = el.current;
    if (!node) return;
    const axisColor = getComputedStyle(document.documentElement).getPropertyValue('--muted').trim() || '#888';
    const opts: uPlot.Options = {
      width: Math.max(300, node.clientWidth),
      height,
      ...(title ? { title } : {}),
      scales: {
        ...(xRange ? { x: { time: true, range: (): uPlot.Range.MinMax => xRange } } : {}),
        y: { range: (_u, min, max) => yBounds(min, max, yRange) },
      },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length]!,
          width: 1.5,
          spanGaps,
          ...(s.step && stepped ? { paths: stepped } : {}),
        })),
      ],
      axes: [
        { stroke: axisColor, grid: { stroke: 'rgba(128,128,128,0.15)' } },
        {
          stroke: axisColor,
          grid: { stroke: 'rgba(128,128,128,0.15)' },
          ...(yLabel ? { label: yLabel, labelSize: 20 } : {}),
        },
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, node);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, node.clientWidth), height }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, series, height, title, yRange, xRange, spanGaps, yLabel]);
  return <div ref={el} role="img" aria-label={title ?? series.map((s) => s.label).join(', ')} />;
}

/** y axis bounds: the data widened by `fixed`, padded 5 %; a flat series gets ±5 % of its value (±1 at zero). */
export function yBounds(
  min: number | null,
  max: number | null,
  fixed?: [number | null, number | null],
): [number, number] {
  const lo = Math.min(min ?? 0, fixed?.[0] ?? Infinity);
  const hi = Math.max(max ?? 1, fixed?.[1] ?? -Infinity);
  const pad = hi > lo ? (hi - lo) * 0.05 : Math.abs(hi) * 0.05 || 1;
  return [lo - pad, hi + pad];
}
