/**
 * Turns path components from a torrent into names that are safe to create inside the download
 * folder on any common file system. Like libtorrent and Transmission we sanitise rather than refuse:
 * a torrent with one odd name is still useful. The rules:
 * - `.` and `..` components (and empty ones in the middle of a path) are dropped, so nothing climbs out;
 * - `/` and `\` inside a component are removed, so a component stays one component;
 * - control characters and invalid UTF-8 become `_`; bidirectional-override characters (used to fake
 *   extensions) are removed;
 * - Windows device names (CON, NUL, COM1 …) get a `_` prefix, so the data can be copied to Windows;
 * - a component longer than 255 bytes is shortened, keeping its extension.
 * Each change is reported, so the caller can warn.
 */
const BIDI_CONTROLS = /[\u200e\u200f\u202a-\u202e]/g;
const SEPARATORS = /[/\\]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f\ufffd]/g;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|clock\$|com[0-9]|lpt[0-9])(\.|$)/i;
const utf8 = new TextDecoder('utf-8', { fatal: false });

export interface SanitizedComponent {
  /** undefined when the component is dropped (`.`, `..`, or nothing left). */
  name: string | undefined;
  changed: boolean;
}

export function sanitizeComponent(raw: Uint8Array, maxBytes = 255): SanitizedComponent {
  const decoded = utf8.decode(raw);
  let name = decoded.replace(BIDI_CONTROLS, '').replace(SEPARATORS, '').replace(CONTROL_CHARS, '_');
  if (name === '' || name === '.' || name === '..') {
    return { name: undefined, changed: true };
  }
  if (WINDOWS_RESERVED.test(name)) name = `_${name}`;
  name = shorten(name, maxBytes);
  const changed = name !== decoded || Buffer.byteLength(decoded) !== raw.length;
  return { name, changed };
}

/** Keeps at most `maxBytes` UTF-8 bytes, preserving a short extension and whole code points. */
function shorten(name: string, maxBytes: number): string {
  if (Buffer.byteLength(name) <= maxBytes) return name;
  const dot = name.lastIndexOf('.');
  const extension = dot > 0 && name.length - dot <= 10 ? name.slice(dot) : '';
  const budget = maxBytes - Buffer.byteLength(extension);
  let stem = '';
  let used = 0;
  for (const char of name.slice(0, name.length - extension.length)) {
    const size = Buffer.byteLength(char);
    if (used + size > budget) break;
    stem += char;
    used += size;
  }
  return stem + extension;
}
