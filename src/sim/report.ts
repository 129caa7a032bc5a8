/** Plain-text tables for the terminal. */
import type { Comparison } from './compare.js';
import type { LoadtestResult } from './loadtest-result.js';
import { fmt, type SimCounters } from './stats.js';

export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  // Text in the first column reads best left-aligned; numbers right-aligned.
  const line = (cells: string[]): string =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

const mib = (b: number | undefined): string => (b === undefined ? '–' : (b / 1048576).toFixed(1));
const pct = (x: number): string => `${(x * 100).toFixed(2)}%`;

export function formatResult(r: LoadtestResult): string {
  let out = `tsunagu loadtest ${r.mode} — ${r.url}, profile ${r.profile}, SLO: ${r.slo.join(' and ')}\n`;
  for (const n of r.notes) out += `note: ${n}\n`;
  if (r.steps.length > 0) {
    const cmd = r.steps.some((s) => s.command);
    out += '\n';
    out += table(
      [
        r.mode === 'soak' ? 'window' : 'step',
        'devices',
        'online',
        'msg/s',
        'pub p50',
        'pub p95',
        'pub p99',
        ...(cmd ? ['cmd p50', 'cmd p99', 'cmd fail'] : []),
        'errors',
        'rss MiB',
        'server MiB',
        'broken',
      ],
      r.steps.map((s, i) => [
        String(i + 1),
        String(s.devices),
        String(s.online),
        s.msgPerSec.toFixed(0),
        fmt(s.publish.p50),
        fmt(s.publish.p95),
        fmt(s.publish.p99),
        ...(cmd
          ? [fmt(s.command?.p50 ?? NaN), fmt(s.command?.p99 ?? NaN), String(s.command?.failed ?? 0)]
          : []),
        pct(s.errorRate),
        mib(s.clientRssBytes),
        mib(s.serverRssBytes),
        s.broken.join('; ') || '-',
      ]),
    );
  }
  if (r.mode === 'load')
    out += r.lastGood
      ? `\nlast good step: ${r.lastGood.devices} devices, ${r.lastGood.msgPerSec.toFixed(0)} msg/s, ${r.latencyMetric} p99 ${fmt((r.lastGood.command ?? r.lastGood.publish).p99)} ms\n`
      : '\nno step met the SLO\n';
  if (r.spike) {
    const s = r.spike;
    out += `\nspike: ${s.devices} devices within ${s.withinS} s\n`;
    out += table(
      [
        'online',
        'connects',
        'failed attempts',
        'dropped',
        'all online after',
        'connect p50',
        'p95',
        'p99',
        'max',
        'client rss MiB',
      ],
      [
        [
          String(s.connected),
          String(s.connects),
          String(s.connectFailures),
          String(s.unexpectedDisconnects),
          s.timeToAllConnectedMs === null ? 'never' : `${s.timeToAllConnectedMs} ms`,
          `${fmt(s.connect.p50)} ms`,
          `${fmt(s.connect.p95)} ms`,
          `${fmt(s.connect.p99)} ms`,
          `${fmt(s.connect.max)} ms`,
          mib(s.clientRssBytes),
        ],
      ],
    );
  }
  if (r.spike)
    out += r.spike.broken.length
      ? `broken: ${r.spike.broken.join('; ')}\n`
      : r.slo.some((o) => o.includes(' connect '))
        ? 'connect SLO met\n'
        : '';
  if (r.spike && Object.keys(r.spike.connectErrors).length > 0)
    out += `failed attempts by reason: ${Object.entries(r.spike.connectErrors)
      .map(([k, n]) => `${k} ×${n}`)
      .join(', ')}\n`;
  if (r.soak)
    out += `\ndrift: p99 ${r.soak.p99Change >= 0 ? '+' : ''}${pct(r.soak.p99Change)} first→last window; client RSS ${mib(r.soak.clientRssSlopeBytesPerMin)} MiB/min${r.soak.serverRssSlopeBytesPerMin === undefined ? '' : `; server RSS ${mib(r.soak.serverRssSlopeBytesPerMin)} MiB/min`}\n`;
  return out;
}

export function formatComparison(c: Comparison): string {
  let out = table(
    ['metric', 'a', 'b', 'worse by', 'threshold', 'verdict'],
    c.rows.map((r) => [
      r.metric,
      fmt(r.a),
      fmt(r.b),
      pct(r.worse),
      pct(r.threshold),
      r.degraded ? 'DEGRADED' : 'ok',
    ]),
  );
  if (c.unmatched.length > 0) out += `not compared (missing in one run): ${c.unmatched.join(', ')}\n`;
  out += c.degraded ? 'result: degradation beyond noise\n' : 'result: no degradation beyond noise\n';
  return out;
}

export function formatCounters(c: SimCounters, elapsedS: number): string {
  return (
    `${elapsedS.toFixed(0)}s online ${c.online}/${c.devices} connects ${c.connects} failed ${c.connectFailures} lost ${c.unexpectedDisconnects} | ` +
    `hb ${c.heartbeats} tel ${c.telemetry} tg ${c.telegrams} ev ${c.events} shadow ${c.shadowReports} delta ${c.deltasApplied} | ` +
    `cmd ${c.commandsReceived} ok ${c.commandRepliesOk} err ${c.commandRepliesError} | malformed ${c.malformedSent} pubfail ${c.publishFailures} | ` +
    `faults battery ${c.faults.battery} burst ${c.faults.burst} drop ${c.faults.drop} flap ${c.faults.flap} slow ${c.faults.slow}\n`
  );
}
