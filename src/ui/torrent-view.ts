import type { TorrentHandle } from '../session.js';

/**
 * One torrent as the dashboard shows it, read from the TorrentHandle on each tick: progress and
 * rates, the peers with their four choke / interest flags, and the piece map.
 */
export interface PeerView {
  address: string;
  direction: 'incoming' | 'outgoing';
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
}

/** One character per piece: h have, v verifying, p partial (blocks in flight), m missing, - not wanted. */
export type PieceMap = string;

export function torrentView(id: string, label: string, handle: TorrentHandle): TorrentView {
  const progress = handle.progress();
  const { context } = handle.actor.getSnapshot();
  const now = context.clock.now();
  const peers: PeerView[] = [];
  for (const entry of context.peers.values()) {
    const snapshot = entry.actor.getSnapshot();
    const value = snapshot.value;
    peers.push({
      address: entry.address,
      direction: entry.direction,
      client: entry.handle?.client ?? snapshot.context.client,
      state: typeof value === 'string' ? value : Object.keys(value)[0]!,
      amChoking: !snapshot.matches({ active: { amChoking: 'unchoked' } }),
      amInterested: snapshot.matches({ active: { amInterested: 'yes' } }),
      peerChoking: !snapshot.matches({ active: { peerChoking: 'unchoked' } }),
      peerInterested: snapshot.matches({ active: { peerInterested: 'yes' } }),
      downloadRate: entry.wire.download.rate(now),
      uploadRate: entry.wire.upload.rate(now),
      downloaded: entry.wire.download.totalBytes,
      uploaded: entry.wire.upload.totalBytes,
    });
  }
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
  };
}

const PIECE_CODES: Record<string, string> = { have: 'h', verifying: 'v', partial: 'p', untouched: 'm' };

export function pieceMap(handle: TorrentHandle): PieceMap {
  const { picker } = handle.actor.getSnapshot().context;
  const codes = new Array<string>(handle.meta.pieceCount);
  for (let i = 0; i < codes.length; i++) {
    const state = picker.state(i);
    codes[i] = state === 'untouched' && !picker.isWanted(i) ? '-' : PIECE_CODES[state]!;
  }
  return codes.join('');
}
