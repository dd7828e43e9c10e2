import { req2Hash } from './keys.js';

/**
 * B's lookup of the torrent an encrypted handshake names: HASH('req2', infohash) of each torrent we
 * serve, computed once per infohash (a session serves many torrents on one port).
 */
export function createSkeyLookup(infoHashesHex: () => Iterable<string>): (req2: Buffer) => Buffer | undefined {
  const req2ByInfoHash = new Map<string, Buffer>();
  return (req2) => {
    for (const hex of infoHashesHex()) {
      let hash = req2ByInfoHash.get(hex);
      if (!hash) req2ByInfoHash.set(hex, (hash = req2Hash(Buffer.from(hex, 'hex'))));
      if (hash.equals(req2)) return Buffer.from(hex, 'hex');
    }
    return undefined;
  };
}
