/**
 * BEP 11 against libtorrent-rasterbar 2.0 (python3-libtorrent, PEX on): in swarms where each leecher
 * is given only the seeder's address (as a tracker that hands out only the seeder would), the
 * leechers learn each other by ut_pex and trade pieces. Both ways: libtorrent's PEX introduces two
 * actorrent leechers, and actorrent's PEX introduces a libtorrent leecher and an actorrent leecher.
 * libtorrent sends its first PEX message (the full list) within a few seconds of having two peers,
 * then a diff a minute; every wait here is bounded well inside that first minute.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { Session, type TorrentHandle } from '../../src/session.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { PYTHON, hasLibtorrent, requireTool } from '../support/tools.js';
import { until } from '../support/until.js';
import { type BackgroundProcess, startBackground } from './clients/background.js';

const script = fileURLToPath(new URL('./clients/libtorrent_pex_peer.py', import.meta.url));
const SIZE = 4 * 1024 * 1024;
const PIECE = 64 * 1024;
/** The seeder's upload: too slow to serve everyone in time alone, so the leechers must trade. */
const SEEDER_UPLOAD = 400 * 1024;

function startLibtorrent(mode: 'seed' | 'leech', torrentFile: string, savePath: string, extra: string[]): BackgroundProcess {
  return startBackground(PYTHON, [script, mode, torrentFile, savePath, '45', ...extra], 50);
}

/** A peer in libtorrent_pex_peer.py's `progress` event; `pex`: libtorrent has its address from a ut_pex message. */
interface LibtorrentPeer {
  ip: string;
  downloaded: number;
  uploaded: number;
  pex: boolean;
}

interface TraceLine {
  node: string;
  kind: string;
  peer: string | null;
  dir: 'in' | 'out' | null;
  msg: { type?: string; ext?: string; pex?: { added: { peer: string; flags: number }[] } };
}

/** Sessions on 127.0.0.1 whose wire messages are recorded as trace lines. */
function tracedSessions() {
  const lines: TraceLine[] = [];
  const recorder = createTraceRecorder({ write: (line) => lines.push(JSON.parse(line) as TraceLine), meta: { command: 'test', argv: ['pex'] } });
  const sessions: Session[] = [];
  return {
    lines,
    async start(label: string): Promise<Session> {
      const session = new Session({ host: '127.0.0.1', port: 0, ...recorder.forSession(label) });
      await session.listen();
      sessions.push(session);
      return session;
    },
    attach: (label: string, handle: TorrentHandle) => recorder.attach(label, handle),
    /** The ut_pex messages `node` received (`in`) or sent (`out`). */
    pex: (node: string, dir: 'in' | 'out') => lines.filter((l) => l.node === node && l.kind === 'wire' && l.dir === dir && l.msg.ext === 'ut_pex'),
    async close() {
      await Promise.all(sessions.map((s) => s.close()));
      await recorder.close();
    },
  };
}

const bytesBetween = (handle: TorrentHandle, peerId: Buffer) => {
  const hex = peerId.toString('hex');
  const uploaded = handle.uploadedByPeer().get(hex) ?? 0;
  const downloaded = handle.peers().filter((p) => p.peerId === hex).reduce((n, p) => n + p.downloaded, 0);
  return { uploaded, downloaded };
};

