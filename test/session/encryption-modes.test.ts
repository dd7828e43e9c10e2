import assert from 'node:assert/strict';
import { test } from 'node:test';
import { firstValueFrom, filter } from 'rxjs';
import type { ServerEmitted } from '../../src/actors/server.js';
import type { EncryptionMode } from '../../src/policy/encryption.js';
import { Session } from '../../src/session.js';
import { makePayload, withTimeout } from '../engine/swarm-helpers.js';

/**
 * Two actorrent sessions on loopback, in every combination of encryption modes: the leecher dials
 * the seeder. Where the modes meet, the download completes and both ends report the same
 * encryption for the connection (through the wire tap, as traces record it); where they do not, the
 * seeder refuses the connection with a reason and nothing is transferred.
 */

type Seen = 'rc4' | 'mse-plaintext' | 'none';

function tappedSession(mode: EncryptionMode, seen: Seen[]): Session {
  return new Session({
    host: '127.0.0.1',
    port: 0,
    encryption: mode,
    wireTap: (_torrent, peer) => {
      seen.push(peer.encryption ?? 'none');
      return undefined;
    },
  });
}

/** leecher mode → seeder mode → what the connection uses, or the seeder's reason for refusing it. */
const EXPECTED: Record<EncryptionMode, Record<EncryptionMode, Seen | RegExp>> = {
  prefer: { prefer: 'rc4', require: 'rc4', disable: 'none' /* MSE refused, plaintext fallback */ },
  require: { prefer: 'rc4', require: 'rc4', disable: /encrypted handshake refused: encryption is disabled/ },
  disable: { prefer: 'none', require: /plaintext handshake refused: encryption is required/, disable: 'none' },
};

const payloadReady = makePayload({ multiFile: false, size: 5 * 16384 + 100, pieceLength: 16384 });

for (const leecherMode of ['prefer', 'require', 'disable'] as const) {
  for (const seederMode of ['prefer', 'require', 'disable'] as const) {
    const expected = EXPECTED[leecherMode][seederMode];
    test(`leecher ${leecherMode} → seeder ${seederMode}: ${expected instanceof RegExp ? 'refused' : expected}`, async () => {
      const payload = await payloadReady;
      const seederSeen: Seen[] = [];
      const leecherSeen: Seen[] = [];
      const seeder = tappedSession(seederMode, seederSeen);
      const leecher = tappedSession(leecherMode, leecherSeen);
      const serverEvents: ServerEmitted[] = [];
      seeder.serverEvents$.subscribe((e) => serverEvents.push(e));
      try {
        await seeder.listen();
        await leecher.listen();
        const seed = seeder.add(payload.meta, { downloadDir: payload.seedDir, seed: true, noTrackers: true });
        await withTimeout(seed.whenComplete(), 10_000, 'the seeder checked its data');
        const dir = payload.dir(`leech-${leecherMode}-${seederMode}`);
        if (expected instanceof RegExp) {
          const refused = firstValueFrom(seeder.serverEvents$.pipe(filter((e) => e.type === 'rejected')));
          const handle = leecher.add(payload.meta, { downloadDir: dir, noTrackers: true, peers: [{ host: '127.0.0.1', port: seeder.port }] });
          const rejected = await withTimeout(refused, 10_000, 'the seeder refused the connection');
          assert.equal(rejected.type, 'rejected');
          assert.match((rejected as { reason: string }).reason, expected);
          assert.equal(handle.progress().have, 0);
          assert.deepEqual(seederSeen, [], 'no connection reached the seeder\'s torrent');
          return;
        }
        const handle = leecher.add(payload.meta, { downloadDir: dir, noTrackers: true, peers: [{ host: '127.0.0.1', port: seeder.port }] });
        await withTimeout(handle.whenComplete(), 15_000, 'the download');
        payload.assertSame(dir);
        assert.deepEqual(leecherSeen, [expected], 'the leecher\'s connection');
        assert.deepEqual(seederSeen, [expected], 'the seeder\'s connection');
        const rejected = serverEvents.filter((e) => e.type === 'rejected');
        if (leecherMode === 'prefer' && seederMode === 'disable') {
          // One refused MSE attempt, then the plaintext dial.
          assert.equal(rejected.length, 1);
          assert.match((rejected[0] as { reason: string }).reason, /encrypted handshake refused/);
        } else {
          assert.deepEqual(rejected, []);
        }
      } finally {
        await leecher.close();
        await seeder.close();
      }
    });
  }
}

test('cleanup', async () => (await payloadReady).cleanup());
