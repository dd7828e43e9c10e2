import { inlineHasher } from '../env/hasher.js';
import { seededRng } from '../env/rng.js';
import { type TorrentHandle, Session } from '../session.js';
import { SimClock, settle } from '../sim/sim-clock.js';
import { MemoryStorage } from '../storage/memory-storage.js';
import type { TraceMeta, TraceRecord } from './format.js';
import { FakePeer, ReplayTransport } from './fake-peers.js';
import { type InvariantName, InvariantChecker, type Violation, piecesOfHex } from './invariants.js';
import { type LoadedTrace, TraceError } from './read-trace.js';
import { createTraceRecorder } from './recorder.js';
import { syntheticTorrent } from './synthetic-torrent.js';
import { byteLength, setBit } from '../util/bits.js';

/**
 * Replays a trace against the real actors: one recorded node is rebuilt as a real Session (on a
 * simulated clock, in-memory storage and sockets, a synthetic torrent of the same shape — see
 * synthetic-torrent.ts), and its recorded remote peers are played back by fake peers (fake-peers.ts)
 * at the recorded times. What the replayed node sends is recorded as a trace of its own and checked,
 * message by message, against the protocol invariants (invariants.ts). Before that, the same
 * invariants are checked on the recorded trace's own outbound messages.
 */

export interface ReplayOptions {
  /** Only check the recorded trace; do not run actorrent. */
  checkOnly?: boolean;
  /** Which node of a multi-node trace to replay; default: the first attached. */
  node?: string;
  /** Simulated time kept running after the last record, ms. Default 2000. */
  graceMs?: number;
  /** Every line of the replayed node's own trace (e.g. to a file). */
  traceLine?: (line: string) => void;
}

export interface CheckSummary {
  records: number;
  outbound: number;
  checked: Record<InvariantName, number>;
}

export interface ReplaySummary extends CheckSummary {
  node: string;
  peers: number;
  /** Recorded inbound messages sent to the replayed node, and those that could not be (nothing to answer, hashed payloads). */
  messagesReplayed: number;
  messagesSkipped: number;
  blocksAnswered: number;
  piecesVerified: number;
  pieceCount: number;
  simulatedMs: number;
}

export interface ReplayResult {
  /** The first violation: `recorded` in the trace itself, `replay` in what the replayed node sent (line = the trace line just replayed). */
  violation?: Violation & { phase: 'recorded' | 'replay' };
  recorded: CheckSummary;
  replay?: ReplaySummary;
}

/** Longest simulated run replay accepts (a hostile `t` must not make it spin for ever). */
export const MAX_REPLAY_MS = 24 * 3600 * 1000;

export function checkRecorded(trace: LoadedTrace): { violation?: Violation; summary: CheckSummary } {
  const checker = new InvariantChecker(limits(trace.meta));
  for (const { line, record } of trace.records) {
    const violation = checker.feed(record, line);
    if (violation) return { violation, summary: summaryOf(checker, trace.records.length) };
  }
  return { summary: summaryOf(checker, trace.records.length) };
}

export async function replayTrace(trace: LoadedTrace, options: ReplayOptions = {}): Promise<ReplayResult> {
  const recorded = checkRecorded(trace);
  if (recorded.violation) return { violation: { ...recorded.violation, phase: 'recorded' }, recorded: recorded.summary };
  if (options.checkOnly) return { recorded: recorded.summary };
  const replay = await runReplay(trace, options);
  return { recorded: recorded.summary, replay: replay.summary, violation: replay.violation && { ...replay.violation, phase: 'replay' } };
}

function limits(meta: TraceMeta) {
  return { pipelineDepth: meta.pipelineDepth, requestTimeoutMs: meta.requestTimeoutMs };
}

function summaryOf(checker: InvariantChecker, records: number): CheckSummary {
  return { records, outbound: checker.outbound, checked: { ...checker.checked } };
}

