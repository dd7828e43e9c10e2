import type { Clock } from '../../env/clock.js';

/**
 * What a uTP socket needs of its lifecycle machine (src/actors/utp-connection.ts), as an interface
 * the engine owns: the socket signals what the packets say, the machine decides the state and calls
 * back. The machine is injected (UtpEndpointOptions.lifecycle), so the engine never imports an actor.
 */

export type UtpLifecycleState = 'synSent' | 'synReceived' | 'connected' | 'closed' | 'reset' | 'timedOut';

export interface UtpLifecycleInput {
  initiator: boolean;
  connectTimeoutMs: number;
  /** How long a sent FIN waits for its ack before the connection is given up. */
  finTimeoutMs?: number;
  /** Called on entering each state (the final ones with why). */
  onState: (state: UtpLifecycleState, reason?: string) => void;
  /** Our FIN is due (the writer ended and everything queued went out). */
  sendFin: () => void;
}

export type UtpLifecycleEvent =
  | { type: 'SYN_ACKED' }
  | { type: 'DATA' }
  | { type: 'END' }
  | { type: 'FIN_ACKED' }
  | { type: 'FIN_RECEIVED' }
  | { type: 'RESET' }
  | { type: 'TIMED_OUT'; reason: string }
  | { type: 'DESTROY' };

export interface UtpLifecycle {
  /** Ignored once the machine has ended. */
  send(event: UtpLifecycleEvent): void;
  stop(): void;
}

/** Starts one connection's lifecycle, its timers on `clock`. */
export type UtpLifecycleFactory = (input: UtpLifecycleInput, clock: Clock) => UtpLifecycle;
