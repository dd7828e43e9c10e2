import { randomBytes } from 'node:crypto';
import { filter, firstValueFrom } from 'rxjs';
import type { Session, SessionOptions, TorrentHandle, TorrentSessionEvent } from '../../src/session.js';
import { Session as SessionClass } from '../../src/session.js';
import { HAVE_ALL, type PeerMessage, type Request, UNCHOKE } from '../../src/protocol/wire/index.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';
import { type TcpRawPeer, listenRawPeers } from '../support/tcp-raw-peer.js';

/** Shared set-up of the security tests: a real seeder, honest leechers, and a log of why peers were closed. */

export type Payload = Awaited<ReturnType<typeof makePayload>>;

export const RAW_PEER_ID = Buffer.from('-XX0001-hostilepeer!');

export async function startSession(options: SessionOptions = {}): Promise<Session> {
  const session = new SessionClass({ host: '127.0.0.1', port: 0, ...options });
  await session.listen();
  return session;
}

/** Every `peer-closed` of a torrent, with a way to wait for one peer's. */
export class ClosureLog {
  readonly events: { address: string; reason: string }[] = [];

  constructor(private readonly handle: TorrentHandle) {
    handle.events$.subscribe((e) => {
      if (e.type === 'peer-closed') this.events.push({ address: e.address, reason: e.reason });
    });
  }

  reasonsFor(address: string): string[] {
    return this.events.filter((e) => e.address === address).map((e) => e.reason);
  }

  /** The reason of the first `peer-closed` for `address`: one already seen, or the next one. */
  async reasonFor(address: string, timeoutMs = 10_000): Promise<string> {
    const seen = this.events.find((e) => e.address === address);
    if (seen) return seen.reason;
    const closedHere = (e: TorrentSessionEvent): e is Extract<TorrentSessionEvent, { type: 'peer-closed' }> => e.type === 'peer-closed' && e.address === address;
    const next = firstValueFrom(this.handle.events$.pipe(filter(closedHere)));
    return (await withTimeout(next, timeoutMs, `a peer-closed for ${address} (seen: ${JSON.stringify(this.events)})`)).reason;
  }
}

/** The address a session logs for a raw peer that dialled it. */
export function incomingAddress(peer: TcpRawPeer): string {
  return peer.localAddress;
}

export async function startSeeder(payload: Payload, options: SessionOptions = {}) {
  const session = await startSession(options);
  const handle = session.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
  const closures = new ClosureLog(handle);
  await withTimeout(handle.whenComplete(), 20_000, 'seeder check');
  return { session, handle, closures };
}

/** An honest leecher downloading from `port` alongside whatever a test does; `finish` checks it completed byte-exact. */
export async function honestLeecher(payload: Payload, name: string, peers: { host: string; port: number }[]) {
  const session = await startSession();
  const dir = payload.dir(`${name}-${randomBytes(3).toString('hex')}`);
  const handle = session.add(payload.meta, { downloadDir: dir, peers, noTrackers: true });
  const done = handle.whenComplete();
  done.catch(() => {});
  return {
    session,
    handle,
    async finish(timeoutMs = 60_000) {
      try {
        await withTimeout(done, timeoutMs, `honest leecher ${name}`);
        payload.assertSame(dir);
      } finally {
        await session.close();
      }
    },
  };
}

/** The real bytes of a block of a single-file payload. */
export function blockOf(payload: Payload, request: Pick<Request, 'index' | 'begin' | 'length'>): Buffer {
  const offset = request.index * payload.meta.pieceLength + request.begin;
  return payload.files[0]!.data.subarray(offset, offset + request.length);
}

/** The peer key (`address#n`) a torrent gave a connection, for reading its engines' per-peer numbers. */
export function peerKey(handle: TorrentHandle, address: string): string | undefined {
  return handle.peers().find((peer) => peer.address === address)?.key;
}

/**
 * A raw peer that claims every piece (fast extension, have-all, unchoke) and answers each request
 * with what `answer` gives: the corrupt block it chose, a reject, or nothing. `corrupted` counts the
 * blocks it sent.
 */
export async function listenLiar(payload: Payload, answer: (request: Request, realBlock: Buffer) => PeerMessage | undefined) {
  let corrupted = 0;
  const server = await listenRawPeers((raw) => {
    raw.handshake({ infoHash: payload.meta.infoHash, peerId: RAW_PEER_ID, flags: { fastExtension: true } });
    raw.send(HAVE_ALL, UNCHOKE);
    raw.onMessage((m) => {
      if (m.type !== 'request') return;
      const reply = answer(m, blockOf(payload, m));
      if (reply?.type === 'piece') corrupted++;
      if (reply) raw.send(reply);
    });
  });
  // A getter, not a copied value: the count goes on growing.
  return Object.defineProperty(server, 'corrupted', { get: () => corrupted }) as typeof server & { readonly corrupted: number };
}
