import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DownloadEngine } from '../../src/engine/download-engine.js';
import { SteppingClock } from '../support/stepping-clock.js';

/** `completesDownload` says which verdict the Downloader machine must see: the one that completes the wanted pieces. */
function engine(wanted?: Uint8Array) {
  return new DownloadEngine({
    pieceCount: 4,
    pieceLength: 16384,
    totalLength: 4 * 16384,
    wanted,
    clock: new SteppingClock(),
    rng: () => 0.5,
    write: async () => {},
    onPieceWritten: () => {},
    onPieceAssembled: () => {},
    onWriteError: (err) => assert.fail(String(err)),
    onViolation: () => {},
  });
}

const found = (bits: number) => new Uint8Array([bits]);

test('only the last missing wanted piece completes the download', () => {
  const two = engine();
  two.start(found(0b1010_0000)); // 1 and 3 missing
  assert.deepEqual([0, 1, 2, 3].map((i) => two.completesDownload(i)), [false, false, false, false]);
  const one = engine();
  one.start(found(0b1110_0000)); // only 3 missing
  assert.deepEqual([0, 1, 2, 3].map((i) => one.completesDownload(i)), [false, false, false, true]);
  const none = engine();
  none.start(found(0b1111_0000));
  assert.deepEqual([0, 1, 2, 3].map((i) => none.completesDownload(i)), [false, false, false, false]);
});

test('with a file selection, an unwanted piece never completes it', () => {
  const e = engine(found(0b1100_0000)); // pieces 0 and 1 wanted
  e.start(found(0b1000_0000));
  assert.deepEqual([0, 1, 2, 3].map((i) => e.completesDownload(i)), [false, true, false, false]);
});
