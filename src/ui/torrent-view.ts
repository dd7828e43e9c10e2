import type { Session, TorrentHandle } from '../session.js';

/**
 * One torrent as the dashboard shows it, read from the TorrentHandle on each tick: progress and
 * rates, the peers with their four choke / interest flags, and the piece map.
 */
export interface PeerView {
  address: string;
  direction: 'incoming' | 'outgoing';
  /** TCP or uTP. */
  transport: 'tcp' | 'utp';
  /** Where we learned of the peer (tracker, pex, lsd, manual…), or `incoming`. */
  source: string;
  client?: string;
  /** The peer actor's top state: handshaking, active, closed. */
  state: string;
  amChoking: boolean;
  amInterested: boolean;
  peerChoking: boolean;
  peerInterested: boolean;
  downloadRate: number;
  uploadRate: number;
  downloaded: number;
  uploaded: number;
}

export interface TorrentView {
  id: string;
  label: string;
  name: string;
  infoHash: string;
  state: string;
  have: number;
  total: number;
  pieceCount: number;
  downloaded: number;
  uploaded: number;
  downloadRate: number;
  uploadRate: number;
  peers: PeerView[];
  /** The session's incoming connections: handed to a torrent, refused, evicted before their handshake. */
  incoming?: { accepted: number; rejected: number; evicted: number };
}

/** One character per piece: h have, v verifying, p partial (blocks in flight), m missing, - not wanted. */
export type PieceMap = string;

export function torrentView(id: string, label: string, handle: TorrentHandle, session?: Session): TorrentView {
  const progress = handle.progress();
  const peers: PeerView[] = handle.peers().map((peer) => ({
    address: peer.address,
    direction: peer.direction,
    transport: peer.transport,
    source: peer.source,
    client: peer.client,
    state: peer.stage,
    amChoking: peer.amChoking,
    amInterested: peer.amInterested,
    peerChoking: peer.peerChoking,
    peerInterested: peer.peerInterested,
    downloadRate: peer.downloadRate,
    uploadRate: peer.uploadRate,
    downloaded: peer.downloaded,
    uploaded: peer.uploaded,
  }));
  return {
    id,
    label,
    name: handle.meta.name,
    infoHash: handle.meta.infoHashHex,
    state: progress.state,
    have: progress.have,
    total: progress.total,
    pieceCount: handle.meta.pieceCount,
    downloaded: progress.downloaded,
    uploaded: progress.uploaded,
    downloadRate: progress.downloadRate,
    uploadRate: progress.uploadRate,
    peers,
    incoming: session && incomingOf(session),
  };
}

const PIECE_CODES: Record<string, string> = { have: 'h', verifying: 'v', partial: 'p', untouched: 'm' };

export function pieceMap(handle: TorrentHandle): PieceMap {
  return handle
    .pieces()
    .map(({ state, wanted }) => (state === 'untouched' && !wanted ? '-' : PIECE_CODES[state]!))
    .join('');
}

function incomingOf(session: Session): TorrentView['incoming'] {
  const { accepted, rejected, evicted } = session.serverStats();
  return { accepted, rejected, evicted };
}
