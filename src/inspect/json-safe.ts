/**
 * Turns anything an actor carries (its context, the events it receives) into small, plain JSON for
 * the inspector and the dashboard. Actor contexts hold sockets, engines and piece data: bytes become
 * `{ bytes: n }`, class instances their class name, and depth and collection sizes are capped, so
 * serialising a snapshot stays cheap however large the torrent is.
 */
export interface JsonSafeOptions {
  /** Levels of nesting kept; deeper values become a short description. Default 4. */
  depth?: number;
  /** Items kept of each array, Map and Set. Default 20. */
  maxItems?: number;
  /** Characters kept of each string. Default 300. */
  maxString?: number;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export function toJsonSafe(value: unknown, options: JsonSafeOptions = {}): JsonValue {
  const limits = { depth: options.depth ?? 4, maxItems: options.maxItems ?? 20, maxString: options.maxString ?? 300 };
  return convert(value, limits, limits.depth, new Set());
}

type Limits = Required<JsonSafeOptions>;

function convert(value: unknown, limits: Limits, depth: number, ancestors: Set<object>): JsonValue {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'string':
      return value.length > limits.maxString ? `${value.slice(0, limits.maxString)}…` : value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const object = value as object;
  if (ArrayBuffer.isView(object)) return { bytes: object.byteLength };
  if (object instanceof ArrayBuffer || (typeof SharedArrayBuffer !== 'undefined' && object instanceof SharedArrayBuffer)) return { bytes: object.byteLength };
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof Error) return { error: object.message };
  if (isActorRef(object)) return { actor: String(object.id) };
  if (ancestors.has(object)) return '[circular]';
  if (depth <= 0) return describe(object);
  ancestors.add(object);
  try {
    const inner = (v: unknown) => convert(v, limits, depth - 1, ancestors);
    if (Array.isArray(object)) return capped(object, object.length, limits.maxItems, inner);
    if (object instanceof Map) {
      return { type: 'Map', size: object.size, entries: capped(take(object.entries(), limits.maxItems), object.size, limits.maxItems, ([k, v]) => [inner(k), inner(v)]) };
    }
    if (object instanceof Set) return { type: 'Set', size: object.size, values: capped(take(object.values(), limits.maxItems), object.size, limits.maxItems, inner) };
    if (!isPlainObject(object)) return describe(object);
    const out: Record<string, JsonValue> = {};
    let kept = 0;
    for (const key of Object.keys(object)) {
      // Objects are records, not collections: keep more keys than items, but not unboundedly many.
      if (kept++ >= limits.maxItems * 5) {
        out['…'] = `${Object.keys(object).length - limits.maxItems * 5} more keys`;
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
  const out = items.slice(0, max).map(map);
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

function describe(object: object): string {
  if (Array.isArray(object)) return `[array of ${object.length}]`;
  const name = (object.constructor as { name?: string } | undefined)?.name;
  return `[${name || 'object'}]`;
}
