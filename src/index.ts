/** actorrent as a library: a Session runs torrents; the protocol layer is usable on its own. */
export {
  Session,
  TorrentHandle,
  type AddTorrentOptions,
  type FileProgress,
  type PeerInfo,
  type PieceView,
  type SessionOptions,
  type TorrentProgress,
  type TorrentSessionEvent,
  type TorrentState,
  type TransferStats,
} from './session.js';
export type { ResumeVerdict } from './storage/resume-file.js';
export { piecePriorities, type FilePieces } from './policy/file-priorities.js';
export type { PiecePriority } from './policy/piece-picker.js';
export type { WireTap } from './engine/peer-wire.js';
export type { ServerEmitted } from './actors/server.js';
export { parseTorrent, type Metainfo, type TorrentFile, MetainfoError } from './protocol/metainfo/index.js';
export { parseMagnet, formatMagnet, type Magnet, MagnetError } from './protocol/magnet.js';
export { ProtocolError } from './protocol/errors.js';
export { createTorrentFromPath, type CreateOptions } from './storage/create-torrent.js';
export { fsStorageFactory } from './storage/fs-storage.js';
export { memoryStorageFactory } from './storage/memory-storage.js';
export type { StorageFactory, TorrentStorage } from './storage/storage.js';
export { systemClock, type Clock } from './env/clock.js';
export { tcpTransport, type Transport } from './env/transport.js';
export { udpLsdSocket, type LsdSocket, type LsdSocketFactory, type LsdDatagram } from './env/lsd-socket.js';
export type { LsdEmitted } from './actors/lsd.js';
export { decodeLsdAnnounce, encodeLsdAnnounce, LsdError, type LsdAnnounce } from './protocol/lsd.js';
export { machineToMermaid } from './diagrams/mermaid.js';
// The simulator and traces, for tests of your own: a swarm on simulated time and network, recorded and replayed.
export { SimClock } from './sim/sim-clock.js';
export { SimNetwork, type LinkProfile, type HostOptions } from './sim/sim-network.js';
export { LsdLan } from './sim/lsd-lan.js';
export { runSimulation, runUntilSettled } from './sim/scheduler.js';
export { Swarm, runScenario, type SimResult } from './sim/swarm.js';
export type { ScenarioSpec } from './sim/scenario.js';
export { createTraceRecorder, type TraceRecorder } from './trace/recorder.js';
export { readTrace, parseTrace, TraceError, type LoadedTrace } from './trace/read-trace.js';
export { checkRecorded, replayTrace, type ReplayResult } from './trace/replay.js';
