import assert from 'node:assert/strict';
import { test } from 'node:test';
import { type BlockRecord, SmartBan, blockDigests } from '../../src/policy/smart-ban.js';

/** Block-level blame: the pure comparison of remembered blocks with the verified piece. */

const good = [Buffer.from('block zero'), Buffer.from('block one'), Buffer.from('block two')];
const bad = Buffer.from('not block one');
const [d0, d1, d2] = blockDigests(good) as [Buffer, Buffer, Buffer];
const [dBad] = blockDigests([bad]) as [Buffer];

const record = (peer: string, digest: Buffer): BlockRecord => ({ peer, address: `${peer}.example:6881`, digest });

test('the peer whose block differs from the verified one is guilty; the others are cleared', () => {
  const ban = new SmartBan();
  ban.pieceFailed(7, [record('honest', d0), record('liar', dBad), record('honest', d2)]);
  assert.ok(ban.has(7));
  assert.equal(ban.blockCount, 3);
  const verdict = ban.pieceVerified(7, [d0, d1, d2]);
  assert.deepEqual(verdict.guilty, [{ peer: 'liar', address: 'liar.example:6881', block: 1 }]);
  assert.deepEqual(verdict.cleared, [{ peer: 'honest', failures: 1 }]);
  assert.equal(ban.has(7), false, 'forgotten once judged');
  assert.equal(ban.blockCount, 0);
});

test('a piece never seen failing gives an empty verdict', () => {
  const ban = new SmartBan();
  assert.deepEqual(ban.pieceVerified(3, [d0]), { guilty: [], cleared: [] });
});

test('every failed attempt is judged: a peer cleared per attempt, never cleared once guilty anywhere', () => {
  const ban = new SmartBan();
  ban.pieceFailed(1, [record('a', d0), record('b', dBad), record('a', d2)]);
  ban.pieceFailed(1, [record('b', d0), record('a', d1), record('c', dBad)]);
  const verdict = ban.pieceVerified(1, [d0, d1, d2]);
  assert.deepEqual(
    verdict.guilty.map((g) => [g.peer, g.block]),
    [
      ['b', 1],
      ['c', 2],
    ],
  );
  // b matched in the second attempt but lied in the first: guilty, not cleared.
  assert.deepEqual(verdict.cleared, [{ peer: 'a', failures: 2 }]);
});

test('blocks whose sender is unknown, or with no verified block to compare, are no evidence', () => {
  const ban = new SmartBan();
  ban.pieceFailed(2, [undefined, record('x', dBad), record('y', d2)]);
  assert.equal(ban.blockCount, 2);
  // None of the verified piece's blocks is known.
  const verdict = ban.pieceVerified(2, []);
  assert.deepEqual(verdict, { guilty: [], cleared: [] });
  // Block 2 compared and matched (y cleared); block 1 has nothing to compare with (x neither).
  ban.pieceFailed(2, [undefined, record('x', dBad), record('y', d2)]);
  assert.deepEqual(ban.pieceVerified(2, [d0, undefined, d2] as Buffer[]), { guilty: [], cleared: [{ peer: 'y', failures: 1 }] });
  ban.pieceFailed(4, [undefined, undefined]);
  assert.equal(ban.has(4), false, 'nothing known, nothing kept');
});

test('memory is bounded: the pieces that failed longest ago are forgotten first', () => {
  const ban = new SmartBan({ maxBlocks: 6 });
  ban.pieceFailed(1, [record('a', d0), record('a', d1)]);
  ban.pieceFailed(2, [record('a', d0), record('a', d1)]);
  ban.pieceFailed(3, [record('a', d0), record('a', d1)]);
  assert.equal(ban.blockCount, 6);
  ban.pieceFailed(1, [record('b', d0)]); // piece 1 failed again: now the newest
  assert.ok(ban.blockCount <= 6);
  assert.equal(ban.has(2), false, 'the oldest piece went');
  assert.ok(ban.has(1) && ban.has(3));
  // A piece bigger than the whole budget is not remembered, and evicts nothing.
  ban.pieceFailed(9, Array.from({ length: 7 }, () => record('z', d0)));
  assert.equal(ban.has(9), false);
  assert.ok(ban.has(1) && ban.has(3));
});

test('attempts per piece are capped: the oldest attempt of a piece is dropped', () => {
  const ban = new SmartBan({ maxAttemptsPerPiece: 2 });
  ban.pieceFailed(5, [record('first', dBad)]);
  ban.pieceFailed(5, [record('second', d0)]);
  ban.pieceFailed(5, [record('third', d0)]);
  assert.equal(ban.blockCount, 2);
  const verdict = ban.pieceVerified(5, [d0]);
  assert.deepEqual(verdict.guilty, [], 'the first attempt was forgotten');
  assert.deepEqual(
    verdict.cleared.map((c) => c.peer),
    ['second', 'third'],
  );
  assert.equal(ban.blockCount, 0);
});
