import {
  CRYPTO_PLAINTEXT,
  CRYPTO_RC4,
  MseInitiator,
  MseResponder,
  type MseStep,
  type RandomBytes,
  req2Hash,
} from '../../src/protocol/mse/index.js';
import { encodeHandshake } from '../../src/protocol/wire/index.js';
import { randomBytesFrom, seededRng } from '../../src/env/rng.js';

/**
 * Fuzz targets of the MSE handshake's decoders (src/protocol/mse/handshake.ts): side B fed what A
 * sends, side A fed what B sends. Each side draws its keys from a fixed seed, so the samples (a real
 * exchange recorded once) decode in full and mutations reach every state. The input is pushed in two
 * parts, so the incremental parsing is exercised too.
 */

const SKEY = Buffer.alloc(20, 0x5a);
const fixedRandom = (seed: number): RandomBytes => randomBytesFrom(seededRng(seed));

const responder = () =>
  new MseResponder({
    randomBytes: fixedRandom(1),
    findSkey: (req2) => (req2.equals(req2Hash(SKEY)) ? SKEY : undefined),
    selectMethod: (provided) => (provided & CRYPTO_RC4 ? CRYPTO_RC4 : provided & CRYPTO_PLAINTEXT ? CRYPTO_PLAINTEXT : undefined),
  });
const initiator = () =>
  new MseInitiator({ skey: SKEY, randomBytes: fixedRandom(2), cryptoProvide: CRYPTO_RC4 | CRYPTO_PLAINTEXT, initialPayload: encodeHandshake({ infoHash: SKEY, peerId: Buffer.alloc(20, 1) }) });

/** One real exchange: everything A sent, and everything B sent. */
function recordExchange(): { fromA: Buffer; fromB: Buffer } {
  const a = initiator();
  const b = responder();
  const fromA: Buffer[] = [a.start()];
  const fromB: Buffer[] = [];
  let stepB: MseStep = b.push(fromA[0]!);
  fromB.push(...stepB.send);
  const stepA = a.push(Buffer.concat(stepB.send));
  fromA.push(...stepA.send);
  stepB = b.push(Buffer.concat(stepA.send));
  fromB.push(...stepB.send);
  if (!stepB.done || !a.push(Buffer.concat(stepB.send)).done) throw new Error('the recorded MSE exchange did not finish');
  return { fromA: Buffer.concat(fromA), fromB: Buffer.concat(fromB) };
}

function feedInTwo(side: { push(chunk: Uint8Array): MseStep }, input: Buffer): void {
  const half = input.length >> 1;
  if (side.push(input.subarray(0, half)).done) return;
  side.push(input.subarray(half));
}

const exchange = recordExchange();

export const mseTargets = [
  { name: 'mse-responder (side B)', samples: [exchange.fromA], decoder: (b: Buffer) => feedInTwo(responder(), b), maxRandomLength: 700 },
  {
    name: 'mse-initiator (side A)',
    samples: [exchange.fromB],
    decoder: (b: Buffer) => {
      const a = initiator();
      a.start();
      feedInTwo(a, b);
    },
    maxRandomLength: 700,
  },
];
