/*
 * Growing the registry's typed columns. A column is replaced by a larger copy; the old one is
 * discarded so that its memory goes at the next minor GC instead of the next full one: old columns
 * are long-lived objects, and would otherwise stay in RSS, as large as their successors, until the
 * old generation is collected.
 */

export function resized(old: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  old.copy(out);
  return out;
}

export function resizedInt32(old: Int32Array, length: number): Int32Array {
  const out = new Int32Array(length);
  out.set(old);
  return out;
}

export function resizedFloat64(old: Float64Array, length: number): Float64Array {
  const out = new Float64Array(length);
  out.set(old);
  return out;
}

export function resizedUint8(old: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  out.set(old);
  return out;
}

/**
 * Frees a column no longer used (its bytes move to a fresh ArrayBuffer nothing refers to, which
 * the next minor GC collects). Only a column that owns its whole ArrayBuffer: never a pooled Buffer.
 */
export function discard(column: ArrayBufferView): void {
  if (column.byteLength > 0 && column.byteLength === column.buffer.byteLength) {
    structuredClone(column.buffer, { transfer: [column.buffer as ArrayBuffer] });
  }
}
