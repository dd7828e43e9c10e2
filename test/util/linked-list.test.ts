import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LinkedList, listNode } from '../../src/util/linked-list.js';

test('a removed node is appended again at the end, in any list, and keeps its value', () => {
  const a = new LinkedList<string>();
  const b = new LinkedList<string>();
  const x = a.push('x');
  const y = a.push('y');
  a.remove(x);
  assert.equal(a.append(x), x);
  assert.equal(a.first(), 'y');
  a.remove(y);
  assert.equal(a.first(), 'x');
  a.remove(x);
  assert.equal(a.size, 0);
  assert.equal(a.first(), undefined);
  b.append(x);
  assert.equal(b.size, 1);
  assert.equal(b.first(), 'x');
});

test('a node still in a list is refused, so no list is corrupted', () => {
  const a = new LinkedList<number>();
  const node = a.append(listNode(1));
  assert.throws(() => a.append(node), /already in a list/);
  assert.throws(() => new LinkedList<number>().append(node), /already in a list/);
  assert.equal(a.size, 1);
});
