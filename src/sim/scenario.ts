import type { EncryptionMode } from '../policy/encryption.js';
import type { LinkProfile } from './sim-network.js';

/** One simulated peer: a real Session on its own host. Times are simulated ms from the start. */
export interface SimPeerSpec {
  name: string;
  role: 'seeder' | 'leecher';
  /** Host address; default 10.0.0.N in order. */
  address?: string;
  /** The host's uplink and downlink, bytes/s; undefined = unlimited. */
  upload?: number;
  download?: number;
  /** Session rate limits (`--upload-limit`, `--download-limit`), bytes/s. */
  uploadLimit?: number;
  downloadLimit?: number;
  maxPeers?: number;
  /** Delay of every disk read and write, ms. */
  diskLatencyMs?: number;
  joinAtMs?: number;
  /** Drops off the network at this time (connections reset) and stops. */
  leaveAtMs?: number;
  /** Whom it is told about when it joins: every present peer (default), the seeders only, or nobody. */
  dial?: 'everyone' | 'seeders' | 'nobody';
  /** Message Stream Encryption; default the scenario's. */
  encryption?: EncryptionMode;
}

/** A scripted fake seeder that serves wrong bytes for the blocks `corruptBlock` picks. */
export interface CorruptPeerSpec {
  name: string;
  upload?: number;
  corruptBlock: (piece: number, block: number) => boolean;
}

/** An attacker host that holds idle connections (never a byte sent) to one peer, reopened when closed. */
export interface IdleFloodSpec {
  name: string;
  /** The peer it floods (by name). */
  target: string;
  connections: number;
  startAtMs?: number;
  /** Wait after a connection is closed or refused before opening it again. Default 1 s. */
  reopenAfterMs?: number;
}

export interface ScenarioSpec {
  name: string;
  seed: number;
  /** Payload bytes (one file). */
  size: number;
  pieceLength: number;
  /** The default link between any two hosts. */
  link: LinkProfile;
  /** Links that differ, by peer names ('*' = anyone). */
  links?: { between: [string, string]; profile: LinkProfile }[];
  peers: SimPeerSpec[];
  /**
   * Run actorrent's tracker server on the simulated network (at 10.8.0.1:6969) and put it in the
   * torrent: peers then find each other only through it. Default: no tracker, each joining peer is
   * handed the peers present (`addPeers`).
   */
  tracker?: { protocol: 'http' | 'udp'; intervalS?: number };
  corruptPeers?: CorruptPeerSpec[];
  idleFloods?: IdleFloodSpec[];
  /**
   * Peers' disks: `payload` (default) keeps one copy of the payload for all and a bitmap per peer;
   * `memory` gives each a MemoryStorage (its own copy of every byte it downloads).
   */
  storage?: 'payload' | 'memory';
  /** BEP 11 peer exchange between the peers; default on. */
  pex?: boolean;
  /** Local Service Discovery (BEP 14) on the simulated LAN: every host hears every announce. */
  lsd?: boolean;
  /** Leechers start from a magnet link: the info dictionary first, over ut_metadata (BEP 9), from whoever has it. */
  magnet?: boolean;
  /** Simulated ms after which the run stops even if leechers are missing pieces. */
  deadlineMs: number;
  /** Every peer's Message Stream Encryption mode unless it names its own; default the Session's (disable). */
  encryption?: EncryptionMode;
}
