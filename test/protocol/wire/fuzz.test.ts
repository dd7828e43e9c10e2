import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/protocol/errors.js';
import {
  checkHandshakePrefix,
  decodeHandshake,
  decodeMessage,
  encodeHandshake,
  encodeMessage,
  FrameDecoder,
  type PeerMessage,
} from '../../../src/protocol/wire/index.js';
import { fuzzDecoder, mutate, randomBytes, seededRng } from '../../support/fuzz.js';

type Rng = () => number;
const pick = (rng: Rng, n: number) => Math.floor(rng() * n);
const uint32 = (rng: Rng) => Math.floor(rng() * 2 ** 32);
const fixedBytes = (rng: Rng, n: number) => Buffer.from(Array.from({ length: n }, () => pick(rng, 256)));

function randomMessage(rng: Rng): PeerMessage {
  const small = () => pick(rng, 4) === 0 ? uint32(rng) : pick(rng, 64);
  const bytes = () => randomBytes(rng, 40);
  switch (pick(rng, 17)) {
    case 0: return { type: 'keep-alive' };
    case 1: return { type: 'choke' };
    case 2: return { type: 'unchoke' };
    case 3: return { type: 'interested' };
    case 4: return { type: 'not-interested' };
    case 5: return { type: 'have', index: small() };
    case 6: return { type: 'bitfield', bitfield: bytes() };
    case 7: return { type: 'request', index: small(), begin: small(), length: small() };
    case 8: return { type: 'piece', index: small(), begin: small(), block: bytes() };
    case 9: return { type: 'cancel', index: small(), begin: small(), length: small() };
    case 10: return { type: 'port', port: pick(rng, 65536) };
    case 11: return { type: 'suggest', index: small() };
    case 12: return { type: 'have-all' };
    case 13: return { type: 'have-none' };
    case 14: return { type: 'reject', index: small(), begin: small(), length: small() };
    case 15: return { type: 'allowed-fast', index: small() };
    default: return { type: 'extended', id: pick(rng, 256), payload: bytes() };
  }
}

interface Sample {
  bytes: Buffer;
  /** Where each frame's length prefix starts, so a mutation can rewrite it. */
  prefixes: number[];
}

function randomStream(rng: Rng, withHandshake: boolean): Sample {
  const parts: Buffer[] = [];
  const prefixes: number[] = [];
  let at = 0;
  if (withHandshake) {
    const flags = { extensionProtocol: true, fastExtension: true };
    parts.push(encodeHandshake({ infoHash: fixedBytes(rng, 20), peerId: fixedBytes(rng, 20), flags }));
    at = 68;
  }
  const count = 1 + pick(rng, 8);
  for (let i = 0; i < count; i++) {
    const frame = encodeMessage(randomMessage(rng));
    prefixes.push(at);
    parts.push(frame);
    at += frame.length;
  }
  return { bytes: Buffer.concat(parts), prefixes };
}

/** Rewrites one frame's length prefix: off by a little, zero, huge, or around the maximum. */
function rewritePrefix(rng: Rng, sample: Sample, max: number): Buffer {
  const out = Buffer.from(sample.bytes);
  const at = sample.prefixes[pick(rng, sample.prefixes.length)]!;
  const old = out.readUInt32BE(at);
  const candidates = [0, 1, old - 1, old + 1, old + pick(rng, 100), max, max + 1, 0xffffffff, uint32(rng)];
  out.writeUInt32BE(Math.max(0, Math.min(0xffffffff, candidates[pick(rng, candidates.length)]!)), at);
  return out;
}

/** Feeds `input` in random-sized chunks; checks that only ProtocolErrors escape and that failure is final. */
function feed(rng: Rng, input: Buffer, expectHandshake: boolean, maxMessageLength: number): boolean {
  const decoder = new FrameDecoder({ expectHandshake, maxMessageLength });
  let at = 0;
  try {
    while (at < input.length) {
      const size = pick(rng, 3) === 0 ? 1 : 1 + pick(rng, 200);
      decoder.push(input.subarray(at, at + size));
      at += size;
      assert.ok(decoder.retainedBytes <= Math.max(68, maxMessageLength + 4), 'decoder holds more than one frame');
    }
    return false;
  } catch (err) {
    if (!(err instanceof ProtocolError)) throw err;
    assert.throws(() => decoder.push(Buffer.from([0])), (again) => again === err, 'a failed decoder must stay failed');
    return true;
  }
}

test('fuzz: 100,000 random and mutated streams to FrameDecoder raise only ProtocolError and never hang', () => {
  const seed = 0x51ee7;
  const rng = seededRng(seed);
  const samples = Array.from({ length: 64 }, (_, i) => randomStream(rng, i % 2 === 0));
  let rejected = 0;
  let slowestMs = 0;
  for (let i = 0; i < 100_000; i++) {
    const expectHandshake = pick(rng, 2) === 0;
    const maxMessageLength = pick(rng, 4) === 0 ? 1 + pick(rng, 64) : 1024 * 1024;
    let input: Buffer;
    if (i % 10 === 0) {
      input = randomBytes(rng, 200);
    } else {
      const sample = samples[pick(rng, samples.length)]!;
      input = pick(rng, 2) === 0 ? rewritePrefix(rng, sample, maxMessageLength) : sample.bytes;
      const rounds = pick(rng, 4);
      for (let r = 0; r < rounds; r++) input = mutate(rng, input);
    }
    const started = performance.now();
    try {
      if (feed(rng, input, expectHandshake, maxMessageLength)) rejected++;
    } catch (err) {
      const setup = `handshake ${expectHandshake}, max ${maxMessageLength}`;
      assert.fail(`seed ${seed} input #${i} (${input.toString('hex')}, ${setup}) threw ${String(err)}`);
    }
    const ms = performance.now() - started;
    slowestMs = Math.max(slowestMs, ms);
    assert.ok(ms < 250, `seed ${seed} input #${i} took ${ms.toFixed(1)} ms: ${input.toString('hex')}`);
  }
  // Unmutated samples decode, mutations mostly do not: the inputs reached both paths.
  assert.ok(rejected > 30_000 && rejected < 95_000, `rejected ${rejected}`);
});

test('fuzz: 100,000 inputs to the handshake decoder raise only ProtocolError', () => {
  const rng = seededRng(0x4a5d);
  const samples = Array.from({ length: 16 }, () =>
    encodeHandshake({ infoHash: fixedBytes(rng, 20), peerId: fixedBytes(rng, 20), reserved: fixedBytes(rng, 8) }),
  );
  const report = fuzzDecoder({
    seed: 0x4a5d,
    count: 100_000,
    samples,
    maxRandomLength: 80,
    decoder: (input) => {
      let prefixError: unknown;
      try {
        checkHandshakePrefix(input);
      } catch (err) {
        prefixError = err;
      }
      const handshake = decodeHandshake(input);
      // A handshake that decodes passes the prefix check too.
      assert.equal(prefixError, undefined);
      return handshake;
    },
  });
  assert.ok(report.rejected > 50_000, `rejected ${report.rejected}`);
});

test('fuzz: 100,000 frame bodies to decodeMessage raise only ProtocolError', () => {
  const rng = seededRng(0xb0d1e5);
  const samples = Array.from({ length: 64 }, () => encodeMessage(randomMessage(rng)).subarray(4));
  fuzzDecoder({ seed: 0xb0d1e5, count: 100_000, samples, maxRandomLength: 40, decoder: (input) => decodeMessage(input) });
});
