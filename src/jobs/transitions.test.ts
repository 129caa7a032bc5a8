import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canTransition } from './transitions.js';
import { EXECUTION_STATUSES, type ExecutionStatus } from './types.js';

/** The whole table, spelled out: [from, to, device may, platform may, platform with force may]. */
const TABLE: [ExecutionStatus, ExecutionStatus, boolean, boolean, boolean][] = [
  ['QUEUED', 'IN_PROGRESS', true, false, false],
  ['QUEUED', 'SUCCEEDED', true, false, false],
  ['QUEUED', 'FAILED', true, false, false],
  ['QUEUED', 'REJECTED', true, false, false],
  ['QUEUED', 'TIMED_OUT', false, false, false],
  ['QUEUED', 'CANCELED', false, true, true],
  ['QUEUED', 'REMOVED', false, true, true],
  ['QUEUED', 'QUEUED', false, false, false],
  ['IN_PROGRESS', 'IN_PROGRESS', true, false, false],
  ['IN_PROGRESS', 'SUCCEEDED', true, false, false],
  ['IN_PROGRESS', 'FAILED', true, false, false],
  ['IN_PROGRESS', 'REJECTED', true, false, false],
  ['IN_PROGRESS', 'TIMED_OUT', false, true, true],
  ['IN_PROGRESS', 'CANCELED', false, false, true],
  ['IN_PROGRESS', 'REMOVED', false, true, true],
  ['IN_PROGRESS', 'QUEUED', false, false, false],
];

test('pending executions: every transition as AWS IoT Jobs allows it', () => {
  for (const [from, to, device, platform, forced] of TABLE) {
    assert.equal(canTransition(from, to, 'device'), device, `device ${from}→${to}`);
    assert.equal(canTransition(from, to, 'platform'), platform, `platform ${from}→${to}`);
    assert.equal(canTransition(from, to, 'platform', true), forced, `forced ${from}→${to}`);
  }
});

test('nothing leaves a terminal state, whoever asks', () => {
  const terminal = EXECUTION_STATUSES.filter((s) => s !== 'QUEUED' && s !== 'IN_PROGRESS');
  assert.equal(terminal.length, 6);
  for (const from of terminal)
    for (const to of EXECUTION_STATUSES) {
      assert.equal(canTransition(from, to, 'device'), false, `${from}→${to}`);
      assert.equal(canTransition(from, to, 'platform', true), false, `${from}→${to}`);
    }
});
