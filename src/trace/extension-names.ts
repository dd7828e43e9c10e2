import { decodeExtendedHandshake } from '../protocol/extension/handshake.js';
import { UT_METADATA, decodeMetadataMessage } from '../protocol/extension/ut-metadata.js';
import { UT_PEX, decodePexMessage } from '../protocol/extension/ut-pex.js';
import { EXTENDED_HANDSHAKE_ID } from '../protocol/wire/index.js';
import { formatAddress } from '../util/socket-address.js';
import type { TappedMessage } from './wire-json.js';

/** What a trace line adds to an extended message: the extension's name and, for ut_pex and ut_metadata, what it carries. */
export interface ExtendedNote {
  ext: string;
  metadata?: { type: string; piece?: number };
  pex?: { added: { peer: string; flags: number }[]; dropped: string[] };
}

/**
 * Names one connection's extended messages for its trace, as the two ends agreed in their BEP 10
 * handshakes: a message we receive uses the id from our `m`, one we send the id from the peer's.
 * Decoding here is only for the reader: anything malformed is simply left unnamed.
 */
export function extendedNamer(): (direction: 'in' | 'out', message: TappedMessage) => ExtendedNote | undefined {
  const ours = new Map<number, string>();
  const theirs = new Map<number, string>();
  return (direction, message) => {
    if (message.type !== 'extended') return undefined;
    try {
      if (message.id === EXTENDED_HANDSHAKE_ID) {
        const ids = direction === 'out' ? ours : theirs;
        ids.clear();
        for (const [name, id] of decodeExtendedHandshake(message.payload).m) ids.set(id, name);
        return { ext: 'handshake' };
      }
      const name = (direction === 'in' ? ours : theirs).get(message.id);
      if (!name) return undefined;
      if (name === UT_METADATA) {
        const metadata = decodeMetadataMessage(message.payload);
        return { ext: name, metadata: metadata.type === 'unknown' ? { type: 'unknown' } : { type: metadata.type, piece: metadata.piece } };
      }
      if (name !== UT_PEX) return { ext: name };
      const pex = decodePexMessage(message.payload);
      return {
        ext: name,
        pex: {
          added: pex.added.map((p) => ({ peer: formatAddress(p.host, p.port), flags: p.flags })),
          dropped: pex.dropped.map((p) => formatAddress(p.host, p.port)),
        },
      };
    } catch {
      return undefined;
    }
  };
}
