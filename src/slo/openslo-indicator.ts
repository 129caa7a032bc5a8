/**
 * An OpenSLO ratio indicator over `tsunagu` metric sources, turned into a tsunagu SLI (docs/slo.md,
 * "OpenSLO v1 mapping"): built-in indicators carry the same spec in good and total; `events` puts
 * the good filter in good and the total filter plus the selector in total.
 */
import { SloErrors } from './errors.js';
import { join, parseFilter, parseSelector, parseSli, type Reader, str } from './definition.js';
import { SLI_TYPES, type Sli } from './types.js';

/** Parse a tsunagu metric source into our SLI fields. */
function metricSource(v: unknown, path: string, r: Reader): Record<string, unknown> {
  const ms = r.object(r.object(v, path, ['metricSource']).metricSource, join(path, 'metricSource'), [
    'type',
    'spec',
    'metricSourceRef',
  ]);
  const mp = join(path, 'metricSource');
  if (ms.metricSourceRef !== undefined)
    throw SloErrors.invalid(
      join(mp, 'metricSourceRef'),
      'tsunagu metric sources count platform events and use no DataSource; remove it',
    );
  if (ms.type !== 'tsunagu')
    throw SloErrors.invalid(join(mp, 'type'), 'must be tsunagu (other metric sources are not supported)');
  return r.object(ms.spec, join(mp, 'spec'), [
    'indicator',
    'command',
    'thresholdMs',
    'latency',
    'event',
    'where',
    'model',
    'models',
    'tag',
    'device',
  ]);
}

export function indicatorFromRatio(v: unknown, path: string, r: Reader): Sli {
  const sp = r.object(v, path, ['description', 'ratioMetric', 'thresholdMetric']);
  if (sp.thresholdMetric !== undefined)
    throw SloErrors.invalid(join(path, 'thresholdMetric'), 'not supported; use ratioMetric');
  const rp = join(path, 'ratioMetric');
  const rm = r.object(sp.ratioMetric, rp, ['counter', 'good', 'bad', 'total', 'raw', 'rawType']);
  if (rm.bad !== undefined) throw SloErrors.invalid(join(rp, 'bad'), 'not supported; give good and total');
  if (rm.raw !== undefined) throw SloErrors.invalid(join(rp, 'raw'), 'not supported; give good and total');
  if (rm.good === undefined) throw SloErrors.invalid(join(rp, 'good'), 'is required');
  if (rm.total === undefined) throw SloErrors.invalid(join(rp, 'total'), 'is required');
  if (rm.counter !== undefined && typeof rm.counter !== 'boolean')
    throw SloErrors.invalid(join(rp, 'counter'), 'must be a boolean');
  const goodPath = join(join(rp, 'good'), 'metricSource.spec');
  const totalPath = join(join(rp, 'total'), 'metricSource.spec');
  const good = metricSource(rm.good, join(rp, 'good'), r);
  const total = metricSource(rm.total, join(rp, 'total'), r);
  const indicator = str(total.indicator, join(totalPath, 'indicator'));
  const known = ['events', ...SLI_TYPES.filter((t) => t !== 'ratio')];
  if (!known.includes(indicator))
    throw SloErrors.invalid(join(totalPath, 'indicator'), `must be one of ${known.join(', ')}`);
  if (good.indicator !== indicator)
    throw SloErrors.invalid(join(goodPath, 'indicator'), `must equal the total's indicator (${indicator})`);
  const selector = parseSelector(
    { model: total.model, models: total.models, tag: total.tag, device: total.device },
    totalPath,
    r,
  );
  if (indicator === 'events') {
    for (const k of ['model', 'models', 'tag', 'device'])
      if (good[k] !== undefined) r.unknown(join(goodPath, k), 'selectors belong on total');
    const g = parseFilter({ event: good.event, where: good.where }, goodPath, r);
    const t = parseFilter({ event: total.event, where: total.where }, totalPath, r);
    if (g.event !== t.event)
      throw SloErrors.invalid(join(goodPath, 'event'), `must be the total's event (${t.event})`);
    for (const k of ['command', 'thresholdMs', 'latency'])
      for (const [side, p] of [
        [good, goodPath],
        [total, totalPath],
      ] as const)
        if (side[k] !== undefined) r.unknown(join(p, k), 'not used by the events indicator');
    return { type: 'ratio', selector, good: g, total: t };
  }
  if (JSON.stringify(sortKeys(good)) !== JSON.stringify(sortKeys(total)))
    throw SloErrors.invalid(goodPath, `must equal total's spec for the ${indicator} indicator`);
  const { indicator: _i, model: _m, models: _ms, tag: _t, device: _d, ...params } = total;
  return parseSli({ type: indicator, selector, ...params }, totalPath, r);
}

function sortKeys(o: Record<string, unknown>): [string, unknown][] {
  return Object.entries(o).sort(([a], [b]) => a.localeCompare(b));
}
