import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BlockLayout } from '../../src/policy/blocks.js';
import { PiecePicker, type BlockRequest } from '../../src/policy/piece-picker.js';
import { BLOCK, bitfield, pick, pickerFromAvailability, piecesOf, receiveAll, scriptedRng, seededRng } from './picker-helpers.js';

const KIB16 = 16384;

// ---- block math ----

test('block math: full pieces, short last piece, short last block', () => {
  const layout = new BlockLayout({ pieceCount: 3, pieceLength: 2 * KIB16, totalLength: 4 * KIB16 + 20000 });
  assert.equal(layout.blocksPerPiece, 2);
  assert.deepEqual([0, 1, 2].map((p) => layout.pieceSize(p)), [32768, 32768, 20000]);
  assert.deepEqual([0, 1, 2].map((p) => layout.blockCount(p)), [2, 2, 2]);
  assert.equal(layout.blockLength(0, 1), KIB16);
  assert.equal(layout.blockLength(2, 0), KIB16);
  assert.equal(layout.blockLength(2, 1), 20000 - KIB16);
  assert.throws(() => layout.blockLength(2, 2), RangeError);
  assert.throws(() => layout.blockCount(3), RangeError);
  assert.deepEqual(layout.request(2, 1), { index: 2, begin: KIB16, length: 3616 });
});

test('block math: last piece with fewer blocks, pieces not a multiple of the block size, tiny pieces', () => {
  const fewer = new BlockLayout({ pieceCount: 2, pieceLength: 4 * KIB16, totalLength: 4 * KIB16 + 100 });
  assert.deepEqual([fewer.blockCount(0), fewer.blockCount(1), fewer.blockLength(1, 0)], [4, 1, 100]);
  const odd = new BlockLayout({ pieceCount: 2, pieceLength: 20000, totalLength: 40000 });
  assert.deepEqual([odd.blockCount(0), odd.blockLength(0, 0), odd.blockLength(0, 1), odd.blockLength(1, 1)], [2, KIB16, 3616, 3616]);
  const tiny = new BlockLayout({ pieceCount: 3, pieceLength: 8192, totalLength: 8192 * 2 + 1 });
  assert.deepEqual([tiny.blockCount(0), tiny.blockLength(0, 0), tiny.blockLength(2, 0)], [1, 8192, 1]);
  const exact = new BlockLayout({ pieceCount: 2, pieceLength: KIB16, totalLength: 2 * KIB16 });
  assert.equal(exact.pieceSize(1), KIB16);
});

test('block math: blockOf accepts exactly our blocks', () => {
  const layout = new BlockLayout({ pieceCount: 2, pieceLength: 2 * KIB16, totalLength: 3 * KIB16 - 5 });
  assert.equal(layout.blockOf({ index: 0, begin: KIB16, length: KIB16 }), 1);
  assert.equal(layout.blockOf({ index: 1, begin: 0, length: KIB16 - 5 }), 0);
  for (const bad of [
    { index: 1, begin: 0, length: KIB16 }, // too long for the short last block
    { index: 0, begin: 1, length: KIB16 }, // misaligned
    { index: 0, begin: 2 * KIB16, length: KIB16 }, // past the piece
    { index: 2, begin: 0, length: KIB16 }, // no such piece
    { index: -1, begin: 0, length: KIB16 },
    { index: 0.5, begin: 0, length: KIB16 },
  ]) {
    assert.equal(layout.blockOf(bad), -1, JSON.stringify(bad));
  }
});

test('block math: inconsistent geometry is refused', () => {
  assert.throws(() => new BlockLayout({ pieceCount: 2, pieceLength: 10, totalLength: 21 }), RangeError);
  assert.throws(() => new BlockLayout({ pieceCount: 1, pieceLength: 0, totalLength: 0 }), RangeError);
  assert.throws(() => new BlockLayout({ pieceCount: 1, pieceLength: 10, totalLength: 10, blockSize: 0 }), RangeError);
  assert.throws(() => new BlockLayout({ pieceCount: 1, pieceLength: 10, totalLength: -1 }), RangeError);
  assert.doesNotThrow(() => new BlockLayout({ pieceCount: 0, pieceLength: 10, totalLength: 0 }));
});