describe('PEX with libtorrent', { timeout: 120_000 }, () => {
  test('libtorrent seeds and tells two actorrent leechers about each other; they trade pieces', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: false, size: SIZE, pieceLength: PIECE });
    const traced = tracedSessions();
    let seeder: BackgroundProcess | undefined;
    try {
      seeder = startLibtorrent('seed', payload.torrentFile, payload.seedDir, ['--upload-limit', String(SEEDER_UPLOAD)]);
      const { port } = await seeder.waitForEvent((e) => e.event === 'listening');
      await seeder.waitForEvent((e) => e.event === 'seeding', 15_000);
      const only = [{ host: '127.0.0.1', port: Number(port) }];
      const a = await traced.start('leecher-a');
      const b = await traced.start('leecher-b');
      const ta = a.add(payload.meta, { downloadDir: payload.dir('a'), peers: only });
      const tb = b.add(payload.meta, { downloadDir: payload.dir('b'), peers: only });
      traced.attach('leecher-a', ta);
      traced.attach('leecher-b', tb);
      await withTimeout(Promise.all([ta.whenComplete(), tb.whenComplete()]), 40_000, 'both actorrent downloads');
      payload.assertSame(`${payload.root}/a`);
      payload.assertSame(`${payload.root}/b`);

      // libtorrent's ut_pex told each leecher where the other listens.
      for (const [node, other] of [['leecher-a', b], ['leecher-b', a]] as const) {
        const fromLibtorrent = traced.pex(node, 'in').filter((l) => l.peer?.startsWith(`127.0.0.1:${String(port)}#`));
        const heard = fromLibtorrent.flatMap((l) => l.msg.pex?.added.map((p) => p.peer) ?? []);
        assert.ok(heard.includes(`127.0.0.1:${other.port}`), `${node} heard of 127.0.0.1:${other.port} by PEX from libtorrent: ${JSON.stringify(heard)}`);
      }
      // …and they traded pieces over the connection that made.
      const ab = bytesBetween(ta, b.peerId);
      const ba = bytesBetween(tb, a.peerId);
      assert.ok(ab.uploaded + ba.uploaded > 0, `the leechers exchanged pieces: a→b ${ab.uploaded}, b→a ${ba.uploaded}`);
      t.diagnostic(`a→b ${ab.uploaded} bytes, b→a ${ba.uploaded} bytes; ut_pex in: a ${traced.pex('leecher-a', 'in').length}, b ${traced.pex('leecher-b', 'in').length}`);
    } finally {
      await traced.close();
      await seeder?.stop();
      payload.cleanup();
    }
  });

  test('actorrent seeds and tells a libtorrent leecher about an actorrent leecher; they trade pieces', async (t) => {
    if (!requireTool(t, hasLibtorrent, 'python3-libtorrent')) return;
    const payload = await makePayload({ multiFile: false, size: SIZE, pieceLength: PIECE });
    const traced = tracedSessions();
    let leecher: BackgroundProcess | undefined;
    try {
      const x = await traced.start('seeder');
      const seeding = x.add(payload.meta, { downloadDir: payload.seedDir, seed: true, uploadLimit: SEEDER_UPLOAD });
      traced.attach('seeder', seeding);
      await withTimeout(seeding.whenComplete(), 15_000, 'the seeder check');
      const only = [{ host: '127.0.0.1', port: x.port }];
      leecher = startLibtorrent('leech', payload.torrentFile, payload.dir('libtorrent'), ['--connect', `127.0.0.1:${x.port}`]);
      const { port: libtorrentPort } = await leecher.waitForEvent((e) => e.event === 'listening');
      const a = await traced.start('leecher-a');
      const ta = a.add(payload.meta, { downloadDir: payload.dir('a'), peers: only });
      traced.attach('leecher-a', ta);

      // libtorrent learns the actorrent leecher's address from our ut_pex (its peer list marks the source),
      // and trades pieces with it (whichever of the two dialled first).
      const viaPex = await leecher.waitForEvent(
        (e) => e.event === 'progress' && (e['peers'] as LibtorrentPeer[]).some((p) => p.pex && p.ip !== `127.0.0.1:${x.port}` && p.downloaded + p.uploaded > 0),
        30_000,
      );
      await withTimeout(ta.whenComplete(), 40_000, 'the actorrent download');
      await leecher.waitForEvent((e) => e.event === 'complete', 30_000);
      payload.assertSame(`${payload.root}/a`);
      payload.assertSame(`${payload.root}/libtorrent`);

      // Our seeder's ut_pex to libtorrent named the actorrent leecher, flagged reachable only if we dialled it (we did not).
      const told = traced.pex('seeder', 'out').flatMap((l) => l.msg.pex?.added ?? []);
      assert.ok(told.some((p) => p.peer === `127.0.0.1:${a.port}`), `the seeder advertised 127.0.0.1:${a.port}: ${JSON.stringify(told)}`);
      assert.ok(told.some((p) => p.peer === `127.0.0.1:${String(libtorrentPort)}`), 'and libtorrent, at its listen port, to the actorrent leecher');
      // …and the actorrent leecher counts the same trade: bytes with anyone but the seeder.
      const traded = await until(() => bytesWithOthers(ta, x.peerId), { what: 'bytes between libtorrent and the actorrent leecher', timeoutMs: 5_000 });
      t.diagnostic(`libtorrent's peers once it traded by PEX: ${JSON.stringify(viaPex['peers'])}`);
      t.diagnostic(`actorrent leecher ⇄ libtorrent: ${traded} bytes; ut_pex sent by the seeder: ${traced.pex('seeder', 'out').length}`);
    } finally {
      await traced.close();
      await leecher?.stop();
      payload.cleanup();
    }
  });
});

/** Payload bytes the leecher sent to or received from peers other than `seeder` (closed connections' uploads included). */
function bytesWithOthers(handle: TorrentHandle, seeder: Buffer): number {
  const seederHex = seeder.toString('hex');
  const uploaded = [...handle.uploadedByPeer()].filter(([id]) => id !== seederHex).reduce((n, [, bytes]) => n + bytes, 0);
  const downloaded = handle.peers().filter((p) => p.peerId !== undefined && p.peerId !== seederHex).reduce((n, p) => n + p.downloaded, 0);
  return uploaded + downloaded;
}
