import type { InspectionEvent } from 'xstate';
import type { Subscription } from 'rxjs';
import type { SessionOptions, TorrentHandle, TorrentSessionEvent } from '../session.js';
import { DEFAULT_PIPELINE_DEPTH, DEFAULT_REQUEST_TIMEOUT_MS, TRACE_VERSION, type TraceKind, type TraceMeta, type TraceRecord } from './format.js';
import { hexOf, serialise } from './serialise.js';
import { trackerRequestRecord } from './tracker-requests.js';
import { extendedNamer } from './extension-names.js';
import { wireToJson } from './wire-json.js';

/**
 * Records sessions into a trace (format: ./format.ts). API:
 *
 * ```ts
 * const recorder = createTraceRecorder({ clock, write: (line) => …, close: async () => …, meta: { command: 'sim', argv } });
 * const session = new Session({ clock, …, ...recorder.forSession('leecher-3') });   // wire messages, actor states
 * recorder.attach('leecher-3', session.add(meta, …));                              // verifications, announces, closes
 * recorder.record('tracker', 'tracker', null, null, { … });                        // anything else, e.g. a tracker's requests
 * await recorder.close();                                                          // header (if not yet), then the sink's close
 * ```
 *
 * Deterministic given a deterministic clock: `t` comes only from `clock.now()`, `seq` counts lines,
 * keys are written in a fixed order and no ids are made up. The header is written when the first
 * torrent is attached (it describes that torrent) or at once when `meta.infoHash` is given (even
 * null, as for a tracker); records made before it are held until then.
 * Every `write` gets one complete line without its newline.
 */

export interface TraceRecorderOptions {
  clock?: { now(): number };
  write(line: string): void;
  /** Called by close() after the last line. */
  close?(): Promise<void>;
  /** `command` at least; the torrent's fields are filled from the first attached handle. */
  meta: Partial<Omit<TraceMeta, 'kind' | 'version'>> & { command: string };
}

/** Assignable to `Pick<SessionOptions, 'inspect' | 'wireTap'>`. */
export interface TraceSessionOptions {
  inspect: (event: InspectionEvent) => void;
  wireTap: NonNullable<SessionOptions['wireTap']>;
}

export interface TraceRecorder {
  /** Session options that record one node's wire messages and actor state changes. */
  forSession(label: string): TraceSessionOptions;
  /** Records the torrent's verifications, tracker announces, closed connections and other events. */
  attach(label: string, handle: TorrentHandle): void;
  /** Adds one record (the simulator's and the tracker's own events). */
  record(node: string, kind: TraceKind, peer: string | null, dir: 'in' | 'out' | null, msg: { [key: string]: unknown }): void;
  /** Lines written so far (header included). */
  readonly lines: number;
  close(): Promise<void>;
}

const systemNow = { now: () => Date.now() };

