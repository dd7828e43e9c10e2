/**
 * One walk that turns anything an actor carries (contexts, events, messages) into plain JSON:
 * cycles and depth are cut, class instances become their name, functions `[function name]`, Errors
 * `{ error }`, Dates ISO text, odd numbers and bigints strings. What a reader of the result needs
 * differs, and is the style: the trace keeps every item and writes small byte arrays as hex (its
 * records are compared and replayed); the inspector and the dashboard cap every collection and
 * show only the size of bytes (their snapshots must stay cheap however large the torrent).
 */

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface PlainJsonStyle {
  /** Levels of nesting walked; deeper objects become `cut(object, 'depth')`. */
  depth: number;
  /** Items kept of each array, Map and Set (then one `… n more`); keys kept of an object: five times this. */
  maxItems: number;
  /** Maps and Sets as `{ type, size, entries | values }` (true), or as plain arrays of entries / values. */
  taggedCollections: boolean;
  string(text: string): JsonValue;
  /** The bytes of a Buffer, typed array, DataView or ArrayBuffer (a view: do not keep it). */
  bytes(bytes: Uint8Array): JsonValue;
  /** An XState actor ref, by its id. */
  actor(id: string): JsonValue;
  /** What stands for an object met again inside itself, or one nested deeper than `depth`. */
  cut(object: object, why: 'cycle' | 'depth'): JsonValue;
}

export function toPlainJson(value: unknown, style: PlainJsonStyle): JsonValue {
  return convert(value, style, style.depth, new Set());
}

/** `[ClassName]`, or `[object]` for an anonymous one. */
export function className(object: object): string {
  const name = (object.constructor as { name?: string } | undefined)?.name;
  return `[${name || 'object'}]`;
}

function convert(value: unknown, style: PlainJsonStyle, depth: number, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
      return style.string(value);
    case 'bigint':
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (ArrayBuffer.isView(object)) return style.bytes(new Uint8Array(object.buffer, object.byteOffset, object.byteLength));
  if (object instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && object instanceof SharedArrayBuffer)) return style.bytes(new Uint8Array(object));
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Error) return { error: object.message };
  if (isActorRef(object)) return style.actor(String(object.id));
  if (ancestors.has(object)) return style.cut(object, 'cycle');
  if (depth <= 0) return style.cut(object, 'depth');
  ancestors.add(object);
  try {
    const inner = (v: unknown) => convert(v, style, depth - 1, ancestors);
    const max = style.maxItems;
    if (Array.isArray(object)) return capped(object, object.length, max, inner);
    if (object instanceof Map) {
      const entries = capped(take(object.entries(), max), object.size, max, ([k, v]) => [inner(k), inner(v)]);
      return style.taggedCollections ? { type: 'Map', size: object.size, entries } : entries;
    }
    if (object instanceof Set) {
      const values = capped(take(object.values(), max), object.size, max, inner);
      return style.taggedCollections ? { type: 'Set', size: object.size, values } : values;
    }
    if (!isPlainObject(object)) return className(object);
    const out: Record<string, JsonValue> = {};
    const maxKeys = max * 5;
    let kept = 0;
    for (const key of Object.keys(object)) {
      // Objects are records, not collections: keep more keys than items, but not unboundedly many.
      if (kept++ >= maxKeys) {
        out['…'] = `${Object.keys(object).length - maxKeys} more keys`;
        break;
      }
      out[key] = inner((object as Record<string, unknown>)[key]);
    }
    return out;
  } finally {
    ancestors.delete(object);
  }
}

function capped<T>(items: readonly T[], total: number, max: number, map: (item: T) => JsonValue): JsonValue[] {
  const out = (total > max ? items.slice(0, max) : items).map(map);
  if (total > max) out.push(`… ${total - max} more`);
  return out;
}

/** The first n items, without copying a large Map or Set. */
function take<T>(iterator: Iterator<T>, n: number): T[] {
  const items: T[] = [];
  for (let next = iterator.next(); !next.done && items.length < n; next = iterator.next()) items.push(next.value);
  return items;
}

function isPlainObject(object: object): boolean {
  const proto = Object.getPrototypeOf(object) as unknown;
  return proto === Object.prototype || proto === null;
}

function isActorRef(object: object): object is { id: unknown } {
  const o = object as Record<string, unknown>;
  return typeof o['sessionId'] === 'string' && typeof o['send'] === 'function' && typeof o['getSnapshot'] === 'function';
}
