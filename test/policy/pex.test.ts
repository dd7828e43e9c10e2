import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  DEFAULT_PEX_INTAKE,
  DEFAULT_PEX_SCHEDULE,
  type PexContact,
  liveContact,
  newIntake,
  newOutbox,
  nextPexMessage,
  takePexPeers,
} from '../../src/policy/pex.js';
import { PEX_FLAGS } from '../../src/protocol/extension/ut-pex.js';

const contact = (i: number, flags = 0): PexContact => ({ key: `10.0.${i >> 8}.${i & 0xff}:6881`, host: `10.0.${i >> 8}.${i & 0xff}`, port: 6881, flags });
const contacts = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => contact(from + i));
const S = DEFAULT_PEX_SCHEDULE;

describe('PEX outbound: the diff each peer is sent, and when', () => {
  test('the first message is due firstDelayMs after the handshake and lists every live peer', () => {
    const outbox = newOutbox(1000);
    assert.equal(outbox.nextAt, 1000 + S.firstDelayMs);
    const { outbox: after, message } = nextPexMessage(outbox, contacts(1, 4), outbox.nextAt);
    assert.deepEqual(message?.added.map((c) => c.key), contacts(1, 4).map((c) => c.key));
    assert.deepEqual(message?.dropped, []);
    assert.equal(after.messagesSent, 1);
    assert.equal(after.nextAt, outbox.nextAt + S.intervalMs, 'the next one no sooner than a minute later');
  });

  test('at most 50 added and 50 dropped per message; the rest go in the next ones', () => {
    let outbox = newOutbox(0);
    let now = outbox.nextAt;
    const first = nextPexMessage(outbox, contacts(0, 120), now);
    assert.equal(first.message?.added.length, 50);
    outbox = first.outbox;
    now = outbox.nextAt;
    const second = nextPexMessage(outbox, contacts(0, 120), now);
    assert.deepEqual(second.message?.added.map((c) => c.key), contacts(50, 100).map((c) => c.key));
    outbox = second.outbox;
    // Everyone we told about leaves, and 20 others arrive: 50 dropped now, 50 later; the 20 added now.
    now = outbox.nextAt;
    const third = nextPexMessage(outbox, contacts(200, 220), now);
    assert.equal(third.message?.dropped.length, 50);
    assert.equal(third.message?.added.length, 20);
    const fourth = nextPexMessage(third.outbox, contacts(200, 220), third.outbox.nextAt);
    assert.equal(fourth.message?.dropped.length, 50);
    assert.equal(fourth.message?.added.length, 0);
    assert.equal(fourth.outbox.told.size, 20);
  });

  test('a peer added and gone between two messages is never mentioned; nothing new means no message', () => {
    const base = nextPexMessage(newOutbox(0), contacts(1, 3), S.firstDelayMs).outbox;
    const quiet = nextPexMessage(base, contacts(1, 3), base.nextAt);
    assert.equal(quiet.message, undefined);
    assert.equal(quiet.outbox.nextAt, base.nextAt + S.intervalMs);
    // contact 9 came and went: the diff against what we told is only what changed since.
    const later = nextPexMessage(base, [contact(1)], base.nextAt);
    assert.deepEqual(later.message?.added, []);
    assert.deepEqual(later.message?.dropped.map((c) => c.key), [contact(2).key]);
  });

  test('until the first message is sent, an empty check is retried after firstRetryMs, not a minute', () => {
    const outbox = newOutbox(0);
    const empty = nextPexMessage(outbox, [], outbox.nextAt);
    assert.equal(empty.message, undefined);
    assert.equal(empty.outbox.nextAt, outbox.nextAt + S.firstRetryMs);
  });

  test('duplicates in the live list are sent once; an added contact is never dropped in the same message', () => {
    const { message } = nextPexMessage(newOutbox(0), [contact(1), contact(1), contact(2)], S.firstDelayMs);
    assert.deepEqual(message?.added.map((c) => c.key), [contact(1).key, contact(2).key]);
  });
});