test('picking a whole torrent with a short last piece and block yields every byte exactly once', () => {
  const picker = new PiecePicker({ pieceCount: 3, pieceLength: 2 * KIB16, totalLength: 4 * KIB16 + 20000 });
  assert.equal(picker.blockCount(2), 2);
  assert.equal(picker.blockLength(2, 1), 3616);
  picker.peerHaveAll('seed');
  const reqs = pick(picker, 'seed', 100, { rng: seededRng(1) });
  assert.equal(reqs.length, 6);
  const sorted = [...reqs].sort((a, b) => a.index - b.index || a.begin - b.begin);
  let offset = 0;
  for (const r of sorted) {
    assert.equal(r.index * 2 * KIB16 + r.begin, offset);
    offset += r.length;
  }
  assert.equal(offset, 4 * KIB16 + 20000);
  assert.deepEqual(sorted.at(-1), { index: 2, begin: KIB16, length: 3616 });
});

// ---- rarest first ----

test('rarest first: the rarest pieces go first, ties broken by the rng', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const picker = pickerFromAvailability('2223333');
    picker.peerHaveAll('me');
    const rng = seededRng(seed);
    const first = [1, 2, 3].flatMap(() => piecesOf(pick(picker, 'me', 4, { rng })));
    assert.deepEqual([...first].sort(), [0, 1, 2], `seed ${seed}`);
    const fourth = piecesOf(pick(picker, 'me', 4, { rng }));
    assert.equal(fourth.length, 1);
    assert.ok(fourth[0]! >= 3);
  }
});

test('rarest first: a single rare piece wins whatever the rng says', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const picker = pickerFromAvailability('3313333');
    picker.peerHaveAll('me');
    assert.deepEqual(piecesOf(pick(picker, 'me', 1, { rng: seededRng(seed) })), [2]);
  }
});

test('rarest first: every tied piece can be chosen, depending on the rng', () => {
  const chosen = new Set<number>();
  for (const r of [0, 0.25, 0.5, 0.75]) {
    const picker = pickerFromAvailability('1111');
    picker.peerHaveAll('me');
    chosen.add(pick(picker, 'me', 1, { rng: scriptedRng(r) })[0]!.index);
  }
  assert.deepEqual([...chosen].sort(), [0, 1, 2, 3]);
});

test('rarest first: only pieces the peer has, the rarest of those', () => {
  const picker = pickerFromAvailability('1112333');
  picker.peerBitfield('q', bitfield('0011101'));
  for (let seed = 1; seed <= 10; seed++) {
    const copy = pickerFromAvailability('1112333');
    copy.peerBitfield('q', bitfield('0011101'));
    assert.deepEqual(piecesOf(pick(copy, 'q', 1, { rng: seededRng(seed) })), [2]);
  }
  // Picking on: 2, then 3, then 4 or 6, never a piece q lacks.
  const rng = seededRng(3);
  const order = [1, 2, 3, 4].flatMap(() => piecesOf(pick(picker, 'q', 4, { rng })));
  assert.deepEqual(order.slice(0, 2), [2, 3]);
  assert.deepEqual(order.slice(2).sort(), [4, 6]);
  assert.deepEqual(pick(picker, 'q', 4, { rng }), []);
});

test('rarest first: a peer with few pieces among many (bitfield walk) still gets the rarest of its own', () => {
  // Piece 100 is held by 5 peers, piece 201 by 3, the rest by 9; the peer has 7, 100, 201 and 250.
  const availability = '9'.repeat(100) + '5' + '9'.repeat(100) + '3' + '9'.repeat(97);
  const has = new Array<boolean>(availability.length).fill(false);
  for (const i of [7, 100, 201, 250]) has[i] = true;
  for (let seed = 1; seed <= 5; seed++) {
    const picker = pickerFromAvailability(availability, { blocksPerPiece: 1 });
    picker.peerBitfield('few', bitfield(has));
    const rng = seededRng(seed);
    const got = [1, 2, 3, 4, 5].flatMap(() => piecesOf(pick(picker, 'few', 1, { rng })));
    assert.deepEqual(got.slice(0, 2), [201, 100]);
    assert.deepEqual(got.slice(2).sort(), [250, 7]);
  }
});

