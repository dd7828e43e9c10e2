import { type ActorRefFrom, assign, createActor, setup } from 'xstate';
import type { UtpLifecycleEvent, UtpLifecycleFactory, UtpLifecycleInput } from '../engine/utp/lifecycle.js';

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

export type { UtpLifecycleState } from '../engine/utp/lifecycle.js';
export type UtpConnectionInput = UtpLifecycleInput;
export type UtpConnectionEvent = UtpLifecycleEvent;

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

/** The engine's UtpLifecycleFactory: one machine per connection, on the connection's clock. */
export const startUtpConnection: UtpLifecycleFactory = (input, clock) => {
  const actor = createActor(utpConnectionMachine, { clock, input });
  actor.start();
  return {
    send: (event) => {
      if (actor.getSnapshot().status === 'active') actor.send(event);
    },
    stop: () => actor.stop(),
  };
};
