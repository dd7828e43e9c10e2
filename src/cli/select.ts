import picomatch from 'picomatch/posix.js';
import type { Metainfo } from '../protocol/metainfo/index.js';
import { byteLength, setBit } from '../util/bits.js';
import { messageOf } from '../util/message-of.js';
import { UsageError } from './units.js';

/**
 * `--select GLOB`: which files of a multi-file torrent to fetch. A glob is matched against each
 * file's path inside the torrent, `/`-separated and without the torrent's own folder name
 * (`nested/small.bin`); the form with it (`share/nested/small.bin`) matches too. Globs are a
 * shell's (picomatch): `*` and `?` stop at `/`, `**` crosses folders, `{a,b}` and `[0-9]` / `[!x]`,
 * `\` escapes the next character. A glob equal to a path matches it whatever it holds, so a name
 * like `[Group] Show.mkv` can be given as it is.
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
  const patterns = globs.map((glob) => ({ glob, matches: globMatcher(glob), used: false }));
  const selection = selectWhere(meta, (file) => {
    const full = file.path.join('/');
    const inner = meta.multiFile ? file.path.slice(1).join('/') : full;
    const hit = patterns.filter((p) => p.matches(inner) || p.matches(full));
    for (const p of hit) p.used = true;
    return hit.length > 0;
  });
  const unused = patterns.find((p) => !p.used);
  if (unused) {
    const names = meta.files.filter((f) => !f.padding).map((f) => f.path.slice(meta.multiFile ? 1 : 0).join('/'));
    const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? `, … (${names.length} files)` : '');
    throw new UsageError(`--select ${JSON.stringify(unused.glob)} matches no file in the torrent (files: ${shown})`);
  }
  return selection;
}

/**
 * A magnet link's BEP 53 `so`: file indexes as in the info dictionary's file list (padding files
 * count). Indexes past the end are ignored, as libtorrent does; undefined when none is left.
 */
export function selectFileIndexes(meta: Metainfo, indexes: readonly number[]): Selection | undefined {
  const chosen = new Set(indexes);
  const selection = selectWhere(meta, (_, index) => chosen.has(index));
  return selection.files.length > 0 ? selection : undefined;
}

function selectWhere(meta: Metainfo, selected: (file: Metainfo['files'][number], index: number) => boolean): Selection {
  const wanted = new Uint8Array(byteLength(meta.pieceCount));
  const files: number[] = [];
  meta.files.forEach((file, index) => {
    if (file.padding || !selected(file, index)) return;
    files.push(index);
    if (file.length === 0) return;
    const first = Math.floor(file.offset / meta.pieceLength);
    const last = Math.floor((file.offset + file.length - 1) / meta.pieceLength);
    for (let piece = first; piece <= last; piece++) setBit(wanted, piece);
  });
  return { wanted, files };
}

// Dotfiles match `*` (a torrent's files are all wanted alike); a leading `!` is a character, as in
// a shell, not picomatch's "everything but".
const GLOB_OPTIONS: picomatch.PicomatchOptions = { dot: true, nonegate: true, posix: true };

/** A test of a `/`-separated path against one `--select` glob; UsageError for a glob picomatch refuses. */
export function globMatcher(glob: string): (path: string) => boolean {
  try {
    return picomatch(glob, GLOB_OPTIONS);
  } catch (err) {
    throw new UsageError(`invalid --select ${JSON.stringify(glob)}: ${messageOf(err)}`);
  }
}