test('rarest first: availability follows have messages and departures', () => {
  const picker = pickerFromAvailability('1111');
  picker.peerHave('x', 0);
  picker.peerHave('x', 1);
  picker.peerHave('y', 1);
  picker.peerHave('y', 1); // repeated have: counted once
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2, 3].map((i) => picker.availability(i)), [2, 3, 1, 1]);
  picker.peerGone('y');
  picker.peerGone('nobody');
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2, 3].map((i) => picker.availability(i)), [2, 2, 1, 1]);
  picker.peerHaveAll('me');
  picker.peerHaveAll('you');
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2, 3].map((i) => picker.availability(i)), [4, 4, 3, 3]);
  const first = pick(picker, 'me', 4, { rng: seededRng(9) });
  assert.ok([2, 3].includes(piecesOf(first)[0]!));
  picker.peerGone('you');
  picker.assertInvariants();
  assert.equal(picker.availability(0), 3);
});

// ---- random first pieces ----

test('random first: while fewer than 4 pieces are complete, any piece may come first', () => {
  const none = new Set<number>();
  for (let k = 0; k < 10; k++) {
    const picker = pickerFromAvailability('1999999999', { randomFirstPieces: 4 });
    picker.peerHaveAll('me');
    none.add(pick(picker, 'me', 1, { rng: scriptedRng(k / 10) })[0]!.index);
  }
  assert.equal(none.size, 10, 'the rng reaches every piece, not just the rarest');
  const three = new Set<number>();
  for (let k = 0; k < 10; k++) {
    const picker = pickerFromAvailability('1999999999', { randomFirstPieces: 4, have: '      xxx ' });
    picker.peerHaveAll('me');
    three.add(pick(picker, 'me', 1, { rng: scriptedRng(k / 10) })[0]!.index);
  }
  assert.deepEqual([...three].sort(), [0, 1, 2, 3, 4, 5, 9], 'three pieces in hand: still random');
});

test('random first: with 4 pieces in hand the rarest is always first', () => {
  for (let k = 0; k < 10; k++) {
    const picker = pickerFromAvailability('1999999999', { randomFirstPieces: 4, have: '      xxxx' });
    picker.peerHaveAll('me');
    assert.deepEqual(piecesOf(pick(picker, 'me', 1, { rng: scriptedRng(k / 10) })), [0]);
  }
});

test('random first: a non-seed only gets pieces it has', () => {
  for (let seed = 1; seed <= 20; seed++) {
    const picker = pickerFromAvailability('11111111', { randomFirstPieces: 4 });
    picker.peerBitfield('q', bitfield('01001001'));
    assert.ok([1, 4, 7].includes(pick(picker, 'q', 1, { rng: seededRng(seed) })[0]!.index));
  }
});

// ---- partial pieces first ----

test('partial first: blocks of a started piece come before a rarer new piece', () => {
  const picker = pickerFromAvailability('1222');
  picker.peerHaveAll('a');
  picker.peerHaveAll('b');
  const rng = seededRng(5);
  const a = pick(picker, 'a', 2, { rng });
  assert.deepEqual(a.map((r) => [r.index, r.begin]), [[0, 0], [0, BLOCK]]);
  // Make piece 0 the most common and piece 3 the rarest: b still finishes piece 0 first.
  for (const p of ['c', 'd', 'e']) picker.peerHave(p, 0);
  const b = pick(picker, 'b', 3, { rng });
  assert.deepEqual(b.slice(0, 2).map((r) => [r.index, r.begin]), [[0, 2 * BLOCK], [0, 3 * BLOCK]]);
  assert.notEqual(b[2]!.index, 0);
  assert.equal(picker.state(0), 'partial');
});

test('partial first: a piece with received blocks keeps its place after its requests fail', () => {
  const picker = pickerFromAvailability('1111');
  picker.peerHaveAll('a');
  const reqs = pick(picker, 'a', 4, { rng: seededRng(2) });
  const piece = reqs[0]!.index;
  assert.ok(picker.blockReceived('a', reqs[0]!).accepted);
  assert.ok(picker.blockReceived('a', reqs[1]!).accepted);
  assert.ok(picker.requestFailed('a', reqs[2]!));
  assert.ok(picker.requestFailed('a', reqs[3]!));
  picker.assertInvariants();
  assert.equal(picker.state(piece), 'partial');
  picker.peerHaveAll('b');
  const again = pick(picker, 'b', 2, { rng: seededRng(3) });
  assert.deepEqual(again, [reqs[2], reqs[3]]);
});

// ---- endgame ----

