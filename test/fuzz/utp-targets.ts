import { ST_DATA, ST_FIN, ST_RESET, ST_STATE, ST_SYN, buildSack, decodeUtpPacket, encodeUtpPacket, sackedSeqs } from '../../src/protocol/utp/index.js';

/**
 * The uTP decoder (src/protocol/utp/packet.ts) fed every packet type, with and without a selective
 * ack, and libutp's SYN extension; what decodes is read to the end (sack bits listed), so a view
 * past the datagram would show.
 */
const base = { connectionId: 0x1234, timestampMicros: 0x01020304, timestampDiffMicros: 99, windowSize: 1 << 20, seqNr: 0xfffe, ackNr: 3 };
const sack = buildSack(64, (k) => k % 3 === 0)!;
const withUnknownExtension = (() => {
  const head = encodeUtpPacket({ ...base, type: ST_SYN });
  head[1] = 2;
  return Buffer.concat([head, Buffer.from([0, 8, 0, 0, 0, 0, 0, 0, 0, 0])]);
})();

const samples = [
  encodeUtpPacket({ ...base, type: ST_SYN }),
  encodeUtpPacket({ ...base, type: ST_STATE }, undefined, sack),
  encodeUtpPacket({ ...base, type: ST_DATA }, Buffer.from('payload bytes of a data packet')),
  encodeUtpPacket({ ...base, type: ST_DATA }, Buffer.alloc(64, 7), sack),
  encodeUtpPacket({ ...base, type: ST_FIN }),
  encodeUtpPacket({ ...base, type: ST_RESET }),
  withUnknownExtension,
];

export const utpTargets = [
  {
    name: 'utp-packet',
    samples,
    decoder: (input: Buffer) => {
      const p = decodeUtpPacket(input);
      return [p.payload.length, p.sack ? sackedSeqs(p.ackNr, p.sack).length : 0];
    },
    maxRandomLength: 80,
  },
];
