import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { MetadataAssembly } from '../../src/engine/metadata-assembly.js';

const PIECE = 16384;
const info = randomBytes(5 * PIECE + 100); // 6 pieces
const infoHash = createHash('sha1').update(info).digest();
const pieceOf = (bytes: Buffer, piece: number) => bytes.subarray(piece * PIECE, Math.min(bytes.length, (piece + 1) * PIECE));
const honest = { key: 'honest#1', peerId: 'aa' };
const liar = { key: 'liar#2', peerId: 'bb' };

/** Lets every peer answer what it was asked: the liar with noise. */
function answerAll(assembly: MetadataAssembly, requests: Map<string, number[]>): void {
  for (const [key, pieces] of requests) {
    for (const piece of pieces) {
      const bytes = key === liar.key ? randomBytes(pieceOf(info, piece).length) : pieceOf(info, piece);
      assert.equal(assembly.store(key, piece, bytes), 'stored');
    }
  }
}

describe('MetadataAssembly', () => {
  test('spreads requests over peers, a few each, and verifies the result', () => {
    const assembly = new MetadataAssembly(infoHash, info.length);
    assembly.addPeer(honest);
    assembly.addPeer({ key: 'other#3', peerId: 'cc' });
    const { requests } = assembly.assign(0, 2, 10_000);
    assert.deepEqual([...requests.values()].map((p) => p.length), [2, 2]);
    answerAll(assembly, requests);
    answerAll(assembly, assembly.assign(1, 2, 10_000).requests);
    assert.ok(assembly.complete);
    const verdict = assembly.verify();
    assert.ok(verdict.ok && verdict.info.equals(info));
  });

  test('data nobody asked for, or from the wrong peer, is not stored', () => {
    const assembly = new MetadataAssembly(infoHash, info.length);
    assembly.addPeer(honest);
    assert.equal(assembly.store(honest.key, 0, pieceOf(info, 0)), 'unrequested');
    assembly.assign(0, 1, 10_000);
    assert.equal(assembly.store(liar.key, 0, pieceOf(info, 0)), 'unrequested');
    assert.equal(assembly.store(honest.key, 0, pieceOf(info, 0)), 'stored');
    assert.equal(assembly.store(honest.key, 0, pieceOf(info, 0)), 'unrequested', 'a second copy');
  });

  test('a copy from one peer that fails proves that peer lied', () => {
    const assembly = new MetadataAssembly(infoHash, info.length);
    assembly.addPeer(liar);
    for (let round = 0; !assembly.complete && round < 10; round++) answerAll(assembly, assembly.assign(round, 4, 10_000).requests);
    const verdict = assembly.verify();
    assert.equal(verdict.ok, false);
    assert.deepEqual(verdict.liars, [liar]);
    assert.equal(assembly.hasPeer(liar.key), false);
  });

  test('a mixed copy that fails: the next copies come from one peer at a time, and the verified one proves the liar', () => {
    const assembly = new MetadataAssembly(infoHash, info.length);
    assembly.addPeer(honest);
    assembly.addPeer(liar);
    for (let round = 0; !assembly.complete && round < 10; round++) answerAll(assembly, assembly.assign(round, 2, 10_000).requests);
    const first = assembly.verify();
    assert.equal(first.ok, false);
    assert.deepEqual(first.liars, [], 'two senders: nobody is proven yet');
    // Single source now: every request of an attempt goes to one peer.
    let proven: string[] = [];
    for (let round = 10; round < 40; round++) {
      const { requests } = assembly.assign(round, 2, 10_000);
      assert.ok(requests.size <= 1, 'one source at a time');
      answerAll(assembly, requests);
      if (!assembly.complete) continue;
      const verdict = assembly.verify();
      proven = [...proven, ...verdict.liars.map((l) => l.key)];
      if (verdict.ok) {
        assert.ok(verdict.info.equals(info));
        break;
      }
    }
    assert.deepEqual(proven, [liar.key]);
  });

  test('a request unanswered past the timeout goes to another peer; a reject is not asked of that peer again', () => {
    const assembly = new MetadataAssembly(infoHash, info.length);
    assembly.addPeer(honest);
    const first = assembly.assign(0, 6, 5000);
    assert.equal(first.requests.get(honest.key)?.length, 6);
    assembly.addPeer(liar);
    assembly.reject(honest.key, 0);
    const later = assembly.assign(6000, 6, 5000);
    assert.deepEqual(later.timedOut, [honest.key]);
    assert.ok(later.requests.get(liar.key)?.includes(0));
    assert.ok(!(later.requests.get(honest.key) ?? []).includes(0), 'piece 0 was refused by the honest peer');
  });
});