test('endgame: duplicates at one more peer at most, cancels for the losers', () => {
  const picker = pickerFromAvailability('1');
  for (const p of ['a', 'b', 'c']) picker.peerHaveAll(p);
  const rng = seededRng(1);
  const blocks = pick(picker, 'a', 10, { rng });
  assert.equal(blocks.length, 4);
  assert.ok(picker.inEndgame());
  assert.deepEqual(pick(picker, 'a', 10, { rng }), [], 'never a duplicate of its own request');
  assert.deepEqual(pick(picker, 'b', 10, { rng }), blocks, 'b duplicates every block');
  assert.deepEqual(pick(picker, 'c', 10, { rng }), [], 'a block is outstanding at two peers at most');

  assert.deepEqual(picker.blockReceived('a', blocks[0]!), { accepted: true, pieceComplete: false, cancelFrom: ['b'] });
  picker.assertInvariants();
  assert.equal(picker.outstandingCount('b'), 3);
  assert.equal(picker.blockReceived('b', blocks[0]!).accepted, false, 'the duplicate arriving late is not accepted');
  // b drops its duplicate of block 1: c may take the free second slot.
  assert.ok(picker.requestFailed('b', blocks[1]!));
  assert.deepEqual(pick(picker, 'c', 10, { rng }), [blocks[1]]);

  assert.deepEqual(picker.blockReceived('c', blocks[1]!), { accepted: true, pieceComplete: false, cancelFrom: ['a'] });
  assert.deepEqual(picker.blockReceived('b', blocks[2]!), { accepted: true, pieceComplete: false, cancelFrom: ['a'] });
  assert.deepEqual(picker.blockReceived('a', blocks[3]!), { accepted: true, pieceComplete: true, cancelFrom: ['b'] });
  picker.assertInvariants();
  for (const p of ['a', 'b', 'c']) assert.equal(picker.outstandingCount(p), 0);
  assert.equal(picker.state(0), 'verifying');
  picker.pieceVerified(0);
  assert.ok(picker.isComplete());
  assert.equal(picker.inEndgame(), false);
});

test('endgame is strict: no duplicates while any wanted block is still unrequested', () => {
  const picker = new PiecePicker({ pieceCount: 2, pieceLength: 4 * BLOCK, totalLength: 8 * BLOCK, blockSize: BLOCK });
  picker.peerBitfield('a', bitfield('10'));
  picker.peerBitfield('b', bitfield('10'));
  picker.peerBitfield('x', bitfield('01'));
  const rng = seededRng(4);
  assert.equal(pick(picker, 'a', 10, { rng }).length, 4);
  assert.equal(picker.inEndgame(), false);
  assert.deepEqual(pick(picker, 'b', 10, { rng }), [], 'piece 1 is still untouched');
  assert.deepEqual(piecesOf(pick(picker, 'x', 10, { rng })), [1]);
  assert.ok(picker.inEndgame());
  const dup = pick(picker, 'b', 10, { rng });
  assert.deepEqual(piecesOf(dup), [0], 'b duplicates only pieces it has');
  assert.equal(dup.length, 4);
  // A failed request makes a block missing again: endgame is off until it is requested anew.
  assert.ok(picker.requestFailed('x', { index: 1, begin: 0, length: BLOCK }));
  assert.equal(picker.inEndgame(), false);
});

// ---- peers leaving, failed requests ----

test('peerGone releases every request of that peer and its availability', () => {
  const picker = pickerFromAvailability('11');
  picker.peerHaveAll('a');
  picker.peerBitfield('b', bitfield('11'));
  assert.equal(picker.availability(0), 3);
  const reqs = pick(picker, 'a', 8, { rng: seededRng(1) });
  assert.equal(reqs.length, 8);
  picker.peerGone('a');
  picker.assertInvariants();
  assert.equal(picker.availability(0), 2);
  assert.deepEqual([picker.state(0), picker.state(1)], ['untouched', 'untouched']);
  assert.deepEqual(picker.outstanding('a'), []);
  const again = pick(picker, 'b', 8, { rng: seededRng(1) });
  assert.equal(again.length, 8);
  assert.equal(picker.blockReceived('a', reqs[0]!).accepted, false, 'a late block from the departed peer');
});

test('peerGone in endgame leaves the other requester in place', () => {
  const picker = pickerFromAvailability('1', { blocksPerPiece: 2 });
  picker.peerHaveAll('a');
  picker.peerHaveAll('b');
  const blocks = pick(picker, 'a', 2, { rng: seededRng(1) });
  assert.deepEqual(pick(picker, 'b', 2, { rng: seededRng(1) }), blocks);
  picker.peerGone('a');
  picker.assertInvariants();
  assert.equal(picker.state(0), 'partial');
  assert.deepEqual(picker.outstanding('b'), blocks);
  assert.deepEqual(picker.blockReceived('b', blocks[0]!).cancelFrom, []);
});

