import {
  METADATA_PIECE_SIZE,
  UT_METADATA,
  decodeMetadataMessage,
  encodeMetadataMessage,
  metadataPieceCount,
} from '../protocol/extension/ut-metadata.js';
import type { Extension, ExtensionPeer } from './peer-extensions.js';

/** The id peers send ut_metadata to us with (libtorrent uses 2 too). */
export const UT_METADATA_LOCAL_ID = 2;

/**
 * Serves our info dictionary over BEP 9 to peers fetching it from a magnet link. Each request is a
 * 16 KiB answer to a ~30-byte message, so a connection gets at most `answersPerPeer` answers
 * (enough to fetch the whole dictionary a few times over); after that its requests are rejected.
 */
export function metadataServer(infoBytes: Buffer, options: { answersPerPeer?: number } = {}): Extension {
  const pieces = metadataPieceCount(infoBytes.length);
  const allowance = options.answersPerPeer ?? pieces * 4 + 8;
  const answered = new Map<string, number>();
  return {
    name: UT_METADATA,
    localId: UT_METADATA_LOCAL_ID,
    handshakeFields: () => ({ metadataSize: infoBytes.length }),
    receive(peer: ExtensionPeer, payload: Buffer) {
      const message = decodeMetadataMessage(payload);
      // Data and rejects we never asked for are ignored: a torrent that has its metadata asks nobody.
      if (message.type !== 'request') return;
      const count = answered.get(peer.key) ?? 0;
      if (message.piece >= pieces || count >= allowance) {
        peer.send(UT_METADATA, encodeMetadataMessage({ type: 'reject', piece: message.piece }));
        return;
      }
      answered.set(peer.key, count + 1);
      const start = message.piece * METADATA_PIECE_SIZE;
      const data = infoBytes.subarray(start, start + METADATA_PIECE_SIZE);
      peer.send(UT_METADATA, encodeMetadataMessage({ type: 'data', piece: message.piece, totalSize: infoBytes.length, data }));
    },
    peerGone(peer: ExtensionPeer) {
      answered.delete(peer.key);
    },
  };
}
