import fc from 'fast-check';
import type { Handshake, PeerMessage, PeerMessageType } from '../../../src/protocol/wire/index.js';

const uint32 = fc.integer({ min: 0, max: 0xffffffff });
// size 'max': lengths spread over the whole range, not just the first few bytes.
const bytes = (maxLength: number) => fc.uint8Array({ maxLength, size: 'max' }).map((u) => Buffer.from(u));
const blockRef = { index: uint32, begin: uint32, length: uint32 };
/** fc.record yields null-prototype objects; decoded messages are plain ones. */
const record = <T>(shape: { [K in keyof T]: fc.Arbitrary<T[K]> }) => fc.record(shape).map((r) => ({ ...r }) as T);

/** One arbitrary per message type, so tests can prove every type is covered. */
export const messageArbs: { [T in PeerMessageType]: fc.Arbitrary<Extract<PeerMessage, { type: T }>> } = {
  'keep-alive': fc.constant({ type: 'keep-alive' as const }),
  choke: fc.constant({ type: 'choke' as const }),
  unchoke: fc.constant({ type: 'unchoke' as const }),
  interested: fc.constant({ type: 'interested' as const }),
  'not-interested': fc.constant({ type: 'not-interested' as const }),
  'have-all': fc.constant({ type: 'have-all' as const }),
  'have-none': fc.constant({ type: 'have-none' as const }),
  have: record({ type: fc.constant('have' as const), index: uint32 }),
  suggest: record({ type: fc.constant('suggest' as const), index: uint32 }),
  'allowed-fast': record({ type: fc.constant('allowed-fast' as const), index: uint32 }),
  bitfield: record({ type: fc.constant('bitfield' as const), bitfield: bytes(300) }),
  request: record({ type: fc.constant('request' as const), ...blockRef }),
  cancel: record({ type: fc.constant('cancel' as const), ...blockRef }),
  reject: record({ type: fc.constant('reject' as const), ...blockRef }),
  piece: record({ type: fc.constant('piece' as const), index: uint32, begin: uint32, block: bytes(2048) }),
  port: record({ type: fc.constant('port' as const), port: fc.integer({ min: 0, max: 0xffff }) }),
  extended: record({ type: fc.constant('extended' as const), id: fc.integer({ min: 0, max: 255 }), payload: bytes(300) }),
};

export const messageArb: fc.Arbitrary<PeerMessage> = fc.oneof(...Object.values(messageArbs));

export const handshakeArb: fc.Arbitrary<Omit<Handshake, 'type' | 'flags'>> = record({
  reserved: fc.uint8Array({ minLength: 8, maxLength: 8 }).map((u) => Buffer.from(u)),
  infoHash: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => Buffer.from(u)),
  peerId: fc.uint8Array({ minLength: 20, maxLength: 20 }).map((u) => Buffer.from(u)),
});

/** Cuts `data` at the given offsets (any order, duplicates allowed) into consecutive chunks. */
export function splitAt(data: Buffer, cuts: number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => Math.min(c, data.length)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let from = 0;
  for (const p of points) {
    chunks.push(data.subarray(from, p));
    from = p;
  }
  chunks.push(data.subarray(from));
  return chunks;
}