test('requestFailed puts the block back; a piece left with nothing is untouched again', () => {
  const picker = pickerFromAvailability('1');
  picker.peerHaveAll('a');
  const [r0, r1] = pick(picker, 'a', 2, { rng: seededRng(1) });
  assert.ok(picker.requestFailed('a', r0!));
  assert.equal(picker.requestFailed('a', r0!), false, 'not outstanding any more');
  assert.equal(picker.requestFailed('b', r1!), false, 'not requested from b');
  assert.equal(picker.state(0), 'partial');
  assert.equal(picker.releaseRequests('a'), 1);
  picker.assertInvariants();
  assert.equal(picker.state(0), 'untouched');
  assert.deepEqual(pick(picker, 'a', 1, { rng: seededRng(1) }), [r0]);
});

// ---- verification ----

test('a failed piece is picked again; a verified one never', () => {
  const picker = pickerFromAvailability('11');
  picker.peerHaveAll('a');
  const rng = seededRng(7);
  const reqs = pick(picker, 'a', 4, { rng });
  const piece = reqs[0]!.index;
  const results = reqs.map((r) => picker.blockReceived('a', r));
  assert.deepEqual(results.map((r) => r.pieceComplete), [false, false, false, true]);
  picker.assertInvariants();
  assert.equal(picker.state(piece), 'verifying');
  const other = pick(picker, 'a', 8, { rng });
  assert.deepEqual(piecesOf(other), [1 - piece], 'a verifying piece is not picked');
  assert.deepEqual(pick(picker, 'a', 8, { rng }), [], 'endgame has nothing to duplicate for a');
  picker.pieceFailed(piece);
  picker.assertInvariants();
  assert.equal(picker.state(piece), 'untouched');
  assert.deepEqual(pick(picker, 'a', 8, { rng }), reqs);
  receiveAll(picker, 'a');
  assert.ok(picker.isComplete());
  assert.deepEqual(pick(picker, 'a', 8, { rng }), []);
  assert.throws(() => picker.pieceVerified(piece), /not verifying/);
  assert.throws(() => picker.pieceFailed(piece), /not verifying/);
});

test('blockReceived refuses blocks we did not ask that peer for, or already have', () => {
  const picker = pickerFromAvailability('11');
  picker.peerHaveAll('a');
  picker.peerHaveAll('b');
  const [r] = pick(picker, 'a', 1, { rng: seededRng(1) });
  const rejected = { accepted: false, pieceComplete: false, cancelFrom: [] };
  const unrequested: BlockRequest = { index: r!.index, begin: BLOCK, length: BLOCK };
  assert.deepEqual(picker.blockReceived('b', r!), rejected, 'requested from a, not b');
  assert.deepEqual(picker.blockReceived('a', unrequested), rejected, 'never requested');
  assert.deepEqual(picker.blockReceived('a', { ...r!, length: BLOCK - 1 }), rejected, 'wrong length');
  assert.deepEqual(picker.blockReceived('a', { ...r!, begin: 1 }), rejected, 'misaligned');
  assert.deepEqual(picker.blockReceived('a', { index: 9, begin: 0, length: BLOCK }), rejected, 'no such piece');
  assert.deepEqual(picker.blockReceived('z', r!), rejected, 'unknown peer');
  assert.ok(picker.blockReceived('a', r!).accepted);
  assert.deepEqual(picker.blockReceived('a', r!), rejected, 'already have it');
  picker.assertInvariants();
});

// ---- our pieces, wanted mask ----

test('setHave, counts, haveBitfield', () => {
  const picker = pickerFromAvailability('111111111', { have: 'x x     x' });
  assert.equal(picker.haveCount, 3);
  assert.equal(picker.missingCount, 6);
  assert.deepEqual([...picker.haveBitfield()], [0b10100000, 0b10000000]);
  assert.ok(picker.have(0) && !picker.have(1));
  assert.equal(picker.isComplete(), false);
  picker.peerHaveAll('a');
  const rng = seededRng(1);
  while (pick(picker, 'a', 4, { rng }).length > 0) receiveAll(picker, 'a');
  assert.ok(picker.isComplete() && picker.hasAll());
  assert.throws(() => picker.have(9), RangeError);
});

