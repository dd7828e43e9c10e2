import { fromCallback } from 'xstate';
import type { Clock } from '../env/clock.js';
import type { LsdSocket } from '../env/lsd-socket.js';
import { DEFAULT_LSD_INTAKE, type LsdIntakeOptions, admitDatagram, emptyIntake } from '../policy/lsd.js';
import { LSD_MAX_DATAGRAM_BYTES, type LsdAnnounce, type LsdFamily, LsdError, decodeLsdAnnounce } from '../protocol/lsd.js';
import { messageOf } from '../util/message-of.js';

/*
 * The LSD service's ear: reads the multicast socket and hands the machine only announces that pass
 * the intake limits (src/policy/lsd.ts) and decode. The limits are applied here, before anything is
 * parsed, so a flood from the LAN costs a bucket check per datagram, not a machine transition;
 * what was turned away is reported as counts, at most once a second.
 */

export type LsdListenerEvent =
  | { type: 'HEARD'; address: string; family: LsdFamily; announce: LsdAnnounce }
  | { type: 'DROPPED'; rateLimited: number; malformed: number }
  | { type: 'SOCKET_ERROR'; message: string };

export interface LsdListenerInput {
  socket: LsdSocket;
  clock: Clock;
  intake?: Partial<LsdIntakeOptions>;
}

const REPORT_EVERY_MS = 1000;

export const lsdListener = fromCallback<LsdListenerEvent, LsdListenerInput>(({ input, sendBack }) => {
  const { socket, clock } = input;
  const options = { ...DEFAULT_LSD_INTAKE, ...input.intake };
  let intake = emptyIntake(clock.now(), options);
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

  const stopListening = socket.onDatagram(({ data, address, family }) => {
    if (data.length > LSD_MAX_DATAGRAM_BYTES) return countDrop('malformed');
    const admitted = admitDatagram(intake, address, clock.now(), options);
    intake = admitted.intake;
    if (admitted.verdict !== 'accepted') return countDrop('rateLimited');
    let announce: LsdAnnounce;
    try {
      announce = decodeLsdAnnounce(data);
    } catch (err) {
      if (err instanceof LsdError) return countDrop('malformed');
      throw err;
    }
    sendBack({ type: 'HEARD', address, family, announce });
  });
  const stopErrors = socket.onError((err) => sendBack({ type: 'SOCKET_ERROR', message: messageOf(err) }));
  return () => {
    stopListening();
    stopErrors();
    if (report !== undefined) clock.clearTimeout(report);
  };
});
