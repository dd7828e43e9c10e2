import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { WireTap } from '../../src/engine/peer-wire.js';
import { Session } from '../../src/session.js';
import { until } from '../support/until.js';
import { makePayload, withTimeout } from './swarm-helpers.js';

/**
 * Pause and resume on real sessions over loopback TCP, with real files: a rate-limited seeder, a
 * leecher A paused and resumed ten times mid-download, and a second leecher B that downloads only
 * from A (so A has a peer it unchoked). Everything A sends and receives is watched through the
 * session's wireTap:
 *   - A sends no `request` (and no `unchoke`) while paused;
 *   - every block A receives while paused answers a request A sent before that pause, each at most
 *     once (no more blocks than were in flight at the pause);
 *   - a peer A had unchoked when it paused is choked during the pause (B sees the `choke`);
 *   - progress().state is 'paused' while paused, with `paused` / `resumed` events;
 * and A completes byte-exact.
 */

const host = '127.0.0.1';
const PAUSES = 10;
/** How long each pause lasts once the chokes are seen: blocks in flight at the pause land meanwhile. */
const PAUSE_WINDOW_MS = 300;

type Message = Parameters<WireTap>[1];
const blockKey = (m: { index: number; begin: number; length?: number; block?: Buffer }) => `${m.index}:${m.begin}:${m.length ?? m.block!.length}`;

/** One of A's connections as its wireTap saw it. */
interface Conn {
  direction: 'incoming' | 'outgoing';
  address: string;
  /** The last of `choke` / `unchoke` A sent it. */
  choking?: 'choke' | 'unchoke';
  /** Requests A sent that no block or reject answered yet ("index:begin:length"). */
  outstanding: Set<string>;
  /** `choke` messages A sent it during the current pause. */
  chokesSent: number;
  /** Closed (a duplicate of another connection between the same two peers, say): owed nothing more. */
  closed?: boolean;
}

/** What A's wireTap saw, per connection, and the rules it checks while A is paused. */
class Watch {
  paused = false;
  pauses = 0;
  readonly violations: string[] = [];
  readonly connections = new Map<string, Conn>();
  /** Per connection: the requests outstanding when the current pause began (each may be answered once). */
  private inFlightAtPause = new Map<string, Set<string>>();
  /** Blocks received while paused, in all. */
  blocksWhilePaused = 0;

  tap(peer: { key: string; address: string; direction: 'incoming' | 'outgoing' }): WireTap {
    const conn: Conn = { direction: peer.direction, address: peer.address, outstanding: new Set<string>(), chokesSent: 0 };
    this.connections.set(peer.key, conn);
    return (direction, message: Message) => {
      if (direction === 'out') this.out(conn, message);
      else this.in(peer.key, conn, message);
    };
  }

  private out(conn: Conn, m: Message): void {
    switch (m.type) {
      case 'request':
        conn.outstanding.add(blockKey(m));
        if (this.paused) this.violations.push(`pause ${this.pauses}: request ${blockKey(m)} sent to ${conn.address} while paused`);
        return;
      case 'choke':
        conn.choking = 'choke';
        if (this.paused) conn.chokesSent++;
        return;
      case 'unchoke':
        conn.choking = 'unchoke';
        if (this.paused) this.violations.push(`pause ${this.pauses}: unchoke sent to ${conn.address} while paused`);
        return;
      default:
    }
  }

  private in(key: string, conn: Conn, m: Message): void {
    if (m.type === 'reject') conn.outstanding.delete(blockKey(m));
    if (m.type !== 'piece') return;
    const k = blockKey(m);
    conn.outstanding.delete(k);
    if (!this.paused) return;
    this.blocksWhilePaused++;
    const allowed = this.inFlightAtPause.get(key);
    if (!allowed?.delete(k)) this.violations.push(`pause ${this.pauses}: block ${k} from ${conn.address} received while paused was not in flight at the pause`);
  }

  /** Call just before pause(): from now on requests are violations and blocks must have been in flight. */
  beginPause(): void {
    this.pauses++;
    this.paused = true;
    this.inFlightAtPause = new Map([...this.connections].map(([key, c]) => [key, new Set(c.outstanding)]));
    for (const c of this.connections.values()) c.chokesSent = 0;
  }

  endPause(): void {
    this.paused = false;
  }

  /** A's `peer-closed` event: the connections to that address are gone. */
  closed(address: string): void {
    for (const c of this.connections.values()) if (c.address === address) c.closed = true;
  }
}