test('setHave on a piece in flight drops its requests', () => {
  const picker = pickerFromAvailability('1');
  picker.peerHaveAll('a');
  const reqs = pick(picker, 'a', 2, { rng: seededRng(1) });
  picker.setHave(0);
  picker.assertInvariants();
  assert.equal(picker.outstandingCount('a'), 0);
  assert.equal(picker.blockReceived('a', reqs[0]!).accepted, false);
});

test('wanted mask: unwanted pieces are never picked and do not count as missing', () => {
  const picker = pickerFromAvailability('1111');
  picker.setWanted(1, false);
  picker.setWanted(3, false);
  picker.setWanted(3, false);
  picker.assertInvariants();
  assert.equal(picker.missingCount, 2);
  picker.peerHaveAll('a');
  const rng = seededRng(2);
  const got = pick(picker, 'a', 100, { rng });
  assert.deepEqual(piecesOf(got).sort(), [0, 2]);
  receiveAll(picker, 'a');
  assert.ok(picker.isComplete());
  assert.equal(picker.hasAll(), false);
  assert.deepEqual(pick(picker, 'a', 100, { rng }), [], 'no endgame over unwanted pieces');
  picker.setWanted(3, true);
  picker.assertInvariants();
  assert.equal(picker.isComplete(), false);
  assert.deepEqual(piecesOf(pick(picker, 'a', 100, { rng })), [3]);
});

test('wanted mask: a partial piece made unwanted gets no new requests', () => {
  const picker = pickerFromAvailability('1');
  picker.peerHaveAll('a');
  picker.peerHaveAll('b');
  pick(picker, 'a', 2, { rng: seededRng(1) });
  picker.setWanted(0, false);
  picker.assertInvariants();
  assert.deepEqual(pick(picker, 'b', 4, { rng: seededRng(1) }), []);
  picker.setWanted(0, true);
  assert.deepEqual(pick(picker, 'b', 2, { rng: seededRng(1) }).map((r) => r.begin), [2 * BLOCK, 3 * BLOCK]);
});

test('priorities: high pieces first, then normal, then low; rarest first within each', () => {
  // Availability 1 1 3 3 2 2: without priorities pieces 0 and 1 (the rarest) would go first.
  const picker = pickerFromAvailability('113322');
  picker.setPriority(2, 1);
  picker.setPriority(3, 1);
  picker.setPriority(4, 1);
  picker.setPriority(0, -1);
  picker.assertInvariants();
  picker.peerHaveAll('a');
  const rng = seededRng(5);
  const order = [...Array(6)].map(() => piecesOf(pick(picker, 'a', 4, { rng }))[0]);
  // High: 4 (availability 2) before 2 and 3 (availability 3); normal: 1 (availability 1) before 5 (2); low: 0.
  assert.equal(order[0], 4, 'the rarest high-priority piece');
  assert.deepEqual(order.slice(1, 3).sort(), [2, 3], 'the other high ones');
  assert.deepEqual(order.slice(3, 5), [1, 5], 'normal ones, rarest first');
  assert.equal(order[5], 0, 'the low one last, though it is the rarest');
});

test('priorities: a peer without high pieces gets normal ones; a change of priority applies to the next pick', () => {
  const picker = pickerFromAvailability('2222');
  picker.setPriority(0, 1);
  picker.setPriority(3, -1);
  picker.peerBitfield('a', bitfield('0111'));
  const rng = seededRng(9);
  const first = piecesOf(pick(picker, 'a', 4, { rng }));
  assert.equal(first.length, 1);
  assert.ok(first[0] === 1 || first[0] === 2, 'it lacks the high piece: a normal one, not the low one');
  picker.setPriority(3, 1);
  picker.setPriority(0, 0);
  picker.assertInvariants();
  assert.deepEqual(piecesOf(pick(picker, 'a', 4, { rng })), [3], 'the piece made high comes next');
  assert.equal(picker.priority(3), 1);
  assert.equal(picker.priority(0), 0);
});

test('interest: a peer is interesting while it has a wanted piece we lack', () => {
  const picker = pickerFromAvailability('000');
  picker.peerBitfield('q', bitfield('010'));
  picker.peerHaveAll('s');
  assert.ok(picker.isInteresting('q') && picker.isInteresting('s'));
  assert.equal(picker.isInteresting('nobody'), false);
  picker.setWanted(1, false);
  assert.equal(picker.isInteresting('q'), false);
  picker.setWanted(1, true);
  picker.setHave(1);
  picker.assertInvariants();
  assert.equal(picker.isInteresting('q'), false);
  assert.ok(picker.isInteresting('s'));
  picker.peerHave('q', 2);
  assert.ok(picker.isInteresting('q'));
  picker.setHave(0);
  picker.setHave(2);
  assert.equal(picker.isInteresting('s'), false);
  picker.assertInvariants();
});

