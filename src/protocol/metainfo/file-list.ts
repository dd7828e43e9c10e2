import { type BDict, type BValue, FieldReader, isBDict } from '../bencode/index.js';
import { sanitizeComponent } from './path-sanitizer.js';
import { METAINFO_LIMITS, MetainfoError, type TorrentFile } from './types.js';

const fields = new FieldReader((code, message) => new MetainfoError(code as never, message), 'info');

/** The files of a v1 info dictionary, sanitised, de-duplicated and laid out end to end. */
export function readFiles(info: BDict, name: string, warnings: string[]): { files: TorrentFile[]; multiFile: boolean } {
  const list = info['files'];
  if (list === undefined) {
    const length = readLength(info['length'], 'info.length');
    return { files: [{ path: [name], length, offset: 0, ...readAttributes(info) }], multiFile: false };
  }
  if (!Array.isArray(list)) throw new MetainfoError('no-files', 'info.files is not a list');
  if (list.length === 0) throw new MetainfoError('no-files', 'info.files is empty');
  if (list.length > METAINFO_LIMITS.maxFiles) {
    throw new MetainfoError('too-many-files', `${list.length} files is more than the ${METAINFO_LIMITS.maxFiles} allowed`);
  }
  const files: TorrentFile[] = [];
  let offset = 0;
  for (const [index, entry] of list.entries()) {
    const file = readFileEntry(entry, index, name, warnings);
    file.offset = offset;
    offset += file.length;
    if (!Number.isSafeInteger(offset)) throw new MetainfoError('invalid-length', 'the files add up to more bytes than we can address');
    files.push(file);
  }
  resolveClashes(files, warnings);
  return { files, multiFile: true };
}

function readFileEntry(entry: BValue, index: number, root: string, warnings: string[]): TorrentFile {
  const where = `info.files[${index}]`;
  if (!isBDict(entry)) throw new MetainfoError('no-files', `${where} is not a dictionary`);
  const attributes = readAttributes(entry);
  // BEP 47: a symlink occupies no bytes of the torrent, whatever its `length` says.
  const length = attributes.symlinkTarget ? 0 : readLength(entry['length'], `${where}.length`);
  const rawPath = entry['path.utf-8'] ?? entry['path'];
  let components: string[];
  if (rawPath === undefined || (Array.isArray(rawPath) && rawPath.length === 0)) {
    // BEP 47 allows padding files without a path.
    if (!attributes.padding) throw new MetainfoError('missing-name', `${where} has no path`);
    components = ['.pad', String(length)];
  } else {
    components = readPath(rawPath, where, warnings);
  }
  // BitComet's padding files predate BEP 47's attribute.
  const padding = attributes.padding || components.some((c) => c.startsWith('_____padding_file_'));
  return { ...attributes, padding, path: [root, ...components], length, offset: 0 };
}

function readAttributes(dict: BDict): Omit<TorrentFile, 'path' | 'length' | 'offset'> {
  const attr = fields.optionalBytes(dict, 'attr')?.toString('latin1') ?? '';
  const symlink = attr.includes('l') ? dict['symlink path'] : undefined;
  const result: Omit<TorrentFile, 'path' | 'length' | 'offset'> = {
    padding: attr.includes('p'),
    executable: attr.includes('x'),
    hidden: attr.includes('h'),
  };
  if (symlink !== undefined) result.symlinkTarget = readPath(symlink, 'symlink path', []);
  return result;
}

function readLength(value: BValue | undefined, where: string): number {
  if (value === undefined) throw new MetainfoError('invalid-length', `${where} is missing`);
  if (typeof value === 'bigint') throw new MetainfoError('invalid-length', `${where} is too large`);
  if (typeof value !== 'number') throw new MetainfoError('invalid-length', `${where} is not an integer`);
  if (value < 0) throw new MetainfoError('invalid-length', `${where} is negative`);
  return value;
}

/** Sanitised components of a path list; never empty. */
export function readPath(value: BValue, where: string, warnings: string[]): string[] {
  if (!Array.isArray(value)) throw new MetainfoError('invalid-path', `${where} path is not a list`);
  const components: string[] = [];
  let changed = false;
  for (const part of value) {
    if (!Buffer.isBuffer(part)) throw new MetainfoError('invalid-path', `${where} path has an element that is not a string`);
    const clean = sanitizeComponent(part, METAINFO_LIMITS.maxComponentBytes);
    changed ||= clean.changed;
    if (clean.name !== undefined) components.push(clean.name);
  }
  if (components.length === 0) components.push('_');
  if (changed) {
    const original = value.map((p) => (Buffer.isBuffer(p) ? p.toString('utf8') : '?')).join('/');
    warnings.push(`${where}: path ${JSON.stringify(original)} sanitised to ${JSON.stringify(components.join('/'))}`);
  }
  return components;
}

/**
 * Two files with the same path, or a file where another file needs a folder, cannot both exist on
 * disk. Later files are renamed `name.1.ext`, `name.2.ext`…, as libtorrent does; a torrent that needs
 * more renames than the limit is refused (it is an attack on our time, not a real torrent).
 */
function resolveClashes(files: TorrentFile[], warnings: string[]): void {
  const taken = new Set<string>();
  const folders = new Set<string>();
  for (const file of files) {
    for (let i = 1; i < file.path.length; i++) folders.add(key(file.path.slice(0, i)));
  }
  for (const file of files) {
    if (file.padding) continue;
    let candidate = file.path;
    for (let n = 1; taken.has(key(candidate)) || folders.has(key(candidate)); n++) {
      if (n > METAINFO_LIMITS.maxDuplicateFilenames) {
        throw new MetainfoError('too-many-duplicate-filenames', `more than ${METAINFO_LIMITS.maxDuplicateFilenames} files named ${file.path.join('/')}`);
      }
      candidate = [...file.path.slice(0, -1), withSuffix(file.path[file.path.length - 1]!, n)];
    }
    if (candidate !== file.path) {
      warnings.push(`duplicate path ${file.path.join('/')} renamed to ${candidate.join('/')}`);
      file.path = candidate;
    }
    taken.add(key(candidate));
  }
}

function key(path: string[]): string {
  return path.join('\u0000');
}

function withSuffix(name: string, n: number): string {
  const dot = name.lastIndexOf('.');
  return dot > 0 ? `${name.slice(0, dot)}.${n}${name.slice(dot)}` : `${name}.${n}`;
}
