/** A uPlot time-series chart (canvas; handles tens of thousands of points). */
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';

interface Props {
  /** x in epoch seconds, one or more y series. */
  x: number[];
  series: { label: string; values: (number | null)[]; color?: string }[];
  height?: number;
  title?: string;
  /** Fixed y bounds; null = from the data (e.g. [null, 1] for ratios). */
  yRange?: [number | null, number | null];
}

const PALETTE = ['#0b6bcb', '#c62828', '#1a7f37', '#9a6700', '#6f42c1'];

export function Chart({ x, series, height = 240, title, yRange }: Props): JSX.Element {
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
        y: {
          range: (_u, min, max) => {
            const lo = yRange?.[0] ?? min;
            const hi = yRange?.[1] ?? max;
            const pad = (hi - lo) * 0.05 || 0.01;
            return [Math.min(lo, hi) - pad, Math.max(lo, hi) + pad];
          },
        },
      },
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: s.color ?? PALETTE[i % PALETTE.length]!,
          width: 1.5,
          spanGaps: false,
        })),
      ],
      axes: [
        { stroke: axisColor, grid: { stroke: 'rgba(128,128,128,0.15)' } },
        { stroke: axisColor, grid: { stroke: 'rgba(128,128,128,0.15)' } },
      ],
    };
    const plot = new uPlot(opts, [x, ...series.map((s) => s.values)] as uPlot.AlignedData, node);
    const ro = new ResizeObserver(() => plot.setSize({ width: Math.max(300, node.clientWidth), height }));
    ro.observe(node);
    return () => {
      ro.disconnect();
      plot.destroy();
    };
  }, [x, series, height, title, yRange]);
  return <div ref={el} role="img" aria-label={title ?? series.map((s) => s.label).join(', ')} />;
}
