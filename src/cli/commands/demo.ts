import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseTorrent } from '../../protocol/metainfo/index.js';
import { Session, type TorrentHandle } from '../../session.js';
import { type RunningTracker, startTracker } from '../../tracker-server.js';
import { createTorrentFromPath } from '../../storage/create-torrent.js';
import { CliError } from '../errors.js';
import { onInterrupt } from '../interrupt.js';
import { type Observers, startObservers } from '../observers.js';
import { parseObserveOptions } from '../peer-command-options.js';
import { LiveLines, bar } from '../report/live-lines.js';
import { formatBytes, parseSize, UsageError } from '../units.js';

/**
 * The local swarm demo (`npm start`): a payload in a temporary folder, its torrent, actorrent's own
 * tracker, one seeder and N leechers on 127.0.0.1 that find each other through the tracker, live
 * progress, a byte-for-byte check of every leecher's copy, a summary of who uploaded what to whom,
 * then everything is removed. No internet needed.
 */
export async function runDemo(options: { size: string; leechers: string; trace?: string; inspect?: boolean; ui?: string | boolean }): Promise<void> {
  const size = parseSize(options.size, 'size');
  const leecherCount = Number(options.leechers);
  if (!Number.isInteger(leecherCount) || leecherCount < 1 || leecherCount > 20) {
    throw new UsageError(`--leechers must be a whole number from 1 to 20, got ${JSON.stringify(options.leechers)}`);
  }
  if (size < 1 || size > 4 * 1024 ** 3) throw new UsageError('--size must be between 1 byte and 4 GiB');
  const observe = parseObserveOptions(options);
  const dir = await mkdtemp(path.join(tmpdir(), 'actorrent-demo-'));
  const sessions: Session[] = [];
  let tracker: RunningTracker | undefined;
  // The inspector, the dashboard and the trace see every peer of the swarm and the tracker, by name.
  let observers: Observers | undefined;
  let cleaning: Promise<void> | undefined;
  try {
    observers = await startObservers(observe, { command: 'demo', argv: process.argv.slice(2) });
    tracker = await startTracker({ host: '127.0.0.1', port: 0, inspect: observers.sessionOptions('tracker').inspect });
    const seedDir = path.join(dir, 'seeder');
    await mkdir(seedDir);
    const payload = path.join(seedDir, 'demo-payload.bin');
    await writeFile(payload, randomBytes(size));
    const trackers = [tracker.announceUrl!, tracker.udpUrl!];
    const meta = parseTorrent((await createTorrentFromPath(payload, { createdBy: 'actorrent demo', trackers })).torrent);
    say(`payload ${formatBytes(meta.length)}, ${meta.pieceCount} pieces × ${formatBytes(meta.pieceLength)}, infohash ${meta.infoHashHex}`);
    say(`tracker on 127.0.0.1:${tracker.port} (HTTP and UDP)`);

    const peers: { name: string; session: Session; torrent?: TorrentHandle; dir: string }[] = [];
    for (let i = 0; i <= leecherCount; i++) {
      const name = i === 0 ? 'seeder' : `leecher ${i}`;
      const session = new Session({ host: '127.0.0.1', port: 0, ...observers.sessionOptions(name) });
      sessions.push(session);
      await session.listen();
      peers.push({ name, session, dir: i === 0 ? seedDir : path.join(dir, `leecher-${i}`) });
    }
    const seeder = peers[0]!;
    seeder.torrent = seeder.session.add(meta, { downloadDir: seeder.dir, seed: true });
    observers.torrentAdded(seeder.name, seeder.session, seeder.torrent);
    await seeder.torrent.whenComplete();
    say(`seeder listening on 127.0.0.1:${seeder.session.port}; starting ${leecherCount} leechers`);

    const started = performance.now();
    // The leechers know nothing but the torrent: they find the seeder and each other through the tracker.
    for (const peer of peers.slice(1)) {
      peer.torrent = peer.session.add(meta, { downloadDir: peer.dir, seed: true });
      observers.torrentAdded(peer.name, peer.session, peer.torrent);
    }
    const leechers = peers.slice(1);
    // On a terminal: one live bar per peer, redrawn in place; elsewhere a plain line every half second.
    const live = process.stdout.isTTY ? new LiveLines(process.stdout) : undefined;
    const draw = () =>
      live
        ? live.render(peers.map((p) => peerBar(p.name, p.torrent!)))
        : say(leechers.map((p) => `${p.name} ${percent(p.torrent!)}`).join('  '));
    const ticker = setInterval(draw, 500);
    try {
      await Promise.all(leechers.map((p) => p.torrent!.whenComplete()));
      if (live) {
        draw();
        live.done();
      }
    } finally {
      clearInterval(ticker);
    }
    const seconds = (performance.now() - started) / 1000;

    const expected = await sha1(payload);
    for (const p of leechers) {
      if ((await sha1(path.join(p.dir, 'demo-payload.bin'))) !== expected) throw new CliError(`${p.name}'s copy differs from the original`);
    }
    say(`all ${leecherCount} copies verified byte for byte in ${seconds.toFixed(2)} s (${formatBytes((meta.length * leecherCount) / seconds)}/s delivered)`);
    for (const p of peers) {
      const progress = p.torrent!.progress();
      say(`  ${p.name.padEnd(10)} uploaded ${formatBytes(progress.uploaded).padStart(10)}   downloaded ${formatBytes(progress.downloaded).padStart(10)}`);
    }
    say('who uploaded what to whom:');
    const nameOf = new Map(peers.map((p) => [p.session.peerId.toString('hex'), p.name]));
    for (const p of peers) {
      for (const [to, bytes] of p.torrent!.uploadedByPeer()) {
        if (bytes > 0) say(`  ${p.name.padEnd(10)} → ${(nameOf.get(to) ?? 'another peer').padEnd(10)} ${formatBytes(bytes).padStart(10)}`);
      }
    }
    // Someone is watching (--ui, --inspect): keep the swarm up until Ctrl-C, or the page would go blank.
    if (observe.ui !== undefined || observe.inspect) {
      say('the swarm stays up (everyone seeding) so you can look around: press Ctrl-C to end');
      await new Promise<void>((resolve) =>
        onInterrupt(async () => {
          resolve();
          await cleanup();
        }),
      );
    }
  } finally {
    await cleanup();
  }

  async function cleanup(): Promise<void> {
    cleaning ??= (async () => {
      await Promise.all(sessions.map((s) => s.close()));
      await tracker?.stop();
      await observers?.close();
      await rm(dir, { recursive: true, force: true });
    })();
    return cleaning;
  }
}

function peerBar(name: string, torrent: TorrentHandle): string {
  const p = torrent.progress();
  const rate = (bytes: number) => `${formatBytes(Math.round(bytes))}/s`.padStart(12);
  return `${name.padEnd(10)} ${bar(p.total === 0 ? 1 : p.have / p.total)} ${percent(torrent)}  down ${rate(p.downloadRate)}  up ${rate(p.uploadRate)}  ${p.peers} peer${p.peers === 1 ? '' : 's'}`;
}

function percent(torrent: TorrentHandle): string {
  const { have, total } = torrent.progress();
  return `${Math.floor((100 * have) / total)}%`.padStart(4);
}

function say(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function sha1(file: string): Promise<string> {
  const hash = createHash('sha1');
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}
