import { UT_METADATA, decodeMetadataMessage, encodeMetadataMessage } from '../protocol/extension/ut-metadata.js';
import type { MetadataAssembly, PieceOutcome } from './metadata-assembly.js';
import { UT_METADATA_LOCAL_ID } from './metadata-server.js';
import type { Extension, ExtensionPeer } from './peer-extensions.js';

/**
 * ut_metadata on the fetching side (a magnet link): stores the pieces peers send into the
 * assembly and tells the MetadataFetch machine what happened; the machine decides what to ask next.
 */

export type MetadataFetchSignal =
  /** A peer's extension handshake: the size it offers, or undefined when it does not serve metadata. */
  | { type: 'METADATA.OFFER'; key: string; size?: number }
  | { type: 'METADATA.PIECE'; key: string; piece: number; outcome: PieceOutcome }
  | { type: 'METADATA.REJECTED'; key: string; piece: number };

export function metadataFetcher(assembly: () => MetadataAssembly | undefined, signal: (event: MetadataFetchSignal) => void): Extension {
  return {
    name: UT_METADATA,
    localId: UT_METADATA_LOCAL_ID,
    peerReady(peer: ExtensionPeer) {
      signal({ type: 'METADATA.OFFER', key: peer.key, size: peer.supports(UT_METADATA) ? peer.remote.metadataSize : undefined });
    },
    receive(peer: ExtensionPeer, payload: Buffer) {
      const message = decodeMetadataMessage(payload);
      switch (message.type) {
        case 'request':
          // We have nothing to serve yet.
          peer.send(UT_METADATA, encodeMetadataMessage({ type: 'reject', piece: message.piece }));
          return;
        case 'data': {
          const outcome = assembly()?.store(peer.key, message.piece, message.data) ?? 'unrequested';
          signal({ type: 'METADATA.PIECE', key: peer.key, piece: message.piece, outcome });
          return;
        }
        case 'reject':
          assembly()?.reject(peer.key, message.piece);
          signal({ type: 'METADATA.REJECTED', key: peer.key, piece: message.piece });
          return;
        case 'unknown':
          return;
      }
    },
  };
}

/** A request for one piece, as sent to a peer. */
export function requestMetadataPiece(peer: ExtensionPeer, piece: number): boolean {
  return peer.send(UT_METADATA, encodeMetadataMessage({ type: 'request', piece }));
}
