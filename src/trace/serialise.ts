import { createHash } from 'node:crypto';
import { type PlainJsonStyle, toPlainJson } from '../util/plain-json.js';
import type { RecordedBlock } from './format.js';

/**
 * Turns anything into plain JSON for a trace without ever writing payload bytes: Buffers and typed
 * arrays up to `HEX_LIMIT` bytes become hex (ids, bitfields, reserved bytes, small extension
 * payloads), longer ones `{length, sha1}`. Keys keep their insertion order (messages and events are
 * built the same way every run), Maps and Sets become arrays, every item is kept; cycles and depth
 * are cut.
 */

export const HEX_LIMIT = 1024;
const MAX_DEPTH = 8;

export function blockDigest(bytes: Uint8Array): RecordedBlock {
  return { length: bytes.byteLength, sha1: createHash('sha1').update(bytes).digest('hex') };
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const TRACE_STYLE: PlainJsonStyle = {
  depth: MAX_DEPTH,
  maxItems: Infinity,
  taggedCollections: false,
  string: (text) => text,
  bytes: (bytes) => (bytes.byteLength <= HEX_LIMIT ? hexOf(bytes) : { ...blockDigest(bytes) }),
  actor: (id) => `[actor ${id}]`,
  cut: () => '[…]',
};

export function serialise(value: unknown, depth = MAX_DEPTH): unknown {
  return toPlainJson(value, depth === MAX_DEPTH ? TRACE_STYLE : { ...TRACE_STYLE, depth });
}
