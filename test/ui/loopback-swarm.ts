import type { Observers } from '../../src/cli/observers.js';
import { Session, type TorrentHandle } from '../../src/session.js';
import { memoryStorageFactory } from '../../src/storage/memory-storage.js';
import { memoryTorrent } from '../support/memory-torrent.js';

/**
 * A seeder and a leecher in this process on 127.0.0.1 (data in memory), watched by the given
 * observers as `demo` does: each session labelled, each torrent reported. The leecher is throttled
 * so the download lasts long enough to be seen.
 */
export interface LoopbackSwarm {
  seeder: TorrentHandle;
  leecher: TorrentHandle;
  close(): Promise<void>;
}

export async function startLoopbackSwarm(
  observers: Observers,
  options: { length: number; pieceLength: number; downloadLimit?: number },
): Promise<LoopbackSwarm> {
  const { meta, piece } = memoryTorrent({ length: options.length, pieceLength: options.pieceLength, seed: 7 });
  const storage = memoryStorageFactory();
  const seedData = storage.open(meta, 'seeder');
  await seedData.prepare();
  for (let i = 0; i < meta.pieceCount; i++) await seedData.write(i * meta.pieceLength, piece(i));
  const sessions: Session[] = [];
  const start = async (label: string) => {
    const session = new Session({ host: '127.0.0.1', port: 0, storage, ...observers.sessionOptions(label) });
    sessions.push(session);
    await session.listen();
    return session;
  };
  try {
    const seederSession = await start('seeder');
    const seeder = seederSession.add(meta, { downloadDir: 'seeder', seed: true, noTrackers: true });
    observers.torrentAdded('seeder', seederSession, seeder);
    await seeder.whenComplete();
    const leecherSession = await start('leecher');
    const leecher = leecherSession.add(meta, {
      downloadDir: 'leecher',
      seed: true,
      noTrackers: true,
      peers: [{ host: '127.0.0.1', port: seederSession.port }],
      downloadLimit: options.downloadLimit,
    });
    observers.torrentAdded('leecher', leecherSession, leecher);
    return { seeder, leecher, close: () => Promise.all(sessions.map((s) => s.close())).then(() => undefined) };
  } catch (err) {
    await Promise.all(sessions.map((s) => s.close()));
    throw err;
  }
}
