import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { BrokerHooks } from '../mqtt/index.js';
import {
  allowsPublish,
  allowsSubscribe,
  checkTemplatePattern,
  compileAcl,
  expandPattern,
  isPlatformAnswerTopic,
  patternCoversFilter,
  patternMatchesTopic,
  refusePlatformAnswers,
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

test('platform answer topics: reserved for any thing, own or granted; requests stay with the ACL', () => {
  const cases: [string, boolean][] = [
    ['$aws/things/sc-1/shadow/update/accepted', true],
    ['$aws/things/sc-1/shadow/update/rejected', true],
    ['$aws/things/sc-1/shadow/update/delta', true],
    ['$aws/things/sc-1/shadow/update/documents', true],
    ['$aws/things/sc-1/shadow/get/accepted', true],
    ['$aws/things/sc-1/shadow/delete/rejected', true],
    ['$aws/things/sc-1/shadow/name/cfg/update/delta', true],
    ['$aws/things/sc-1/shadow/name/cfg/get/accepted', true],
    ['$aws/things/sc-1/jobs/notify', true],
    ['$aws/things/sc-1/jobs/notify-next', true],
    ['$aws/things/sc-1/jobs/get/accepted', true],
    ['$aws/things/sc-1/jobs/job-7/update/rejected', true],
    ['$fleet/devices/sc-1/service-state', true],
    ['$fleet', true],
    // Requests a device (or a client the ACL grants the thing) publishes.
    ['$aws/things/sc-1/shadow/update', false],
    ['$aws/things/sc-1/shadow/get', false],
    ['$aws/things/sc-1/shadow/delete', false],
    ['$aws/things/sc-1/shadow/name/delta/update', false], // a shadow named "delta"
    ['$aws/things/sc-1/jobs/get', false],
    ['$aws/things/sc-1/jobs/start-next', false],
    ['$aws/things/sc-1/jobs/job-7/update', false],
    ['devices/sc-1/accepted', false],
    ['$fleetx/a', false],
  ];
  for (const [topic, reserved] of cases) assert.equal(isPlatformAnswerTopic(topic), reserved, topic);
  // Not even a template that grants everything under $aws or $fleet opens them.
  const acl = compileAcl({ publish: ['$aws/#', '$fleet/#', '#'], subscribe: [] }, dev);
  assert.equal(
    allowsPublish(acl, '$aws/things/sc-2/shadow/update'),
    true,
    'granted request for another thing',
  );
  assert.equal(allowsPublish(acl, '$aws/things/sc-2/shadow/update/accepted'), false);
  assert.equal(allowsPublish(acl, '$fleet/devices/sc-2/service-state'), false);
});

test('refusePlatformAnswers also covers clients whose ACL is "everything" (anonymous access)', () => {
  const allowAll: Pick<BrokerHooks, 'authorizePublish' | 'authorizeSubscribe'> = {
    authorizePublish: () => true,
    authorizeSubscribe: () => true,
  };
  const hooks = refusePlatformAnswers(allowAll);
  const client = {
    clientId: 'x',
    remoteAddress: '',
    protocolVersion: 5 as const,
    keepalive: 0,
    cleanStart: true,
    transport: 'tcp' as const,
  };
  assert.equal(hooks.authorizePublish(client, '$aws/things/y/shadow/update/delta'), false);
  assert.equal(hooks.authorizePublish(client, '$aws/things/y/shadow/update'), true);
  assert.equal(
    hooks.authorizeSubscribe(client, '$aws/things/y/shadow/update/delta'),
    true,
    'subscribing stays allowed',
  );
});
