import { realpath } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * Where a remote may make the daemon write. Every download folder given over RPC (`torrent_add`,
 * `torrent_set_location`, `session_set`) must be an absolute path inside the allowed root once
 * symbolic links are resolved, so a remote cannot write into ~/.ssh or /etc, even through a link.
 */
export class PathRefused extends Error {
  override name = 'PathRefused';
}

export async function checkDownloadDir(root: string, requested: unknown): Promise<string> {
  if (typeof requested !== 'string' || requested.length === 0) throw new PathRefused('download directory path is not absolute');
  if (!path.isAbsolute(requested)) throw new PathRefused('download directory path is not absolute');
  if (requested.includes('\0')) throw new PathRefused('download directory path is not valid');
  const wanted = path.resolve(requested);
  const realRoot = await realpath(root).catch(() => path.resolve(root));
  const real = await realpathOfExisting(wanted);
  if (real !== realRoot && !real.startsWith(realRoot + path.sep)) {
    throw new PathRefused(`download directory ${requested} is outside the allowed folder ${root}`);
  }
  return wanted;
}

/** A path's real location: its deepest existing ancestor resolved, the rest appended. */
async function realpathOfExisting(target: string): Promise<string> {
  const rest: string[] = [];
  let current = target;
  for (;;) {
    try {
      return path.join(await realpath(current), ...rest.reverse());
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return target;
      rest.push(path.basename(current));
      current = parent;
    }
  }
}

/** `torrent_rename_path`'s new name: one path component, nothing that climbs or hides a separator. */
export function checkNewName(name: unknown): string {
  if (typeof name !== 'string' || name.length === 0 || name === '.' || name === '..' || /[/\\\0]/.test(name)) {
    throw new PathRefused('invalid name');
  }
  return name;
}

/** XDG-style defaults: state under $XDG_DATA_HOME (~/.local/share), downloads in ~/Downloads. */
export function defaultDataDir(): string {
  const base = process.env['XDG_DATA_HOME'] && path.isAbsolute(process.env['XDG_DATA_HOME']) ? process.env['XDG_DATA_HOME'] : path.join(os.homedir(), '.local', 'share');
  return path.join(base, 'actorrent', 'daemon');
}

export function defaultDownloadDir(): string {
  return path.join(os.homedir(), 'Downloads');
}
