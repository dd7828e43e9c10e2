import { fromCallback } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { DhtSocket } from '../env/dht-socket.js';
import { DEFAULT_INTAKE, Intake, type IntakeOptions } from '../dht/intake.js';
import { KrpcError, type KrpcMessage, MAX_KRPC_BYTES, type PeerContact, decodeKrpc } from '../protocol/krpc/index.js';
import { messageOf } from '../util/message-of.js';

/*
 * The DHT node's ear: reads the UDP socket and hands the machine only messages that pass the intake
 * limits (src/dht/intake.ts) and decode. The limits come before any parsing, so a flood costs a
 * bucket check per datagram, not a machine transition. A malformed query whose transaction id
 * could be read is passed on (it gets a KRPC error); other garbage is only counted, and the counts
 * are reported at most once a second.
 */

export type DhtListenerEvent =
  | { type: 'DATAGRAM.QUERY'; from: PeerContact; message: Extract<KrpcMessage, { y: 'q' }> }
  | { type: 'DATAGRAM.REPLY'; from: PeerContact; message: Extract<KrpcMessage, { y: 'r' }> }
  | { type: 'DATAGRAM.ERROR'; from: PeerContact; message: Extract<KrpcMessage, { y: 'e' }> }
  | { type: 'DATAGRAM.BAD_QUERY'; from: PeerContact; t: Buffer; reason: string }
  | { type: 'DROPPED'; rateLimited: number; malformed: number }
  | { type: 'SOCKET_ERROR'; message: string };

export interface DhtListenerInput {
  socket: DhtSocket;
  clock: Clock;
  intake?: Partial<IntakeOptions>;
}

const REPORT_EVERY_MS = 1000;

export const dhtListener = fromCallback<DhtListenerEvent, DhtListenerInput>(({ input, sendBack }) => {
  const { socket, clock } = input;
  const intake = new Intake(clock.now(), { ...DEFAULT_INTAKE, ...input.intake });
  const dropped = { rateLimited: 0, malformed: 0 };
  let report: unknown;
  const countDrop = (kind: keyof typeof dropped) => {
    dropped[kind]++;
    report ??= clock.setTimeout(() => {
      report = undefined;
      sendBack({ type: 'DROPPED', ...dropped });
      dropped.rateLimited = 0;
      dropped.malformed = 0;
    }, REPORT_EVERY_MS);
  };

  const stopListening = socket.onDatagram(({ data, host, port }) => {
    if (intake.admit(host, clock.now()) !== 'accepted') return countDrop('rateLimited');
    // KRPC is a bencoded dictionary: anything else (uTP, later, on this port) is not ours.
    if (data.length > MAX_KRPC_BYTES || data[0] !== 0x64) return countDrop('malformed');
    const from = { host, port };
    let message: KrpcMessage;
    try {
      message = decodeKrpc(data);
    } catch (err) {
      if (!(err instanceof KrpcError)) throw err;
      countDrop('malformed');
      if (err.wasQuery && err.transactionId) sendBack({ type: 'DATAGRAM.BAD_QUERY', from, t: err.transactionId, reason: err.message });
      return;
    }
    if (message.y === 'q') sendBack({ type: 'DATAGRAM.QUERY', from, message });
    else if (message.y === 'r') sendBack({ type: 'DATAGRAM.REPLY', from, message });
    else sendBack({ type: 'DATAGRAM.ERROR', from, message });
  });
  const stopErrors = socket.onError((err) => sendBack({ type: 'SOCKET_ERROR', message: messageOf(err) }));
  return () => {
    stopListening();
    stopErrors();
    if (report !== undefined) clock.clearTimeout(report);
  };
});
