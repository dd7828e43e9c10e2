import { type ActorRefFrom, assign, setup } from 'xstate';

/**
 * The lifecycle of one uTP connection (BEP 29). The machine decides; the packet path (the
 * UtpSocket in src/engine/utp) carries: it reports what the network did (acked SYN, FIN, RESET,
 * retransmissions exhausted) and does what the machine says on entering a state (`onState`).
 *
 *   synSent ──SYN_ACKED──▶ connected          (we dialled; CONNECT_TIMEOUT ▶ timedOut)
 *   synReceived ──DATA──▶ connected           (they dialled; half-open until their first data)
 *   connected: outgoing open ──END──▶ finSent ──FIN_ACKED──▶ finAcked
 *              incoming open ──FIN_RECEIVED──▶ finReceived
 *              both done ▶ closed;  finSent lingers at most FIN_TIMEOUT
 *   any ──RESET──▶ reset;  ──TIMED_OUT──▶ timedOut;  ──DESTROY──▶ closed
 *
 * Timers are `after` delays on the actor's clock, so the simulator drives them.
 */

export type UtpLifecycleState = 'synSent' | 'synReceived' | 'connected' | 'closed' | 'reset' | 'timedOut';

export interface UtpConnectionInput {
  initiator: boolean;
  connectTimeoutMs: number;
  /** How long a sent FIN waits for its ack before the connection is given up. */
  finTimeoutMs?: number;
  /** Called on entering each state (the final ones with why). */
  onState: (state: UtpLifecycleState, reason?: string) => void;
  /** Our FIN is due (the writer ended and everything queued went out). */
  sendFin: () => void;
}

export type UtpConnectionEvent =
  | { type: 'SYN_ACKED' }
  | { type: 'DATA' }
  | { type: 'END' }
  | { type: 'FIN_ACKED' }
  | { type: 'FIN_RECEIVED' }
  | { type: 'RESET' }
  | { type: 'TIMED_OUT'; reason: string }
  | { type: 'DESTROY' };

interface UtpConnectionContext {
  input: UtpConnectionInput;
  reason?: string;
}

export const utpConnectionMachine = setup({
  types: {
    context: {} as UtpConnectionContext,
    input: {} as UtpConnectionInput,
    events: {} as UtpConnectionEvent,
  },
  delays: {
    CONNECT_TIMEOUT: ({ context }) => context.input.connectTimeoutMs,
    FIN_TIMEOUT: ({ context }) => context.input.finTimeoutMs ?? 10_000,
  },
  guards: {
    initiator: ({ context }) => context.input.initiator,
  },
  actions: {
    announceConnected: ({ context }) => context.input.onState('connected'),
    sendFin: ({ context }) => context.input.sendFin(),
    announceClosed: ({ context }) => context.input.onState('closed', context.reason),
    announceReset: ({ context }) => context.input.onState('reset', 'connection reset by the peer (ST_RESET)'),
    announceTimedOut: ({ context }) => context.input.onState('timedOut', context.reason),
  },
}).createMachine({
  id: 'utpConnection',
  context: ({ input }) => ({ input }),
  initial: 'opening',
  states: {
    opening: {
      always: [{ guard: 'initiator', target: 'synSent' }, { target: 'synReceived' }],
    },
    synSent: {
      on: { SYN_ACKED: 'connected' },
      after: { CONNECT_TIMEOUT: { target: 'timedOut', actions: assign({ reason: 'no answer to our SYN' }) } },
    },
    /** Half-open: a SYN answered, nothing from the peer since (a forged source never gets further). */
    synReceived: {
      on: { DATA: 'connected', FIN_RECEIVED: 'closed' },
      after: { CONNECT_TIMEOUT: { target: 'timedOut', actions: assign({ reason: 'no data after the SYN' }) } },
    },
    connected: {
      entry: 'announceConnected',
      type: 'parallel',
      states: {
        outgoing: {
          initial: 'open',
          states: {
            open: { on: { END: { target: 'finSent', actions: 'sendFin' } } },
            finSent: {
              on: { FIN_ACKED: 'finAcked' },
              after: { FIN_TIMEOUT: { target: '#utpConnection.timedOut', actions: assign({ reason: 'our FIN was never acknowledged' }) } },
            },
            finAcked: { type: 'final' },
          },
        },
        incoming: {
          initial: 'open',
          states: {
            open: { on: { FIN_RECEIVED: 'finReceived' } },
            finReceived: { type: 'final' },
          },
        },
      },
      onDone: 'closed',
    },
    closed: { type: 'final', entry: 'announceClosed' },
    reset: { type: 'final', entry: 'announceReset' },
    timedOut: { type: 'final', entry: 'announceTimedOut' },
  },
  on: {
    RESET: '.reset',
    TIMED_OUT: { target: '.timedOut', actions: assign({ reason: ({ event }) => event.reason }) },
    DESTROY: '.closed',
  },
});

export type UtpConnectionActor = ActorRefFrom<typeof utpConnectionMachine>;
