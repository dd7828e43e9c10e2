import { createHash } from 'node:crypto';
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Subject } from 'rxjs';
import type { InspectionEvent } from 'xstate';
import type { TorrentHandle, TorrentSessionEvent } from '../../src/session.js';
import { parseTrace } from '../../src/trace/read-trace.js';
import { createTraceRecorder } from '../../src/trace/recorder.js';
import { serialise } from '../../src/trace/serialise.js';
import { memoryTorrent } from '../support/memory-torrent.js';

const { meta } = memoryTorrent({ length: 40_000, pieceLength: 16_384, seed: 2 });
const OUR_ID = Buffer.from('-AC0001-recordertest');
const THEIR_ID = Buffer.from('-XX0001-remotepeer!!');

function setup(metaOverrides: Record<string, unknown> = {}) {
  let now = 1000;
  const lines: string[] = [];
  let closed = false;
  const recorder = createTraceRecorder({
    clock: { now: () => now },
    write: (line) => lines.push(line),
    close: async () => {
      closed = true;
    },
    meta: { command: 'test', argv: ['x'], ...metaOverrides },
  });
  return {
    recorder,
    lines,
    parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    tick: (ms: number) => (now += ms),
    isClosed: () => closed,
  };
}

function fakeHandle(events: Subject<TorrentSessionEvent>): TorrentHandle {
  return { meta, events$: events.asObservable(), localPeerId: OUR_ID, limits: () => ({ pipelineDepth: 128, requestTimeoutMs: 30_000 }) } as unknown as TorrentHandle;
}

const snapshotEvent = (id: string, value: unknown, context: unknown = {}, status = 'active') =>
  ({ type: '@xstate.snapshot', actorRef: { id, sessionId: id }, snapshot: { value, context, status }, event: { type: 'X' }, rootId: 'x:0' }) as unknown as InspectionEvent;

test('the header comes first, with the torrent of the first attached handle; records made before it follow in order', async () => {
  const { recorder, parsed, tick } = setup();
  const taps = recorder.forSession('a');
  taps.inspect(snapshotEvent('server', 'listening'));
  tick(5);
  recorder.attach('a', fakeHandle(new Subject()));
  await recorder.close();
  const [header, first, second] = parsed();
  assert.equal(header!['kind'], 'meta');
  assert.deepEqual(
    [header!['command'], header!['infoHash'], header!['pieceLength'], header!['length'], header!['pieceCount'], header!['peerId']],
    ['test', meta.infoHashHex, 16_384, 40_000, 3, OUR_ID.toString('hex')],
  );
  assert.equal(header!['pipelineDepth'], 128);
  assert.deepEqual(first, { t: 0, seq: 0, node: 'a', kind: 'state', peer: null, dir: null, msg: { actor: 'server', value: 'listening' } });
  assert.deepEqual(Object.keys(second!), ['t', 'seq', 'node', 'kind', 'peer', 'dir', 'msg']);
  assert.deepEqual([second!['t'], second!['kind'], second!['msg']], [5, 'session', { infoHash: meta.infoHashHex, peerId: OUR_ID.toString('hex') }]);
});

test('wire messages: handshakes with hex ids, bitfields in hex, blocks as length and sha1, never raw bytes', async () => {
  const { recorder, lines, parsed } = setup({ infoHash: null });
  const tap = recorder.forSession('n').wireTap(meta, { key: '10.0.0.2:6881#1', address: '10.0.0.2:6881', direction: 'outgoing' })!;
  const block = Buffer.alloc(16_384, 0xab);
  const bigPayload = Buffer.alloc(5000, 0xcd);
  tap('out', { type: 'handshake-sent', init: { infoHash: meta.infoHash, peerId: OUR_ID, flags: { fastExtension: true, extensionProtocol: true } } });
  tap('in', { type: 'handshake', reserved: Buffer.from('0000000000100004', 'hex'), flags: { extensionProtocol: true, fastExtension: true, dht: false }, infoHash: meta.infoHash, peerId: THEIR_ID });
  tap('in', { type: 'bitfield', bitfield: Buffer.from([0xe0]) });
  tap('out', { type: 'request', index: 1, begin: 0, length: 16_384 });
  tap('in', { type: 'piece', index: 1, begin: 0, block });
  tap('in', { type: 'extended', id: 3, payload: bigPayload });
  tap('in', { type: 'extended', id: 0, payload: Buffer.from('de', 'hex') });
  await recorder.close();
  const text = lines.join('\n');
  assert.ok(!text.includes('abababab'), 'a block payload was written raw');
  assert.ok(!text.includes('cdcdcdcd'), 'a long extension payload was written raw');
  const records = parsed().slice(1);
  assert.deepEqual(records[0], { t: 0, seq: 0, node: 'n', kind: 'connection', peer: '10.0.0.2:6881#1', dir: 'out', msg: { address: '10.0.0.2:6881' } });
  const msgs = records.slice(1).map((r) => r['msg'] as Record<string, unknown>);
  assert.deepEqual(msgs[0], {
    type: 'handshake-sent',
    reserved: '0000000000100004',
    flags: { extensionProtocol: true, fastExtension: true, dht: false },
    infoHash: meta.infoHashHex,
    peerId: OUR_ID.toString('hex'),
  });
  assert.equal(msgs[1]!['peerId'], THEIR_ID.toString('hex'));
  assert.deepEqual(msgs[2], { type: 'bitfield', bitfield: 'e0' });
  assert.deepEqual(msgs[3], { type: 'request', index: 1, begin: 0, length: 16_384 });
  assert.deepEqual(msgs[4], { type: 'piece', index: 1, begin: 0, block: { length: 16_384, sha1: createHash('sha1').update(block).digest('hex') } });
  assert.deepEqual(msgs[5]!['payload'], { length: 5000, sha1: createHash('sha1').update(bigPayload).digest('hex') });
  assert.equal(msgs[6]!['payload'], 'de');
  assert.deepEqual(
    records.map((r) => r['dir']),
    ['out', 'out', 'in', 'in', 'out', 'in', 'in', 'in'],
  );
  // What the recorder writes, the reader accepts.
  assert.equal(parseTrace(`${lines.join('\n')}\n`).records.length, records.length);
});

