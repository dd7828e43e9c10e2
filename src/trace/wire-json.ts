import type { WireTap } from '../engine/peer-wire.js';
import { decodeReserved, encodeReserved } from '../protocol/wire/index.js';
import type { ExtendedNote } from './extension-names.js';
import { blockDigest, hexOf, serialise } from './serialise.js';

/**
 * One wire message as trace JSON: `type` first, then its fields in the codec's order; ids, reserved
 * bytes and bitfields as hex, block payloads as `{length, sha1}` (hashing is the one real cost of
 * tracing a transfer); an extended message with the extension's name (`ext`) when `note` gives it.
 */
export type TappedMessage = Parameters<WireTap>[1];

export function wireToJson(message: TappedMessage, note?: ExtendedNote): { [key: string]: unknown } {
  switch (message.type) {
    case 'piece':
      return { type: 'piece', index: message.index, begin: message.begin, block: blockDigest(message.block) };
    case 'bitfield':
      return { type: 'bitfield', bitfield: hexOf(message.bitfield) };
    case 'handshake':
      return { type: 'handshake', reserved: hexOf(message.reserved), flags: { ...message.flags }, infoHash: hexOf(message.infoHash), peerId: hexOf(message.peerId) };
    case 'handshake-sent': {
      const reserved = encodeReserved(message.init.flags ?? {}, message.init.reserved);
      return { type: 'handshake-sent', reserved: hexOf(reserved), flags: { ...decodeReserved(reserved) }, infoHash: hexOf(message.init.infoHash), peerId: hexOf(message.init.peerId) };
    }
    case 'extended':
      return { type: 'extended', id: message.id, ...note, payload: serialise(message.payload) };
    default:
      return { ...message };
  }
}
