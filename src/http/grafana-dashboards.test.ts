/**
 * The Grafana dashboards in deploy/grafana/ stay true to /metrics: each file parses, each panel
 * has a query, every metric a query names is one a running cluster node exports (histogram
 * series by their family), and every query is valid PromQL (`promtool check rules` on them as
 * recording rules, Grafana's variables replaced).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestPlatform } from '../test-support/platform.js';
import { freshPgSchema, NATS_URL, PG_URL, requireNats, requirePostgres } from '../test-support/services.js';

const DIR = join(import.meta.dirname, '..', '..', 'deploy', 'grafana');

interface Panel {
  title: string;
  type: string;
  targets?: { expr?: string }[];
}

function dashboards(): { file: string; title: string; panels: Panel[] }[] {
  const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));
  assert.ok(files.length >= 4, 'fleet health, broker, SLOs and per-node dashboards');
  return files.map((file) => {
    const d = JSON.parse(readFileSync(join(DIR, file), 'utf8')) as { title: string; panels: Panel[] };
    return { file, title: d.title, panels: d.panels };
  });
}

/** Metric names in a query (label values and Grafana variables are not names). */
function metricsIn(expr: string): string[] {
  const bare = expr.replace(/"[^"]*"/g, '""');
  return [...bare.matchAll(/\btsunagu_[a-z0-9_]+/g)].map((m) => m[0]);
}

test('every dashboard panel queries metrics the platform exports', async (t) => {
  if (!(await requirePostgres(t)) || !(await requireNats(t))) return;
  // A cluster node on PostgreSQL exports the store pool and cluster families the dashboards use…
  const schema = await freshPgSchema('dash');
  t.after(() => schema.drop());
  const p = await startTestPlatform(
    { database: `${PG_URL}?schema=${schema.schema}`, nodeId: 'dash-node' },
    { cluster: { natsUrl: NATS_URL, subject: `tsunagu.test.${randomBytes(4).toString('hex')}` } },
  );
  t.after(() => p.close());
  // …and a single node on SQLite the SQLite ones.
  const single = await startTestPlatform();
  t.after(() => single.close());
  let text = '';
  for (const node of [p, single]) text += await (await fetch(`${node.httpUrl}/metrics`)).text();
  const families = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const exported = (name: string): boolean => {
    if (families.has(name)) return true;
    const base = name.replace(/_(bucket|count|sum)$/, '');
    return base !== name && ['histogram', 'summary'].includes(families.get(base) ?? '');
  };

  const titles = new Set<string>();
  for (const d of dashboards()) {
    assert.ok(!titles.has(d.title), `${d.file}: title unique`);
    titles.add(d.title);
    assert.ok(d.panels.length > 0, `${d.file}: has panels`);
    for (const panel of d.panels) {
      const exprs = (panel.targets ?? []).map((x) => x.expr ?? '');
      assert.ok(exprs.length > 0 && exprs.every((e) => e !== ''), `${d.file} "${panel.title}": has queries`);
      for (const expr of exprs) {
        const names = metricsIn(expr);
        assert.ok(names.length > 0, `${d.file} "${panel.title}": ${expr} names a tsunagu metric`);
        for (const n of names) assert.ok(exported(n), `${d.file} "${panel.title}": ${n} is not exported`);
      }
    }
  }
});

test('every dashboard query is valid PromQL (promtool)', (t) => {
  if (spawnSync('promtool', ['--version']).status !== 0) {
    if (process.env.CI === 'true') throw new Error('promtool missing (apt-get install prometheus)');
    t.skip('promtool not installed (Debian: apt-get install prometheus)');
    return;
  }
  const rules: string[] = [];
  for (const d of dashboards())
    for (const panel of d.panels)
      for (const { expr } of panel.targets ?? [])
        rules.push(
          `      - record: dashboard:q${rules.length}\n        expr: ${JSON.stringify(
            expr!.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*'),
          )}`,
        );
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-dash-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yml');
  writeFileSync(file, `groups:\n  - name: dashboards\n    rules:\n${rules.join('\n')}\n`);
  const run = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
  assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
});
