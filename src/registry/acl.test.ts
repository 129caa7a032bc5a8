import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  allowsPublish,
  allowsSubscribe,
  checkTemplatePattern,
  compileAcl,
  expandPattern,
  patternCoversFilter,
  patternMatchesTopic,
} from './acl.js';

const dev = { id: 'sc-1', model: 'scooter', tags: ['site=osaka', 'fleet:blue', 'bad=a/b'] };

test('default ACL: own devices/{id}/# and $aws/things/{id}/# only', () => {
  const acl = compileAcl(undefined, dev);
  const cases: [string, boolean][] = [
    ['devices/sc-1/telemetry', true],
    ['devices/sc-1', true], // "#" includes the parent level [MQTT-4.7.1-2]
    ['devices/sc-2/telemetry', false],
    ['$aws/things/sc-1/shadow/update', true],
    ['$aws/things/sc-2/shadow/update', false],
    ['other/topic', false],
  ];
  for (const [topic, ok] of cases) assert.equal(allowsPublish(acl, topic), ok, topic);
  assert.equal(allowsSubscribe(acl, 'devices/sc-1/commands/+'), true);
  assert.equal(allowsSubscribe(acl, 'devices/+/commands'), false, 'a wildcard over other devices is refused');
  assert.equal(allowsSubscribe(acl, '#'), false);
  assert.equal(
    allowsSubscribe(acl, '$share/g/devices/sc-1/#'),
    true,
    'shared subscriptions use the inner filter',
  );
  assert.equal(allowsSubscribe(acl, '$share/g/devices/sc-2/#'), false);
});

test('template variables: deviceId, model, tag:NAME (name=value or name:value); missing or unsafe values drop the pattern', () => {
  assert.equal(expandPattern('m/${model}/${deviceId}', dev), 'm/scooter/sc-1');
  assert.equal(expandPattern('site/${tag:site}/#', dev), 'site/osaka/#');
  assert.equal(expandPattern('fleet/${tag:fleet}', dev), 'fleet/blue');
  assert.equal(expandPattern('x/${tag:missing}', dev), undefined);
  assert.equal(expandPattern('x/${tag:bad}', dev), undefined, 'a "/" in a tag value cannot widen the ACL');
  assert.equal(expandPattern('x/${model}', { ...dev, model: null }), undefined);
  const acl = compileAcl({ publish: ['site/${tag:site}/${deviceId}/#', 'x/${tag:missing}/#'] }, dev);
  assert.equal(allowsPublish(acl, 'site/osaka/sc-1/t'), true);
  assert.equal(allowsPublish(acl, 'devices/sc-1/t'), false, 'a template list replaces the default');
  assert.equal(allowsSubscribe(acl, 'devices/sc-1/t'), true, 'subscribe keeps the default when not given');
});

test('template syntax check names the problem', () => {
  assert.equal(checkTemplatePattern('devices/${deviceId}/#'), undefined);
  assert.match(checkTemplatePattern('a/${nope}') ?? '', /unknown variable/);
  assert.match(checkTemplatePattern('a/#/b') ?? '', /#/);
  assert.match(checkTemplatePattern('a/b+') ?? '', /\+/);
  assert.match(checkTemplatePattern('') ?? '', /empty/);
});

test('filter matching fixtures', () => {
  const m = (p: string, t: string): boolean => patternMatchesTopic(p.split('/'), t.split('/'));
  assert.equal(m('a/+/c', 'a/b/c'), true);
  assert.equal(m('a/#', 'a'), true); // [MQTT-4.7.1-2] "#" includes the parent level
  assert.equal(m('#', '$SYS/x'), false); // [MQTT-4.7.2-1]
  assert.equal(m('+/x', '$aws/x'), false);
  assert.equal(m('a/+', 'a/b/c'), false);
  const c = (p: string, f: string): boolean => patternCoversFilter(p.split('/'), f.split('/'));
  assert.equal(c('a/#', 'a/+/c'), true);
  assert.equal(c('a/+/c', 'a/#'), false);
  assert.equal(c('a/+', 'a/+'), true);
  assert.equal(c('a/b', 'a/+'), false);
  assert.equal(c('#', '$SYS/#'), false);
});

test('property: a covered filter only matches topics the pattern matches', () => {
  const level = fc.constantFrom('a', 'b', '+');
  const filter = fc
    .tuple(fc.array(level, { minLength: 1, maxLength: 4 }), fc.boolean())
    .map(([ls, hash]) => (hash ? [...ls, '#'] : ls));
  const topic = fc.array(fc.constantFrom('a', 'b'), { minLength: 1, maxLength: 6 });
  fc.assert(
    fc.property(filter, filter, topic, (pattern, f, t) => {
      if (patternCoversFilter(pattern, f) && patternMatchesTopic(f, t))
        return patternMatchesTopic(pattern, t);
      return true;
    }),
    { numRuns: 2000 },
  );
});
