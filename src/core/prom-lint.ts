/**
 * The naming rules `promtool check metrics` applies (Prometheus client_golang `testutil/promlint`,
 * and https://prometheus.io/docs/practices/naming/), over the text exposition format, so a test can
 * hold /metrics to them without installing the Prometheus server package for promtool:
 *
 * - counters end in `_total`; nothing else does;
 * - every family has HELP; names and labels are snake_case without colons;
 * - only histograms and summaries end in `_count`, `_sum`, `_bucket`, or use `le` / `quantile`;
 * - no metric type in the name;
 * - units are base units (seconds, bytes, meters…), written out, not abbreviated (`ms`, `sec`).
 */

export interface LintProblem {
  metric: string;
  text: string;
}

// promlint's unit table: non-base unit → base unit.
const UNITS: Record<string, string> = {
  amperes: 'amperes',
  bytes: 'bytes',
  celsius: 'celsius',
  grams: 'grams',
  joules: 'joules',
  kelvin: 'kelvin',
  meters: 'meters',
  metres: 'metres',
  seconds: 'seconds',
  volts: 'volts',
  minutes: 'seconds',
  hours: 'seconds',
  days: 'seconds',
  weeks: 'seconds',
  kelvins: 'kelvin',
  fahrenheit: 'celsius',
  rankine: 'celsius',
  inches: 'meters',
  yards: 'meters',
  miles: 'meters',
  bits: 'bytes',
  calories: 'joules',
  pounds: 'grams',
  ounces: 'grams',
};
const PREFIXES = ['pico', 'nano', 'micro', 'milli', 'centi', 'deci', 'deca', 'hecto', 'kilo', 'kibi'].concat([
  'mega',
  'mebi',
  'mibi',
  'giga',
  'gibi',
  'tera',
  'tebi',
  'peta',
  'pebi',
]);
// promlint's list of discouraged abbreviations (a name token equal to one of them).
const ABBREVIATIONS = new Set([
  's',
  'ms',
  'us',
  'ns',
  'sec',
  'b',
  'kb',
  'mb',
  'gb',
  'tb',
  'pb',
  'm',
  'h',
  'd',
]);
const TYPES_IN_NAME = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SNAKE = /^[a-z_][a-z0-9_]*$/;

interface Family {
  name: string;
  type?: string;
  help?: string;
  labels: Set<string>;
}

/** Parse the families (HELP, TYPE, label names) of a text exposition. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const fam = (name: string): Family => {
    let f = out.get(name);
    if (!f) out.set(name, (f = { name, labels: new Set() }));
    return f;
  };
  const typed = new Map<string, Family>();
  for (const line of text.split('\n')) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const f = fam(meta[2]!);
      if (meta[1] === 'HELP') f.help = meta[3] ?? '';
      else {
        f.type = meta[3];
        typed.set(f.name, f);
      }
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s/.exec(line);
    if (!sample) continue;
    const name = sample[1]!;
    // A histogram's or summary's samples carry suffixes of the family name.
    const base = typed.has(name) ? name : name.replace(/_(bucket|count|sum)$/, '');
    const f = typed.get(base) ?? fam(name);
    for (const m of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) f.labels.add(m[1]!);
  }
  return out;
}

function unitProblem(name: string): string | undefined {
  for (const token of name.split('_')) {
    if (ABBREVIATIONS.has(token)) return `"${token}" is an abbreviation: write the unit out`;
    const base = UNITS[token];
    if (base !== undefined)
      return base === token ? undefined : `use base unit "${base}" instead of "${token}"`;
    for (const p of PREFIXES)
      if (token.startsWith(p) && UNITS[token.slice(p.length)] !== undefined)
        return `use base unit "${UNITS[token.slice(p.length)]}" instead of "${token}"`;
  }
  return undefined;
}

/** Problems promtool would report for this exposition (empty when clean). */
export function lintMetrics(text: string): LintProblem[] {
  const problems: LintProblem[] = [];
  const add = (metric: string, t: string): void => void problems.push({ metric, text: t });
  for (const f of families(text).values()) {
    const n = f.name;
    const type = f.type ?? 'untyped';
    if (f.help === undefined || f.help === '') add(n, 'no help text');
    if (!SNAKE.test(n)) add(n, 'metric names are snake_case without colons');
    for (const l of f.labels) if (!SNAKE.test(l)) add(n, `label "${l}" is not snake_case`);
    if (type === 'counter' && !n.endsWith('_total')) add(n, 'counter metrics should have "_total" suffix');
    if (type !== 'counter' && n.endsWith('_total'))
      add(n, 'non-counter metrics should not have "_total" suffix');
    if (type !== 'histogram' && type !== 'summary') {
      if (/_(count|sum|bucket)$/.test(n))
        add(n, 'non-histogram and non-summary metrics should not have a reserved suffix');
      if (f.labels.has('le')) add(n, 'non-histogram metrics should not have "le" label');
      if (f.labels.has('quantile')) add(n, 'non-summary metrics should not have "quantile" label');
    }
    for (const token of n.split('_'))
      if (TYPES_IN_NAME.has(token)) add(n, `metric name should not include type "${token}"`);
    const unit = unitProblem(n);
    if (unit) add(n, unit);
  }
  return problems;
}
