import { LEGACY_NAME_PAIRS } from './legacy-names.js';

/**
 * Names between the two forms of Transmission's RPC: the daemon works in snake_case (JSON-RPC 2.0,
 * Transmission 4.1) and translates the classic form's kebab-case and camelCase at the edge.
 */
const toLegacy = new Map<string, string>(LEGACY_NAME_PAIRS.map(([snake, legacy]) => [snake, legacy]));
const fromLegacy = new Map<string, string>(LEGACY_NAME_PAIRS.map(([snake, legacy]) => [legacy, snake]));
// Classic names the table leaves out: torrent_get's `downloadDir` (kebab elsewhere), `peer-limit` in torrent_get.
fromLegacy.set('downloadDir', 'download_dir');

/** Any classic or snake_case name as snake_case: the table first, then camelCase / kebab-case rules. */
export function snakeName(name: string): string {
  const known = fromLegacy.get(name);
  if (known) return known;
  return name.replace(/-/g, '_').replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
}

/** A snake_case name as the classic protocol spells it. */
export function legacyName(snake: string): string {
  return toLegacy.get(snake) ?? snake;
}

/** Top-level keys of a classic request's arguments as snake_case (values untouched). */
export function snakeKeys(args: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) out[snakeName(key)] = value;
  return out;
}

/** Every key of a snake_case result, at any depth, as the classic protocol spells it. */
export function legacyKeysDeep(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(legacyKeysDeep);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[legacyName(key)] = legacyKeysDeep(inner);
  return out;
}