async function runReplay(trace: LoadedTrace, options: ReplayOptions): Promise<{ violation?: Violation; summary: ReplaySummary }> {
  const { meta } = trace;
  if (meta.length === null || meta.pieceLength === null) throw new TraceError(1, 'the trace describes no torrent (a tracker trace cannot be replayed; use --check-only)');
  const node = chooseNode(trace, options.node);
  const records = trace.records.filter(({ record }) => record.node === node);
  const last = records[records.length - 1];
  if (last && last.record.t > MAX_REPLAY_MS) throw new TraceError(last.line, `t ${last.record.t} is beyond the ${MAX_REPLAY_MS / 3_600_000} hours replay runs`);
  const torrent = syntheticTorrent({ length: meta.length, pieceLength: meta.pieceLength });
  const pieceCount = torrent.meta.pieceCount;
  const initialHave = initialPieces(records, pieceCount);
  const storage = new MemoryStorage(torrent.meta);
  await storage.prepare();
  for (const index of initialHave) await storage.write(index * torrent.meta.pieceLength, torrent.piece(index));

  const clock = new SimClock(0);
  const local = { host: '10.255.255.1', port: 6881 };
  const transport = new ReplayTransport(local);
  const checker = new InvariantChecker(limits(meta));
  let currentLine = 1;
  let violation: Violation | undefined;
  const recorder = createTraceRecorder({
    clock,
    meta: { command: 'replay', argv: [], infoHash: torrent.meta.infoHashHex },
    write: (line) => {
      options.traceLine?.(line);
      if (violation || line.startsWith('{"kind":"meta"')) return;
      const found = checker.feed(JSON.parse(line) as TraceRecord, currentLine);
      if (found) violation = found;
    },
  });
  const session = new Session({
    clock,
    transport,
    storage: { open: () => storage },
    rng: seededRng(1),
    peerId: Buffer.from(sessionPeerId(trace, node), 'hex'),
    // On the calling thread: the replay runs on simulated time.
    hasher: inlineHasher,
    host: local.host,
    port: local.port,
    ...recorder.forSession(node),
  });
  await session.listen();
  // Only a plain `download` stopped serving once complete; seeders, `download --seed` and simulated nodes kept on.
  const seed = !(meta.command === 'download' && !meta.argv.includes('--seed'));
  const handle: TorrentHandle = session.add(torrent.meta, {
    downloadDir: 'replay',
    seed,
    noTrackers: true,
    trustedHave: bitfieldOf(initialHave, pieceCount),
  });
  recorder.attach(node, handle);
  let piecesVerified = 0;
  handle.events$.subscribe((e) => {
    if (e.type === 'piece-verified') piecesVerified++;
  });

  const peers = new Map<string, FakePeer>();
  const allPeers: FakePeer[] = [];
  const settleTurns = () => settle(3);
  const peerFor = (record: TraceRecord, line: number, direction: 'in' | 'out', address: string) => {
    const fake = new FakePeer(parseAddress(address, line), torrent);
    peers.set(record.peer!, fake);
    allPeers.push(fake);
    if (direction === 'out') {
      transport.expectDial(fake);
      handle.addPeers([fake.address], 'replay');
    } else {
      transport.accept(fake);
    }
    return fake;
  };
  const flushAll = async () => {
    for (const fake of allPeers) await fake.flush(settleTurns);
  };

  try {
    for (let i = 0; i < records.length && !violation; ) {
      const t = records[i]!.record.t;
      if (t > clock.now()) await clock.advance(t - clock.now());
      for (; i < records.length && records[i]!.record.t === t && !violation; i++) {
        const { line, record } = records[i]!;
        currentLine = line;
        if (record.kind === 'connection') peerFor(record, line, record.dir!, String(record.msg['address'] ?? record.peer));
        else if (record.kind === 'closed') peers.get(record.peer!)?.enqueueClose();
        else if (record.kind === 'wire' && record.dir === 'in') {
          // A hand-written trace may skip the connection record: the peer then dials in.
          const fake = peers.get(record.peer!) ?? peerFor(record, line, 'in', record.peer!.replace(/#\d+$/, ''));
          fake.enqueue({ line, msg: record.msg });
          // Messages go out in trace order: a block answers requests made in reply to what came before it.
          await fake.flush(settleTurns);
        }
      }
      await flushAll();
      await settleTurns();
    }
    // Peers dialled late still get what was recorded for them; then the grace period.
    const end = clock.now() + (options.graceMs ?? 2000);
    while (!violation && clock.now() < end) {
      await clock.advance(Math.min(100, end - clock.now()));
      await flushAll();
    }
  } finally {
    await closeOnSimulatedTime(session, clock);
    await recorder.close();
  }

  let sent = 0;
  let skipped = 0;
  let blocksAnswered = 0;
  for (const fake of allPeers) {
    sent += fake.stats.sent;
    skipped += fake.stats.skipped + fake.pending;
    blocksAnswered += fake.stats.blocksAnswered;
  }
  return {
    violation,
    summary: {
      ...summaryOf(checker, records.length),
      node,
      peers: allPeers.length,
      messagesReplayed: sent,
      messagesSkipped: skipped,
      blocksAnswered,
      piecesVerified,
      pieceCount,
      simulatedMs: clock.now(),
    },
  };
}

/** Stopping waits on timers (the tracker's grace, flushes): keep simulated time moving until it is done. */
async function closeOnSimulatedTime(session: Session, clock: SimClock): Promise<void> {
  let done = false;
  const closing = session.close().finally(() => (done = true));
  for (let i = 0; i < 600 && !done; i++) await clock.advance(100);
  await closing;
}

function chooseNode(trace: LoadedTrace, wanted: string | undefined): string {
  const nodes: string[] = [];
  for (const { record } of trace.records) if (record.kind === 'session' && !nodes.includes(record.node)) nodes.push(record.node);
  if (wanted !== undefined) {
    if (!trace.records.some(({ record }) => record.node === wanted)) throw new TraceError(0, `no node ${JSON.stringify(wanted)} in the trace (nodes: ${nodes.join(', ') || 'none'})`);
    return wanted;
  }
  const first = nodes[0] ?? trace.records.find(({ record }) => record.kind === 'wire')?.record.node;
  if (first === undefined) throw new TraceError(0, 'the trace has no session and no wire messages: nothing to replay');
  return first;
}

function sessionPeerId(trace: LoadedTrace, node: string): string {
  const session = trace.records.find(({ record }) => record.kind === 'session' && record.node === node);
  const id = session?.record.msg['peerId'];
  if (typeof id === 'string' && /^[0-9a-f]{40}$/.test(id)) return id;
  return trace.meta.peerId ?? Buffer.from('-AC0001-replay-peer-').toString('hex');
}

/** What the node had at the start: its first announcement to any peer (bitfield, have-all, have-none), else nothing. */
function initialPieces(records: { record: TraceRecord }[], pieceCount: number): number[] {
  for (const { record } of records) {
    if (record.kind !== 'wire' || record.dir !== 'out') continue;
    const type = record.msg['type'];
    if (type === 'have-all') return Array.from({ length: pieceCount }, (_, i) => i);
    if (type === 'have-none') return [];
    if (type === 'bitfield') return [...piecesOfHex(String(record.msg['bitfield']))].filter((i) => i < pieceCount);
  }
  return [];
}

function bitfieldOf(pieces: number[], pieceCount: number): Uint8Array {
  const bits = new Uint8Array(byteLength(pieceCount));
  for (const i of pieces) setBit(bits, i);
  return bits;
}

function parseAddress(address: string, line: number): { host: string; port: number } {
  const at = address.lastIndexOf(':');
  const host = address.slice(0, at).replace(/^\[(.*)\]$/, '$1');
  const port = Number(address.slice(at + 1));
  if (at <= 0 || !Number.isInteger(port) || port < 0 || port > 65535) throw new TraceError(line, `bad peer address ${JSON.stringify(address)}`);
  return { host, port };
}