test('actor states: one record per change of value, not per snapshot; a finished actor starts afresh', async () => {
  const { recorder, parsed } = setup({ infoHash: null });
  const { inspect } = recorder.forSession('n');
  inspect(snapshotEvent('peer-1', { active: 'a' }, { n: 1 }));
  inspect(snapshotEvent('peer-1', { active: 'a' }, { n: 2 }));
  inspect(snapshotEvent('peer-2', { active: 'a' }));
  inspect(snapshotEvent('peer-1', { active: 'b' }, { n: 3 }));
  inspect(snapshotEvent('peer-1', 'closed', {}, 'done'));
  inspect(snapshotEvent('peer-1', 'closed'));
  inspect({ type: '@xstate.event', actorRef: { id: 'peer-1' }, event: { type: 'X' } } as unknown as InspectionEvent);
  await recorder.close();
  const states = parsed()
    .slice(1)
    .map((r) => r['msg']);
  assert.deepEqual(states, [
    { actor: 'peer-1', value: { active: 'a' } },
    { actor: 'peer-2', value: { active: 'a' } },
    { actor: 'peer-1', value: { active: 'b' } },
    { actor: 'peer-1', value: 'closed' },
    { actor: 'peer-1', value: 'closed' },
  ]);
});

test('several nodes in one trace: each record names its node; seq counts over all, t follows the clock', async () => {
  const { recorder, parsed, tick, isClosed } = setup({ infoHash: null });
  const a = new Subject<TorrentSessionEvent>();
  const b = new Subject<TorrentSessionEvent>();
  recorder.attach('seeder', fakeHandle(a));
  recorder.attach('leecher', fakeHandle(b));
  tick(10);
  b.next({ type: 'piece-verified', index: 2, have: 1, total: 3 });
  tick(1);
  a.next({ type: 'tracker', event: { type: 'announce', url: 'http://t/announce', event: 'started' } });
  b.next({ type: 'piece-failed', index: 0, peers: ['x'] });
  b.next({ type: 'complete' });
  await recorder.close();
  a.next({ type: 'complete' });
  assert.ok(isClosed());
  const records = parsed().slice(1);
  assert.deepEqual(
    records.map((r) => [r['seq'], r['t'], r['node'], r['kind']]),
    [
      [0, 0, 'seeder', 'session'],
      [1, 0, 'leecher', 'session'],
      [2, 10, 'leecher', 'verify'],
      [3, 11, 'seeder', 'tracker'],
      [4, 11, 'leecher', 'verify'],
      [5, 11, 'leecher', 'event'],
    ],
  );
  assert.deepEqual(records[2]!['msg'], { result: 'verified', index: 2, have: 1, total: 3 });
  assert.deepEqual(records[4]!['msg'], { result: 'failed', index: 0, peers: ['x'] });
});

test('the generic serialiser: bytes anywhere become hex or a digest, collections become arrays, cycles are cut', () => {
  const cyclic: Record<string, unknown> = { name: 'c' };
  cyclic['self'] = cyclic;
  const value = serialise({ id: new Uint8Array([1, 2]), nested: { big: Buffer.alloc(2000) }, set: new Set([1]), map: new Map([['k', Buffer.from([255])]]), cyclic, n: NaN });
  assert.deepEqual(value, {
    id: '0102',
    nested: { big: { length: 2000, sha1: createHash('sha1').update(Buffer.alloc(2000)).digest('hex') } },
    set: [1],
    map: [['k', 'ff']],
    cyclic: { name: 'c', self: '[…]' },
    n: 'NaN',
  });
});
