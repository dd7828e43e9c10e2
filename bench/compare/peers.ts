// The three clients behind one face, so the transfer and the swarm run each the same way: a
// seeder (ready once its data is checked and it listens) and leechers (done at `complete`).
import { PEER_FLAGS, actorrentCommand } from './actorrent.js';
import { type Ctx, actorrentName, libtorrentName, webtorrentName } from './context.js';
import { startLibtorrent } from './libtorrent.js';
import type { Payload } from './payload.js';
import { type Proc, start } from './procs.js';
import { startWebTorrent } from './webtorrent.js';

export interface PeerOptions {
  label: string;
  seconds: number;
  /** An HTTP announce URL: how the swarm's peers find each other. */
  tracker?: string;
}

export interface PeerClient {
  name: string;
  seeder(p: Payload, o: PeerOptions): Proc;
  /** Resolves with the seeder's port once it has checked its data and serves. */
  seederReady(seeder: Proc, ms: number): Promise<number>;
  /** A leecher into `dir`, printing `complete` once every piece is verified; `stay` keeps it serving after. */
  leecher(p: Payload, dir: string, o: PeerOptions & { peer?: string; stay: boolean }): Proc;
}

/** `encryption`: `--encryption` for both peers (default: the CLI's, prefer). */
export function actorrentPeer(ctx: Ctx, encryption?: 'prefer' | 'require' | 'disable', transport?: 'utp' | 'tcp'): PeerClient {
  const tracker = (o: PeerOptions) => (o.tracker ? ['--tracker', o.tracker] : []);
  const flags = [...PEER_FLAGS, ...(encryption ? ['--encryption', encryption] : []), ...(transport ? ['--transport', transport] : [])];
  return {
    name: actorrentName(ctx),
    seeder: (p, o) => start(actorrentCommand(['seed', p.torrent, '-o', p.dataDir, ...flags, ...tracker(o)]), o),
    // `listening` is printed after the check, once the torrent serves.
    seederReady: async (seeder, ms) => Number((await seeder.waitFor('listening', ms)).port),
    leecher: (p, dir, o) =>
      start(actorrentCommand(['download', p.torrent, '-o', dir, ...flags, ...tracker(o), ...(o.peer ? ['--peer', o.peer] : []), ...(o.stay ? ['--seed'] : [])]), o),
  };
}

export function libtorrentPeer(ctx: Ctx, transport?: 'utp'): PeerClient {
  const utp = transport === 'utp';
  return {
    name: utp ? `${libtorrentName(ctx)}, uTP` : libtorrentName(ctx),
    seeder: (p, o) => startLibtorrent({ mode: 'seed', torrent: p.torrent, dir: p.dataDir, utp, ...o }),
    seederReady: seededOnPort,
    leecher: (p, dir, o) => startLibtorrent({ mode: 'leech', torrent: p.torrent, dir, utp, ...o }),
  };
}

export function webtorrentPeer(ctx: Ctx): PeerClient {
  return {
    name: webtorrentName(ctx),
    seeder: (p, o) => startWebTorrent({ mode: 'seed', torrent: p.torrent, dir: p.dataDir, seconds: o.seconds, label: o.label }),
    seederReady: seededOnPort,
    leecher: (p, dir, o) => startWebTorrent({ mode: 'leech', torrent: p.torrent, dir, seconds: o.seconds, label: o.label, peer: o.peer }),
  };
}

async function seededOnPort(seeder: Proc, ms: number): Promise<number> {
  const [listening] = await Promise.all([seeder.waitFor('listening', ms), seeder.waitFor('seeding', ms)]);
  return Number(listening.port);
}
