import { lstat, mkdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { StorageError, toStorageError } from './storage.js';

/**
 * Keeps every file operation inside the download folder. The metainfo sanitiser already refuses
 * paths that leave it; this is the second line: a lexical check of each resolved path, then, on
 * disk, every folder on the way and every symlinked file is followed only if its real path is
 * still inside the folder. Nothing is created before the path above it has been checked.
 */
export class SafePaths {
  readonly root: string;
  private readonly rootPrefix: string;
  private realRoot: Promise<string> | undefined;
  private rootReady = false;
  /** Folders already found to be real folders (or symlinks) inside the root, as lexical paths. */
  private readonly verified = new Set<string>();

  constructor(downloadDir: string) {
    this.root = path.resolve(downloadDir);
    this.rootPrefix = this.root.endsWith(path.sep) ? this.root : this.root + path.sep;
  }

  /** The absolute path of a file's components; throws `outside-folder` unless strictly inside the root. */
  lexical(components: readonly string[]): string {
    const shown = components.join('/');
    if (components.length === 0 || components.some((c) => c.includes('\0'))) {
      throw new StorageError('outside-folder', `"${shown}" is not a usable file path`);
    }
    const absolute = path.resolve(this.root, ...components);
    if (!absolute.startsWith(this.rootPrefix)) {
      throw new StorageError('outside-folder', `"${shown}" would be outside the download folder ${this.root}`);
    }
    return absolute;
  }

  /**
   * Checks (and with `create`, makes) every folder between the root and the file at `absolute`.
   * Returns false when a folder is missing and `create` is false.
   */
  async folders(absolute: string, create: boolean): Promise<boolean> {
    const parts = absolute.slice(this.rootPrefix.length).split(path.sep).slice(0, -1);
    if (!this.rootReady) {
      if (create) await this.makeRoot();
      else if (!(await exists(this.root))) return false;
      this.rootReady = true;
    }
    let dir = this.root;
    for (const part of parts) {
      dir = path.join(dir, part);
      if (this.verified.has(dir)) continue;
      let info = await lstatOrUndefined(dir);
      if (info === undefined) {
        if (!create) return false;
        await mkdir(dir).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'EEXIST') throw toStorageError(err, `create folder ${this.show(dir)}`);
        });
        info = await lstat(dir);
      }
      if (info.isSymbolicLink()) {
        const real = await this.followInside(dir);
        if (!(await stat(real)).isDirectory()) throw new StorageError('not-a-file', `${this.show(dir)} is not a folder`);
      } else if (!info.isDirectory()) {
        throw new StorageError('not-a-file', `${this.show(dir)} is not a folder`);
      }
      this.verified.add(dir);
    }
    return true;
  }

  /** The real path of a symlink, which must exist and be inside the root. */
  async followInside(link: string): Promise<string> {
    let real: string;
    try {
      real = await realpath(link);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new StorageError('outside-folder', `${this.show(link)} is a symlink to nothing`, { cause: err });
      }
      throw toStorageError(err, `follow ${this.show(link)}`);
    }
    const root = await this.realRootPath();
    if (real !== root && !real.startsWith(root.endsWith(path.sep) ? root : root + path.sep)) {
      throw new StorageError('outside-folder', `${this.show(link)} is a symlink to ${real}, outside the download folder`);
    }
    return real;
  }

  /** A path relative to the root, for messages. */
  show(absolute: string): string {
    return absolute.startsWith(this.rootPrefix) ? absolute.slice(this.rootPrefix.length).split(path.sep).join('/') : absolute;
  }

  private async makeRoot(): Promise<void> {
    await mkdir(this.root, { recursive: true }).catch((err) => {
      throw toStorageError(err, `create the download folder ${this.root}`);
    });
  }

  private realRootPath(): Promise<string> {
    this.realRoot ??= realpath(this.root).catch((err) => {
      this.realRoot = undefined;
      throw toStorageError(err, `open the download folder ${this.root}`);
    });
    return this.realRoot;
  }
}

async function lstatOrUndefined(file: string) {
  try {
    return await lstat(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw toStorageError(err, `look at ${file}`);
  }
}

async function exists(file: string): Promise<boolean> {
  return (await lstatOrUndefined(file)) !== undefined;
}
