import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { FileLayout, pieceRange, type FileSegment, type LayoutFile } from '../../src/storage/file-layout.js';
import { isStorageError } from '../../src/storage/storage.js';

function layOut(specs: { length: number; padding: boolean }[]): LayoutFile[] {
  let offset = 0;
  return specs.map((s) => {
    const file = { offset, length: s.length, padding: s.padding };
    offset += s.length;
    return file;
  });
}

/** Byte by byte: which file holds each byte, merged into runs. */
function naiveSegments(files: LayoutFile[], offset: number, length: number): FileSegment[] {
  const result: FileSegment[] = [];
  for (let at = offset; at < offset + length; at++) {
    const fileIndex = files.findIndex((f) => at >= f.offset && at < f.offset + f.length);
    const last = result[result.length - 1];
    if (last && last.fileIndex === fileIndex) last.length++;
    else result.push({ fileIndex, fileOffset: at - files[fileIndex]!.offset, offset: at, length: 1, padding: files[fileIndex]!.padding === true });
  }
  return result;
}

const filesArb = fc.array(fc.record({ length: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40 })), padding: fc.boolean() }), { minLength: 1, maxLength: 12 });

test('segments match a byte-by-byte walk for any layout and range', () => {
  fc.assert(
    fc.property(
      filesArb.chain((specs) => {
        const total = specs.reduce((s, f) => s + f.length, 0);
        return fc.tuple(fc.constant(specs), fc.integer({ min: 0, max: total }).chain((off) => fc.tuple(fc.constant(off), fc.integer({ min: 0, max: total - off }))));
      }),
      ([specs, [offset, length]]) => {
        const files = layOut(specs);
        assert.deepEqual(new FileLayout(files).segments(offset, length), naiveSegments(files, offset, length));
      },
    ),
    { numRuns: 2000, seed: 0x5eed },
  );
});

test('fileAt and piecesOfFile agree with a linear scan', () => {
  fc.assert(
    fc.property(filesArb, fc.integer({ min: 1, max: 50 }), (specs, pieceLength) => {
      const files = layOut(specs);
      const layout = new FileLayout(files);
      for (let at = 0; at < layout.length; at++) {
        assert.equal(layout.fileAt(at), files.findIndex((f) => at >= f.offset && at < f.offset + f.length));
      }
      for (const [index, file] of files.entries()) {
        const pieces = new Set<number>();
        for (let at = file.offset; at < file.offset + file.length; at++) pieces.add(Math.floor(at / pieceLength));
        const expected = pieces.size === 0 ? undefined : { first: Math.min(...pieces), last: Math.max(...pieces) };
        assert.deepEqual(layout.piecesOfFile(index, pieceLength), expected);
      }
    }),
    { numRuns: 500, seed: 0xf11e },
  );
});

test('ranges outside the torrent, negative or fractional are rejected with out-of-range', () => {
  fc.assert(
    fc.property(filesArb, fc.integer({ min: -100, max: 600 }), fc.integer({ min: -5, max: 600 }), (specs, offset, length) => {
      const layout = new FileLayout(layOut(specs));
      const inside = offset >= 0 && length >= 0 && offset + length <= layout.length;
      if (inside) assert.doesNotThrow(() => layout.segments(offset, length));
      else assert.throws(() => layout.segments(offset, length), (err) => isStorageError(err, 'out-of-range'));
    }),
    { numRuns: 1000, seed: 0xbad },
  );
  const layout = new FileLayout(layOut([{ length: 10, padding: false }]));
  for (const [o, l] of [[0.5, 1], [0, 1.5], [Number.NaN, 1], [0, Infinity]] as const) {
    assert.throws(() => layout.segments(o, l), (err) => isStorageError(err, 'out-of-range'));
  }
});

test('zero-length files never appear in segments, wherever they are', () => {
  const layout = new FileLayout(layOut([{ length: 0, padding: false }, { length: 5, padding: false }, { length: 0, padding: false }, { length: 0, padding: false }, { length: 3, padding: true }, { length: 0, padding: false }]));
  assert.deepEqual(layout.segments(0, 8), [
    { fileIndex: 1, fileOffset: 0, offset: 0, length: 5, padding: false },
    { fileIndex: 4, fileOffset: 0, offset: 5, length: 3, padding: true },
  ]);
  assert.deepEqual(layout.segments(5, 0), []);
  assert.equal(new FileLayout(layOut([{ length: 0, padding: false }])).length, 0);
});

test('a layout with gaps or overlaps is refused', () => {
  assert.throws(() => new FileLayout([{ offset: 0, length: 4 }, { offset: 5, length: 1 }]), RangeError);
  assert.throws(() => new FileLayout([{ offset: 0, length: 4 }, { offset: 3, length: 1 }]), RangeError);
});

test('pieceRange: every piece is pieceLength long except a shorter last one', () => {
  const meta = { pieceLength: 256, pieceCount: 4, length: 3 * 256 + 17 };
  assert.deepEqual(pieceRange(meta, 0), { offset: 0, length: 256 });
  assert.deepEqual(pieceRange(meta, 3), { offset: 768, length: 17 });
  assert.throws(() => pieceRange(meta, 4), (err) => isStorageError(err, 'out-of-range'));
  assert.throws(() => pieceRange(meta, -1), (err) => isStorageError(err, 'out-of-range'));
});
