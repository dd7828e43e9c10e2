import type { Metainfo } from '../protocol/metainfo/index.js';
import { UsageError } from './units.js';

/**
 * `--select GLOB`: which files of a multi-file torrent to fetch. A glob is matched against each
 * file's path inside the torrent, `/`-separated and without the torrent's own folder name
 * (`nested/small.bin`); the form with it (`share/nested/small.bin`) matches too. `*` and `?` stop at
 * `/`, `**` crosses folders.
 *
 * The result is the bitfield of the pieces to fetch. A piece that straddles a selected and an
 * unselected file is fetched whole and written whole, so the neighbouring file is created (sparse,
 * at its full offset) to hold those bytes: the simplest honest choice (libtorrent does the same
 * with its part file off). Files touched by no selected piece are never created.
 */
export interface Selection {
  wanted: Uint8Array;
  /** Indexes in meta.files of the selected files. */
  files: number[];
}

export function selectFiles(meta: Metainfo, globs: string[]): Selection {
  const patterns = globs.map((glob) => ({ glob, regex: globToRegExp(glob), used: false }));
  const wanted = new Uint8Array(Math.ceil(meta.pieceCount / 8));
  const files: number[] = [];
  meta.files.forEach((file, index) => {
    if (file.padding) return;
    const full = file.path.join('/');
    const inner = meta.multiFile ? file.path.slice(1).join('/') : full;
    const hit = patterns.filter((p) => p.regex.test(inner) || p.regex.test(full));
    if (hit.length === 0) return;
    for (const p of hit) p.used = true;
    files.push(index);
    if (file.length === 0) return;
    const first = Math.floor(file.offset / meta.pieceLength);
    const last = Math.floor((file.offset + file.length - 1) / meta.pieceLength);
    for (let piece = first; piece <= last; piece++) wanted[piece >> 3]! |= 0x80 >> (piece & 7);
  });
  const unused = patterns.find((p) => !p.used);
  if (unused) {
    const names = meta.files.filter((f) => !f.padding).map((f) => f.path.slice(meta.multiFile ? 1 : 0).join('/'));
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} files)` : '');
    throw new UsageError(`--select ${JSON.stringify(unused.glob)} matches no file in the torrent (files: ${shown})`);
  }
  return { wanted, files };
}

export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `**/` matches zero or more folders; a bare `**` anything.
      if (glob[i + 2] === '/') {
        out += '(?:.*/)?';
        i += 2;
      } else {
        out += '.*';
        i += 1;
      }
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
