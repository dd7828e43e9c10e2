import { createHash } from 'node:crypto';
import type { RecordedBlock } from './format.js';

/**
 * Turns anything into plain JSON for a trace without ever writing payload bytes: Buffers and typed
 * arrays up to `HEX_LIMIT` bytes become hex (ids, bitfields, reserved bytes, small extension
 * payloads), longer ones `{length, sha1}`. Keys keep their insertion order (messages and events are
 * built the same way every run), Maps and Sets become arrays, cycles and depth are capped.
 */

export const HEX_LIMIT = 1024;
const MAX_DEPTH = 8;

export function blockDigest(bytes: Uint8Array): RecordedBlock {
  return { length: bytes.byteLength, sha1: createHash('sha1').update(bytes).digest('hex') };
}

export function hexOf(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function serialise(value: unknown, depth = MAX_DEPTH, seen: Set<object> = new Set()): unknown {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
    case 'string':
    case 'boolean':
      return value;
  }
  if (value === null) return null;
  const object = value as object;
  if (ArrayBuffer.isView(object)) {
    const bytes = new Uint8Array(object.buffer, object.byteOffset, object.byteLength);
    return bytes.byteLength <= HEX_LIMIT ? hexOf(bytes) : blockDigest(bytes);
  }
  if (object instanceof ArrayBuffer) return serialise(new Uint8Array(object), depth, seen);
  if (object instanceof Error) return { error: object.message };
  if (seen.has(object) || depth <= 0) return '[…]';
  seen.add(object);
  try {
    const inner = (v: unknown) => serialise(v, depth - 1, seen);
    if (Array.isArray(object)) return object.map(inner);
    if (object instanceof Map) return [...object.entries()].map(([k, v]) => [inner(k), inner(v)]);
    if (object instanceof Set) return [...object].map(inner);
    if (isActorRef(object)) return `[actor ${String(object.id)}]`;
    const proto = Object.getPrototypeOf(object) as unknown;
    if (proto !== Object.prototype && proto !== null) return `[${(object.constructor as { name?: string } | undefined)?.name ?? 'object'}]`;
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(object)) out[key] = inner((object as Record<string, unknown>)[key]);
    return out;
  } finally {
    seen.delete(object);
  }
}

function isActorRef(object: object): object is { id: unknown } {
  const o = object as Record<string, unknown>;
  return typeof o['sessionId'] === 'string' && typeof o['send'] === 'function';
}