test('a leecher paused and resumed ten times mid-download: nothing requested while paused, its peers choked, byte-exact at the end', { timeout: 60_000 }, async () => {
  // 6 MiB in 192 pieces at 768 KiB/s from the seeder: about 8 s of downloading.
  const payload = await makePayload({ multiFile: false, size: 6 * 1024 * 1024, pieceLength: 32768 });
  const sessions: Session[] = [];
  const watchA = new Watch();
  /** `choke` messages B received from A. */
  let chokesSeenByB = 0;
  try {
    const seederSession = new Session({ host, port: 0 });
    sessions.push(seederSession);
    await seederSession.listen();
    const seeder = seederSession.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true, uploadLimit: 768 * 1024 });
    await withTimeout(seeder.whenComplete(), 10_000, 'the seeder check');

    const sessionA = new Session({ host, port: 0, wireTap: (_torrent, peer) => watchA.tap(peer) });
    sessions.push(sessionA);
    await sessionA.listen();
    const dirA = payload.dir('leecher-a');
    const a = sessionA.add(payload.meta, { downloadDir: dirA, noTrackers: true, peers: [{ host, port: seederSession.port }] });
    const eventsA: string[] = [];
    let verifiedSinceResume = 0;
    a.events$.subscribe((e) => {
      eventsA.push(e.type);
      if (e.type === 'peer-closed') watchA.closed(e.address);
      if (e.type === 'piece-verified') verifiedSinceResume++;
    });
    const completeA = a.whenComplete();
    completeA.catch(() => {});

    // B downloads only from A: interested in A as soon as A has a piece, so A unchokes it.
    const sessionB = new Session({
      host,
      port: 0,
      wireTap: () => (direction, message) => {
        if (direction === 'in' && message.type === 'choke') chokesSeenByB++;
      },
    });
    sessions.push(sessionB);
    await sessionB.listen();
    sessionB.add(payload.meta, { downloadDir: payload.dir('leecher-b'), noTrackers: true, peers: [{ host, port: sessionA.port }] });

    const describe = () =>
      `A ${a.progress().state} ${a.progress().have}/${a.progress().total}, pause ${watchA.pauses}, ` +
      `connections ${JSON.stringify([...watchA.connections.values()].map((c) => ({ address: c.address, direction: c.direction, choking: c.choking, chokesSent: c.chokesSent, closed: c.closed })))}`;
    // With PEX, A may also dial B, and one of the two connections is closed as a duplicate.
    const fromB = () => [...watchA.connections.values()].find((c) => c.direction === 'incoming' && !c.closed);
    await until(() => fromB()?.choking === 'unchoke', { what: () => `A unchokes B (interested in what A has): ${describe()}`, timeoutMs: 15_000 });

    let pausesWithBUnchoked = 0;
    for (let i = 1; i <= PAUSES; i++) {
      // Progress between pauses: a piece verified since the last resume (or the start).
      await until(() => verifiedSinceResume > 0, { what: () => `a piece verified before pause ${i}: ${describe()}` });
      assert.ok(a.progress().have < a.progress().total, `the download finished before pause ${i}: the test needs a slower seeder`);

      const unchokedAtPause = [...watchA.connections.values()].filter((c) => c.choking === 'unchoke' && !c.closed);
      if (unchokedAtPause.includes(fromB()!)) pausesWithBUnchoked++;
      const chokesByBBefore = chokesSeenByB;
      const pausedEvents = eventsA.filter((t) => t === 'paused').length;
      watchA.beginPause();
      a.pause();
      assert.equal(a.progress().state, 'paused', `progress().state right after pause() ${i}`);
      await until(() => eventsA.filter((t) => t === 'paused').length === pausedEvents + 1, { what: `a paused event for pause ${i}`, timeoutMs: 3000 });
      // Every peer A had unchoked is choked; B hears it.
      await until(() => unchokedAtPause.every((c) => c.chokesSent > 0 || c.closed), { what: () => `pause ${i}: A chokes the peers it had unchoked: ${describe()}`, timeoutMs: 3000 });
      if (unchokedAtPause.includes(fromB()!)) await until(() => chokesSeenByB > chokesByBBefore, { what: `pause ${i}: B sees A's choke`, timeoutMs: 3000 });
      // Stay paused a while: blocks in flight at the pause land, and nothing else may happen.
      await new Promise((resolve) => setTimeout(resolve, PAUSE_WINDOW_MS));
      assert.equal(a.progress().state, 'paused', `still paused before resume ${i}`);
      assert.deepEqual(watchA.violations, [], `pause ${i}`);

      const resumedEvents = eventsA.filter((t) => t === 'resumed').length;
      watchA.endPause();
      verifiedSinceResume = 0;
      a.resume();
      assert.notEqual(a.progress().state, 'paused', `progress().state right after resume() ${i}`);
      await until(() => eventsA.filter((t) => t === 'resumed').length === resumedEvents + 1, { what: `a resumed event for resume ${i}`, timeoutMs: 3000 });
    }

    await withTimeout(completeA, 40_000, 'A completes after ten pauses');
    payload.assertSame(dirA);
    assert.deepEqual(watchA.violations, []);
    assert.ok(pausesWithBUnchoked >= 1, 'A never had B unchoked at a pause: the choke check did not run');
    assert.equal(eventsA.filter((t) => t === 'paused').length, PAUSES);
    assert.equal(eventsA.filter((t) => t === 'resumed').length, PAUSES);
  } finally {
    await Promise.all(sessions.map((s) => s.close()));
    payload.cleanup();
  }
});
