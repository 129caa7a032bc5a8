import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AddressTable } from './addresses.js';

test('an address is held once, whatever string it came in; the table is bounded', () => {
  const t = new AddressTable(3);
  const a = ['10.0.0', '1'].join('.');
  assert.equal(t.share(a), '10.0.0.1');
  assert.equal(t.share(['10.0', '0.1'].join('.')), '10.0.0.1');
  assert.equal(t.size, 1);
  t.share('10.0.0.2');
  t.share('10.0.0.3');
  assert.equal(t.size, 3);
  assert.equal(t.share('10.0.0.4'), '10.0.0.4');
  assert.equal(t.size, 1, 'full: started over');
});
