import { test } from 'node:test';
import assert from 'node:assert/strict';
import { piecePriorities } from '../../src/policy/file-priorities.js';

// Files by piece span: file 0 is pieces 0-2, file 1 pieces 2-4 (piece 2 shared), file 2 piece 4-5 (piece 4 shared), file 3 empty.
const FILES = [
  { firstPiece: 0, endPiece: 3 },
  { firstPiece: 2, endPiece: 5 },
  { firstPiece: 4, endPiece: 6 },
  { firstPiece: 5, endPiece: 5 },
];

test('piece priorities: each piece takes the highest of its wanted files', () => {
  assert.deepEqual([...piecePriorities(6, FILES, [true, true, true, true], [-1, 1, 0, 0])!], [-1, -1, 1, 1, 1, 0]);
  assert.deepEqual([...piecePriorities(6, FILES, [true, true, true, true], [1, -1, -1, 1])!], [1, 1, 1, -1, -1, -1], 'an empty file touches no piece');
});

test('piece priorities: unwanted files do not count; pieces of unwanted files only stay normal', () => {
  assert.deepEqual([...piecePriorities(6, FILES, [true, false, true, true], [-1, 1, -1, 0])!], [-1, -1, -1, 0, -1, -1]);
});

test('piece priorities: nothing to steer when every wanted file is normal', () => {
  assert.equal(piecePriorities(6, FILES, [true, true, true, true], [0, 0, 0, 0]), undefined);
  assert.equal(piecePriorities(6, FILES, [true, false, true, true], [0, 1, 0, 0]), undefined, 'only an unwanted file is high');
  assert.equal(piecePriorities(6, FILES, [true, true, true, true], []), undefined);
});