// ---- peer bitfields ----

test('bitfields: MSB first, spare bits ignored, wrong length refused, replaced on resend', () => {
  const picker = new PiecePicker({ pieceCount: 10, pieceLength: BLOCK, totalLength: 10 * BLOCK, blockSize: BLOCK });
  picker.peerBitfield('q', Uint8Array.of(0b10000001, 0b01111111));
  picker.assertInvariants();
  const has = Array.from({ length: 10 }, (_, i) => picker.peerHas('q', i));
  assert.deepEqual(has, [true, false, false, false, false, false, false, true, false, true]);
  assert.throws(() => picker.peerBitfield('q', new Uint8Array(1)), RangeError);
  assert.throws(() => picker.peerBitfield('q', new Uint8Array(3)), RangeError);
  assert.throws(() => picker.peerHave('q', 10), RangeError);
  picker.peerBitfield('q', Uint8Array.of(0b01000000, 0));
  picker.assertInvariants();
  assert.deepEqual([0, 1, 7].map((i) => picker.availability(i)), [0, 1, 0]);
  picker.peerHaveNone('q');
  picker.assertInvariants();
  assert.equal(picker.availability(1), 0);
  assert.equal(picker.peerCount, 1);
});

test('bitfields: a full bitfield, or haves that fill it, make a seed', () => {
  const picker = new PiecePicker({ pieceCount: 3, pieceLength: BLOCK, totalLength: 3 * BLOCK, blockSize: BLOCK });
  picker.peerBitfield('full', Uint8Array.of(0b11100000));
  picker.peerHave('grows', 0);
  picker.peerHave('grows', 1);
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2].map((i) => picker.availability(i)), [2, 2, 1]);
  picker.peerHave('grows', 2);
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2].map((i) => picker.availability(i)), [2, 2, 2]);
  picker.peerHaveAll('grows');
  picker.peerBitfield('full', Uint8Array.of(0b00100000));
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2].map((i) => picker.availability(i)), [1, 1, 2]);
  picker.peerGone('grows');
  picker.peerGone('full');
  picker.assertInvariants();
  assert.deepEqual([0, 1, 2].map((i) => picker.availability(i)), [0, 0, 0]);
});

test('an empty torrent is complete from the start', () => {
  const picker = new PiecePicker({ pieceCount: 0, pieceLength: BLOCK, totalLength: 0 });
  picker.peerHaveNone('a');
  picker.peerBitfield('b', new Uint8Array(0));
  picker.assertInvariants();
  assert.ok(picker.isComplete() && picker.hasAll());
  assert.deepEqual(picker.pickRequests('a', 10, { rng: seededRng(1) }), []);
});

test('determinism: the same rng gives the same picks', () => {
  const run = () => {
    const picker = pickerFromAvailability('12312312312312', { randomFirstPieces: 2 });
    picker.peerHaveAll('me');
    picker.peerBitfield('q', bitfield('10101010101010'));
    const rng = seededRng(99);
    const out: BlockRequest[] = [];
    for (let i = 0; i < 10; i++) {
      out.push(...picker.pickRequests(i % 2 ? 'me' : 'q', 3, { rng }));
      if (i % 3 === 2) receiveAll(picker, 'me');
    }
    return out;
  };
  assert.deepEqual(run(), run());
});

test('peerPieceCount: what a peer has from its bitfield and haves (all for a seed); the daemon reports it as the peer progress', () => {
  const picker = new PiecePicker({ pieceCount: 5, pieceLength: BLOCK, totalLength: 5 * BLOCK });
  assert.equal(picker.peerPieceCount('nobody'), undefined);
  picker.peerBitfield('p', bitfield('01100'));
  assert.equal(picker.peerPieceCount('p'), 2);
  picker.peerHave('p', 4);
  picker.peerHave('p', 4);
  assert.equal(picker.peerPieceCount('p'), 3, 'a have counts once');
  picker.peerHaveAll('s');
  assert.equal(picker.peerPieceCount('s'), 5);
});
