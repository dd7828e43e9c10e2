/**
 * The trace file format (JSON lines). Line 1 is a `meta` header; every later line is a record
 * `{t, seq, node, kind, peer, dir, msg}` with its keys always in that order:
 *
 * - `t`: ms since the recorder started, on the injected clock (the simulator's clock gives
 *   byte-identical traces); `seq`: 0, 1, 2, … over the whole file.
 * - `node`: which session of the run (the CLI has one; the simulator many).
 * - `peer`: the connection's key (`address#n`, unique in its node), or null.
 * - `dir`: `in` / `out` for wire messages and connections (incoming / outgoing), else null.
 * - `msg`: plain JSON. Bytes are never written raw: block payloads as `{length, sha1}`, ids,
 *   bitfields and short buffers as hex, long ones as `{length, sha1}`.
 *
 * Kinds:
 * - `session`   a node's torrent was attached: `{infoHash, peerId}`
 * - `connection` a peer connection began (`dir` in = they dialled us): `{address}`, with
 *               `encryption: 'rc4' | 'mse-plaintext'` when it went through an MSE handshake,
 *               `transport: 'utp'` when it runs over uTP (TCP is left out)
 * - `wire`      one message; `msg.type` is the PeerMessage type, `handshake` (received) or
 *               `handshake-sent` (ours, `{infoHash, peerId, flags}`)
 * - `closed`    a connection ended: `{reason}`
 * - `verify`    a piece was hashed: `{result: 'verified'|'failed', index, …}`
 * - `tracker`   an announce: the torrent's tracker client events, or a tracker server's requests
 * - `state`     an actor's state value changed: `{actor, value}`
 * - `event`     any other torrent event (checked, complete, peer-banned, failed, …)
 */

export const TRACE_VERSION = 1;

export interface TraceMeta {
  kind: 'meta';
  version: number;
  /** `download`, `seed`, `tracker`, `sim`, … */
  command: string;
  argv: string[];
  /** The torrent of the first node attached (null for a tracker). */
  infoHash: string | null;
  name: string | null;
  pieceLength: number | null;
  length: number | null;
  pieceCount: number | null;
  /** The first node's peer id, hex. */
  peerId: string | null;
  /** ISO time of the clock's start (the simulator's clock starts at the epoch). */
  startedAt: string;
  /** Requests in flight per peer the engine allows (DownloadEngine's pipelineDepth). */
  pipelineDepth: number;
  /** After this long an unanswered request of ours is given up (DownloadEngine's requestTimeoutMs). */
  requestTimeoutMs: number;
  /** Anything the recording command adds (e.g. the simulator's seed). */
  [extra: string]: unknown;
}

export type TraceKind = 'session' | 'connection' | 'wire' | 'closed' | 'verify' | 'tracker' | 'state' | 'event';
export const TRACE_KINDS: readonly TraceKind[] = ['session', 'connection', 'wire', 'closed', 'verify', 'tracker', 'state', 'event'];

export interface TraceRecord {
  t: number;
  seq: number;
  node: string;
  kind: TraceKind;
  peer: string | null;
  dir: 'in' | 'out' | null;
  msg: { [key: string]: unknown };
}

/** The engine's defaults, written into every header so that checks use the numbers the run used. */
export const DEFAULT_PIPELINE_DEPTH = 128;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/** A block payload in a trace. */
export interface RecordedBlock {
  length: number;
  sha1: string;
}
