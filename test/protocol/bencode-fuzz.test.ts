import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decode, decodeDocument, encode } from '../../src/protocol/bencode/index.js';
import { fuzzDecoder } from '../support/fuzz.js';

const samples = [
  encode({ announce: 'http://127.0.0.1:6969/announce', info: { length: 12345, name: 'a.bin', 'piece length': 16384, pieces: Buffer.alloc(20, 7) } }),
  encode({ interval: 1800, 'min interval': 60, peers: Buffer.alloc(12, 1), complete: 3, incomplete: 1 }),
  encode({ m: { ut_metadata: 1, ut_pex: 2 }, v: 'actorrent 0.1', p: 6881, reqq: 250, metadata_size: 31337 }),
  encode([[[['deep']]], -1, 0, 2n ** 62n, Buffer.from([0, 255])]),
  Buffer.from('d1:ai01ee\n', 'latin1'),
];

test('fuzz: 100,000 random and mutated inputs to the strict decoder raise only BencodeError', () => {
  const report = fuzzDecoder({ seed: 0xbe11c0de, count: 100_000, samples, decoder: (input) => decode(input) });
  assert.ok(report.rejected > 50_000, `most mutated inputs should be refused, got ${report.rejected}`);
  assert.ok(report.heapGrowthBytes < 64 * 1024 * 1024, `heap grew by ${report.heapGrowthBytes} bytes`);
});

test('fuzz: 100,000 inputs to the lenient decoder with spans raise only BencodeError', () => {
  fuzzDecoder({
    seed: 0x5eed,
    count: 100_000,
    samples,
    decoder: (input) => decodeDocument(input, { mode: 'lenient', recordSpans: true }),
  });
});
