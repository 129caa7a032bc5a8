import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { ClientInfo } from './api.js';
import { AclParseError, createAclFileHooks, parseAclFile } from './acl-file.js';

const client = (clientId: string, username?: string): ClientInfo => ({
  clientId,
  ...(username ? { username } : {}),
  remoteAddress: '127.0.0.1',
  protocolVersion: 4,
  keepalive: 0,
  cleanStart: true,
  transport: 'tcp',
});

const ACL = `
# everyone may read public topics
topic read public/#

user alice
topic readwrite alice/#
deny write alice/readonly

user bob
topic write bob/out

pattern readwrite devices/%c/#
pattern read users/%u/inbox
pattern deny write devices/%c/locked
`;

describe('ACL file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tsunagu-acl-'));
  const file = join(dir, 'acl');
  writeFileSync(file, ACL);
  const hooks = createAclFileHooks(file);
  rmSync(dir, { recursive: true, force: true });
  const pub = (c: ClientInfo, t: string): boolean => hooks.authorizePublish(c, t) as boolean;
  const sub = (c: ClientInfo, f: string): boolean => hooks.authorizeSubscribe(c, f) as boolean;

  test('topic rules before any user apply to everyone; user rules to that user only', () => {
    assert.equal(sub(client('x'), 'public/news'), true);
    assert.equal(sub(client('x'), 'public/#'), true);
    assert.equal(pub(client('x'), 'public/news'), false, 'read does not allow write');
    assert.equal(pub(client('c1', 'alice'), 'alice/a'), true);
    assert.equal(pub(client('c1', 'bob'), 'alice/a'), false);
    assert.equal(pub(client('c1', 'bob'), 'bob/out'), true);
    assert.equal(sub(client('c1', 'bob'), 'bob/out'), false);
  });

  test('deny lines win over allows', () => {
    assert.equal(pub(client('c1', 'alice'), 'alice/readonly'), false);
    assert.equal(sub(client('c1', 'alice'), 'alice/readonly'), true);
    assert.equal(pub(client('dev1'), 'devices/dev1/locked'), false);
  });

  test('patterns substitute %c and %u; wildcards in ids do not widen rules', () => {
    assert.equal(pub(client('dev1'), 'devices/dev1/telemetry'), true);
    assert.equal(pub(client('dev1'), 'devices/dev2/telemetry'), false);
    assert.equal(sub(client('dev1'), 'devices/dev1/#'), true);
    assert.equal(sub(client('dev1'), 'devices/+/#'), false, 'a wider filter than the rule is refused');
    assert.equal(sub(client('c', 'carol'), 'users/carol/inbox'), true);
    assert.equal(sub(client('c'), 'users//inbox'), false, 'no user name: %u rules do not apply');
    assert.equal(pub(client('+'), 'devices/x/y'), false);
    assert.equal(sub(client('dev1'), '$share/g/devices/dev1/#'), true);
  });

  test('parse errors name the line', () => {
    assert.throws(
      () => parseAclFile('user a\ntopic'),
      (e: unknown) => e instanceof AclParseError && e.line === 2,
    );
    assert.throws(() => parseAclFile('bogus'), /line 1/);
    assert.throws(() => parseAclFile('\n\ndeny sideways x'), /line 3/);
  });
});
