import { SharedUdpPorts } from '../env/udp-ports.js';
import { type UtpTransport, type UtpTransportOptions, createUtpTransport } from '../env/utp-transport.js';
import type { SimUdp } from './sim-udp.js';
import type { SimClock } from './sim-clock.js';

/**
 * uTP for a simulated host: the real UtpSockets and endpoint over SimUdp datagrams, on the sim
 * clock (timestamps, timers, batched acks), so the same code as on real UDP runs deterministically.
 */
export function simUtpTransport(udp: SimUdp, address: string, clock: SimClock, options: Omit<UtpTransportOptions, 'ports' | 'clock'> & { rng: () => number }): UtpTransport {
  return createUtpTransport({ ...options, clock, ports: new SharedUdpPorts(udp.factory(address)) });
}
