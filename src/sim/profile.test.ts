import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parse as parseYaml, stringify } from 'yaml';
import { TsunaguError } from '../core/errors.js';
import { BUILTIN_PROFILES } from './builtin-profiles.js';
import { loadProfile, parseProfile, validateProfile } from './profile.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests mutate arbitrary paths of a parsed document
type Doc = Record<string, any>;

const scooterDoc = (): Doc => parseYaml(BUILTIN_PROFILES.scooter!);

function invalid(mutate: (doc: Doc) => void): TsunaguError {
  const doc = scooterDoc();
  mutate(doc);
  try {
    validateProfile(doc, 'test.yaml');
  } catch (err) {
    assert.ok(err instanceof TsunaguError, `expected a TsunaguError, got ${String(err)}`);
    return err;
  }
  assert.fail('profile was accepted');
}

describe('profiles', () => {
  test('the built-in profiles validate', () => {
    const s = loadProfile('scooter');
    assert.equal(s.kind, 'scooter');
    assert.equal(s.heartbeat.intervalS, 30);
    assert.ok(s.scooter && s.scooter.route.length >= 2);
    assert.ok(s.telegram.share > 0);
    const b = loadProfile('boiler');
    assert.equal(b.kind, 'boiler');
    assert.equal(b.telemetry.intervalS, 60);
    assert.equal(b.boiler?.setpoints.initial.flowTempSetpoint, 65);
  });

  const cases: [string, (d: Doc) => void, string][] = [
    ['missing heartbeat interval', (d) => delete d.heartbeat.intervalS, 'heartbeat.intervalS'],
    ['failure rate above 1', (d) => (d.commands.failureRate = 2), 'commands.failureRate'],
    ['unknown top-level field', (d) => (d.colour = 'red'), 'colour'],
    ['unknown nested field', (d) => (d.faults.meteorPerHour = 1), 'faults.meteorPerHour'],
    ['bad distribution', (d) => (d.commands.latency = { dist: 'gamma' }), 'commands.latency.dist'],
    [
      'p99 below p50',
      (d) => (d.commands.latency = { dist: 'lognormal', p50Ms: 100, p99Ms: 10 }),
      'commands.latency.p99Ms',
    ],
    ['route with one point', (d) => (d.scooter.route = [[52, 13]]), 'scooter.route'],
    ['latitude out of range', (d) => (d.scooter.route[1] = [95, 13]), 'scooter.route[1][0]'],
    ['inverted range', (d) => (d.scooter.speedKmh = [30, 10]), 'scooter.speedKmh'],
    ['bad severity', (d) => (d.events.codes[0].severity = 'doom'), 'events.codes[0].severity'],
    ['non-integer burst size', (d) => (d.faults.burstSize = 2.5), 'faults.burstSize'],
    ['unknown checksum', (d) => (d.telegram.checksum = 'md5'), 'telegram.checksum'],
    ['wrong kind section', (d) => (d.boiler = {}), 'boiler'],
    ['string where a number belongs', (d) => (d.telemetry.intervalS = '10s'), 'telemetry.intervalS'],
  ];
  for (const [name, mutate, field] of cases)
    test(`rejects ${name}, naming ${field}`, () => {
      const err = invalid(mutate);
      assert.equal(err.code, 'SIM_PROFILE_INVALID');
      assert.equal(err.field, field);
      assert.match(err.message, /^profile test\.yaml: /);
      assert.ok(err.message.includes(field), err.message);
    });

  test('a file may extend a built-in and override fields', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sim-profile-'));
    try {
      const file = join(dir, 'fast-scooter.yaml');
      writeFileSync(
        file,
        stringify({
          extends: 'scooter',
          name: 'fast',
          heartbeat: { intervalS: 5 },
          faults: { dropPerHour: 3 },
        }),
      );
      const p = loadProfile(file);
      assert.equal(p.name, 'fast');
      assert.equal(p.heartbeat.intervalS, 5);
      assert.equal(p.faults.dropPerHour, 3);
      assert.equal(p.faults.burstSize, 5, 'untouched fields come from the built-in');
      assert.equal(p.telemetry.intervalS, 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('unknown base, broken YAML and missing files fail clearly', () => {
    assert.throws(
      () => parseProfile('extends: tractor\nname: x', 'x.yaml'),
      /x\.yaml: extends: must name a built-in profile/,
    );
    assert.throws(() => parseProfile('name: [unclosed', 'y.yaml'), /profile y\.yaml: \(yaml\)/);
    assert.throws(() => loadProfile('/nonexistent/profile.yaml'), /neither a built-in/);
  });
});
