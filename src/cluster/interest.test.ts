import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InterestTable, splitKey } from './interest.js';

const members = (t: InterestTable, topic: string): string[] => [...t.match(topic).members].sort();

test('interest: wildcards, $ topics, shared keys, replace and drop', () => {
  const t = new InterestTable();
  t.add('n1', 'a/+/c');
  t.add('n2', 'a/#');
  t.add('n3', '#');
  t.add('n3', '$SYS/x');
  t.add('n1', '$share/g/a/b/c');
  t.add('n2', '$share/g/a/b/c');
  t.add('n2', '$share/h/z');
  assert.deepEqual(members(t, 'a/b/c'), ['n1', 'n2', 'n3']);
  assert.deepEqual(members(t, 'a'), ['n2', 'n3'], 'a/# matches its parent level');
  assert.deepEqual(members(t, 'a/b'), ['n2', 'n3']);
  assert.deepEqual(members(t, '$SYS/x'), ['n3'], 'no leading wildcard on $ topics');
  assert.deepEqual(members(t, '$SYS/y'), []);
  assert.deepEqual([...t.match('a/b/c').shared], [['$share/g/a/b/c', ['n1', 'n2']]]);
  assert.equal(t.match('z').shared.get('$share/h/z')?.join(), 'n2');

  t.remove('n1', 'a/+/c');
  assert.deepEqual(members(t, 'a/b/c'), ['n2', 'n3']);
  t.replace('n2', ['q']);
  assert.deepEqual(members(t, 'a/b/c'), ['n3']);
  assert.deepEqual([...t.match('a/b/c').shared], [['$share/g/a/b/c', ['n1']]]);
  assert.deepEqual(members(t, 'q'), ['n2', 'n3']);
  t.drop('n3');
  assert.deepEqual(members(t, 'q'), ['n2']);
  assert.deepEqual(t.members().sort(), ['n1', 'n2']);
  assert.equal(t.size, 2);
  t.replace('n2', []);
  assert.deepEqual(t.members().sort(), ['n1', 'n2'], 'a member with no filters is still known');
  assert.deepEqual(splitKey('$share/g/x/#'), { filter: 'x/#', shared: true });
});
