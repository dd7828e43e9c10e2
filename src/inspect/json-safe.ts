import { type JsonValue, className, toPlainJson } from '../util/plain-json.js';

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

export type { JsonValue };

export function toJsonSafe(value: unknown, options: JsonSafeOptions = {}): JsonValue {
  const maxString = options.maxString ?? 300;
  return toPlainJson(value, {
    depth: options.depth ?? 4,
    maxItems: options.maxItems ?? 20,
    taggedCollections: true,
    string: (text) => (text.length > maxString ? `${text.slice(0, maxString)}…` : text),
    bytes: (bytes) => ({ bytes: bytes.byteLength }),
    actor: (id) => ({ actor: id }),
    cut: (object, why) => (why === 'cycle' ? '[circular]' : Array.isArray(object) ? `[array of ${object.length}]` : className(object)),
  });
}
