import { type DecodedPexMessage, UT_PEX, decodePexMessage } from '../protocol/extension/ut-pex.js';
import type { Extension, ExtensionPeer } from './peer-extensions.js';

/** The id peers send ut_pex to us with (libtorrent uses 1 too). */
export const UT_PEX_LOCAL_ID = 1;

/** What the ut_pex extension tells whoever decides about PEX (the torrent's Pex actor). */
export type PexInboxEvent =
  /** The peer's extension handshake says it speaks ut_pex: we may send it messages. */
  | { type: 'PEX.READY'; peer: ExtensionPeer }
  /** It no longer does (a later handshake), or the connection closed. */
  | { type: 'PEX.GONE'; key: string }
  | { type: 'PEX.RECEIVED'; peer: ExtensionPeer; message: DecodedPexMessage };

export interface PexInbox {
  send(event: PexInboxEvent): void;
}

export interface PexExtension extends Extension {
  /** Routes what the extension hears to `inbox` until the returned function is called. */
  bind(inbox: PexInbox): () => void;
}

/**
 * BEP 11 as a hub extension: decodes each ut_pex message (a malformed one closes the connection,
 * through the hub) and passes it on; the decisions (what to tell whom, when, and what to believe)
 * are the Pex actor's. Until an inbox is bound, messages are dropped.
 */
export function pexExtension(): PexExtension {
  let inbox: PexInbox | undefined;
  return {
    name: UT_PEX,
    localId: UT_PEX_LOCAL_ID,
    bind(target: PexInbox) {
      inbox = target;
      return () => {
        if (inbox === target) inbox = undefined;
      };
    },
    peerReady(peer: ExtensionPeer) {
      inbox?.send(peer.supports(UT_PEX) ? { type: 'PEX.READY', peer } : { type: 'PEX.GONE', key: peer.key });
    },
    receive(peer: ExtensionPeer, payload: Buffer) {
      const message = decodePexMessage(payload);
      inbox?.send({ type: 'PEX.RECEIVED', peer, message });
    },
    peerGone(peer: ExtensionPeer) {
      inbox?.send({ type: 'PEX.GONE', key: peer.key });
    },
  };
}

export function isPexExtension(extension: Extension): extension is PexExtension {
  return extension.name === UT_PEX && typeof (extension as Partial<PexExtension>).bind === 'function';
}