describe('PEX inbound: what reaches the dial book', () => {
  const peers = (n: number, host = (i: number) => `10.1.${i >> 8}.${i & 0xff}`) => Array.from({ length: n }, (_, i) => ({ host: host(i), port: 6881, flags: 0 }));

  test('unusable, duplicate and self entries are refused; reachable peers go first', () => {
    const result = takePexPeers(
      newIntake(0),
      [
        { host: '10.0.0.1', port: 1, flags: 0 },
        { host: '0.0.0.0', port: 6881, flags: 0 },
        { host: '10.0.0.2', port: 2, flags: PEX_FLAGS.reachable },
        { host: '10.0.0.1', port: 1, flags: PEX_FLAGS.seed },
        { host: '10.0.0.3', port: 3, flags: 0 },
      ],
      0,
      { source: '10.0.0.9', self: ['10.0.0.3:3'] },
    );
    assert.deepEqual(result.accepted.map((c) => c.key), ['10.0.0.2:2', '10.0.0.1:1']);
    assert.equal(result.refused, 3);
  });

  test('a seed learns no seeds', () => {
    const added = [{ host: '10.0.0.1', port: 1, flags: PEX_FLAGS.seed }, { host: '10.0.0.2', port: 2, flags: 0 }];
    assert.equal(takePexPeers(newIntake(0), added, 0, { source: 's', weAreSeed: true }).accepted.length, 1);
    assert.equal(takePexPeers(newIntake(0), added, 0, { source: 's', weAreSeed: false }).accepted.length, 2);
  });

  test('at most maxPerHost ports of one host per message, and maxPerMessage entries', () => {
    const oneHost = Array.from({ length: 10 }, (_, i) => ({ host: '10.0.0.1', port: 1000 + i, flags: 0 }));
    assert.equal(takePexPeers(newIntake(0), oneHost, 0, { source: 's' }).accepted.length, DEFAULT_PEX_INTAKE.maxPerHost);
    assert.equal(takePexPeers(newIntake(0), peers(500), 0, { source: 's' }).accepted.length, DEFAULT_PEX_INTAKE.maxPerMessage);
  });

  test('a flooding source gets its burst, then sourcePerMinute; another source still gets through', () => {
    let intake = newIntake(0);
    let accepted = 0;
    // 60 messages of 100 fresh entries each, one a second, from one host.
    for (let i = 0; i < 60; i++) {
      const r = takePexPeers(intake, peers(100, (j) => `10.${i}.${j >> 8}.${j & 0xff}`), i * 1000, { source: '6.6.6.6' });
      intake = r.intake;
      accepted += r.accepted.length;
    }
    const { sourceBurst, sourcePerMinute } = DEFAULT_PEX_INTAKE;
    assert.ok(accepted <= sourceBurst + sourcePerMinute, `${accepted} accepted from one source in a minute`);
    assert.ok(accepted >= sourceBurst, 'the first burst is taken whole');
    const honest = takePexPeers(intake, peers(10, (j) => `172.16.0.${j}`), 60_000, { source: '10.9.9.9' });
    assert.equal(honest.accepted.length, 10);
  });

  test('many sources together are held to the shared budget', () => {
    let intake = newIntake(0);
    let accepted = 0;
    for (let s = 0; s < 50; s++) {
      const r = takePexPeers(intake, peers(100, (j) => `10.${s}.${j >> 8}.${j & 0xff}`), 0, { source: `6.6.6.${s}` });
      intake = r.intake;
      accepted += r.accepted.length;
    }
    assert.equal(accepted, DEFAULT_PEX_INTAKE.totalBurst);
  });

  test('the source map stays bounded', () => {
    let intake = newIntake(0);
    for (let s = 0; s < 3000; s++) intake = takePexPeers(intake, peers(1, () => `10.0.0.1`), s, { source: `h${s}` }, { ...DEFAULT_PEX_INTAKE, totalBurst: 1e9 }).intake;
    assert.ok(intake.sources.size <= DEFAULT_PEX_INTAKE.maxSources, `${intake.sources.size} sources remembered`);
  });
});

describe('PEX: our live peers as entries', () => {
  test('outgoing: the dialled address, reachable; incoming: remote IP and its listen port', () => {
    assert.deepEqual(liveContact({ address: '10.0.0.1:6881', direction: 'outgoing' }, {}), { key: '10.0.0.1:6881', host: '10.0.0.1', port: 6881, flags: PEX_FLAGS.reachable });
    assert.deepEqual(liveContact({ address: '10.0.0.2:53211', direction: 'incoming' }, { listenPort: 7000, seed: true }), {
      key: '10.0.0.2:7000',
      host: '10.0.0.2',
      port: 7000,
      flags: PEX_FLAGS.seed,
    });
    assert.equal(liveContact({ address: '10.0.0.2:53211', direction: 'incoming' }, {}), undefined, 'no `p`: not advertised');
  });

  test('flags from the handshake: e, upload_only, ut_holepunch; IPv6 and IPv4-mapped addresses', () => {
    const traits = { preferEncryption: true, uploadOnly: true, holepunch: true, utp: true };
    assert.equal(liveContact({ address: '[2001:db8::1]:6881', direction: 'outgoing' }, traits)?.flags, 0x1f);
    assert.equal(liveContact({ address: '[2001:db8::1]:6881', direction: 'outgoing' }, {})?.host, '2001:db8::1');
    assert.equal(liveContact({ address: '::ffff:10.0.0.5:40000', direction: 'incoming' }, { listenPort: 6881 })?.key, '10.0.0.5:6881');
  });
});