export function createTraceRecorder(options: TraceRecorderOptions): TraceRecorder {
  const clock = options.clock ?? systemNow;
  const start = clock.now();
  let seq = 0;
  let lines = 0;
  let header: TraceMeta | undefined;
  let held: string[] | undefined = [];
  let closed = false;
  const subscriptions: Subscription[] = [];
  /** Per node: each actor's last state value (JSON), and the key of the latest connection to each address. */
  const states = new Map<string, Map<string, string>>();
  const keysByAddress = new Map<string, Map<string, string>>();

  const meta: TraceMeta = {
    kind: 'meta',
    version: TRACE_VERSION,
    ...{ command: '', argv: [] },
    infoHash: null,
    name: null,
    pieceLength: null,
    length: null,
    pieceCount: null,
    peerId: null,
    startedAt: new Date(start).toISOString(),
    pipelineDepth: DEFAULT_PIPELINE_DEPTH,
    requestTimeoutMs: DEFAULT_REQUEST_TIMEOUT_MS,
    ...options.meta,
  };

  const writeLine = (line: string) => {
    lines++;
    options.write(line);
  };
  const writeHeader = () => {
    if (header) return;
    header = meta;
    writeLine(JSON.stringify(meta));
    for (const line of held!) writeLine(line);
    held = undefined;
  };
  if ('infoHash' in options.meta) writeHeader();

  const record: TraceRecorder['record'] = (node, kind, peer, dir, msg) => {
    if (closed) return;
    const entry: TraceRecord = { t: clock.now() - start, seq: seq++, node, kind, peer, dir, msg };
    const line = JSON.stringify(entry);
    if (held) held.push(line);
    else writeLine(line);
  };
  /** An observer must never break what it observes: a failure here loses a record, not a connection. */
  const safely =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A): void => {
      try {
        fn(...args);
      } catch {
        // Dropped.
      }
    };

  const onInspect = (node: string, event: InspectionEvent) => {
    if (event.type === '@xstate.event') {
      const request = trackerRequestRecord(event);
      if (request) record(node, 'tracker', null, null, request);
      return;
    }
    if (event.type !== '@xstate.snapshot') return;
    const snapshot = event.snapshot as { value?: unknown; status?: string };
    if (snapshot.value === undefined) return;
    const id = actorId(event.actorRef);
    let last = states.get(node);
    if (!last) states.set(node, (last = new Map()));
    const value = JSON.stringify(serialise(snapshot.value));
    if (last.get(id) !== value) {
      last.set(id, value);
      record(node, 'state', null, null, { actor: id, value: JSON.parse(value) as unknown });
    }
    // A finished actor's id may be reused by a later one (a reconnecting peer): start afresh.
    if (snapshot.status !== undefined && snapshot.status !== 'active') last.delete(id);
  };

  const onEvent = (node: string, event: TorrentSessionEvent) => {
    switch (event.type) {
      case 'piece-verified':
        return record(node, 'verify', null, null, { result: 'verified', index: event.index, have: event.have, total: event.total });
      case 'piece-failed':
        return record(node, 'verify', null, null, { result: 'failed', index: event.index, peers: [...event.peers] });
      case 'tracker':
        return record(node, 'tracker', null, null, serialise(event.event) as { [key: string]: unknown });
      case 'peer-closed': {
        const key = keysByAddress.get(node)?.get(event.address) ?? event.address;
        return record(node, 'closed', key, null, { address: event.address, reason: event.reason });
      }
      default:
        return record(node, 'event', null, null, serialise(event) as { [key: string]: unknown });
    }
  };

  return {
    forSession(label) {
      return {
        inspect: safely((event: InspectionEvent) => onInspect(label, event)),
        wireTap: (_torrent, peer) => {
          let byAddress = keysByAddress.get(label);
          if (!byAddress) keysByAddress.set(label, (byAddress = new Map()));
          byAddress.set(peer.address, peer.key);
          // Which encryption the connection uses, when it went through an MSE handshake.
          const encryption = peer.encryption ? { encryption: peer.encryption } : {};
          // And uTP when it is the transport (TCP, the default, is left out so older traces read the same).
          const transport = peer.transport ? { transport: peer.transport } : {};
          record(label, 'connection', peer.key, peer.direction === 'incoming' ? 'in' : 'out', { address: peer.address, ...encryption, ...transport });
          const nameExtended = extendedNamer();
          return safely((direction, message) => record(label, 'wire', peer.key, direction, wireToJson(message, nameExtended(direction, message))));
        },
      };
    },
    attach(label, handle) {
      const peerId = hexOf(handle.localPeerId);
      if (!header) {
        const m = handle.meta;
        Object.assign(meta, { infoHash: m.infoHashHex, name: m.name, pieceLength: m.pieceLength, length: m.length, pieceCount: m.pieceCount, peerId }, handle.limits(), options.meta);
        writeHeader();
      }
      record(label, 'session', null, null, { infoHash: handle.meta.infoHashHex, peerId });
      subscriptions.push(handle.events$.subscribe(safely((event: TorrentSessionEvent) => onEvent(label, event))));
    },
    record,
    get lines() {
      return lines;
    },
    async close() {
      if (closed) return;
      for (const s of subscriptions.splice(0)) s.unsubscribe();
      writeHeader();
      closed = true;
      await options.close?.();
    },
  };
}

/** A stable name for an actor: its id, or for a root actor (whose id is a per-run session id) its machine's id. */
function actorId(actorRef: InspectionEvent['actorRef']): string {
  const ref = actorRef as { id?: unknown; sessionId?: unknown; logic?: unknown };
  const id = String(ref.id ?? ref.sessionId);
  if (!/^x:\d+$/.test(id)) return id;
  const logicId = (ref.logic as { id?: unknown } | undefined)?.id;
  return typeof logicId === 'string' ? logicId : id;
}
