import type { Clock } from '../env/clock.js';
import type { PeerSocket } from '../env/transport.js';
import type { SimHost } from './sim-network.js';

/**
 * An attacker on the simulated network: holds `connections` connections to one peer that never
 * send a byte, and reopens each one `reopenAfterMs` after it is closed or refused, so the pressure
 * stays for the whole run.
 */
export interface IdleFloodOptions {
  host: SimHost;
  clock: Clock;
  target: { address: string; port: number };
  connections: number;
  reopenAfterMs: number;
}

export interface IdleFlood {
  /** Connections tried, established, and closed by the target once established. */
  readonly stats: { attempts: number; opened: number; closed: number };
  stop(): void;
}

export function startIdleFlood(options: IdleFloodOptions): IdleFlood {
  const { host, clock, target } = options;
  const stats = { attempts: 0, opened: 0, closed: 0 };
  const sockets = new Set<PeerSocket>();
  let stopped = false;
  const later = (slot: number) => clock.setTimeout(() => open(slot), options.reopenAfterMs);
  const open = (slot: number) => {
    if (stopped) return;
    stats.attempts++;
    host.connect({ host: target.address, port: target.port, timeoutMs: 10_000 }).then(
      (socket) => {
        if (stopped) return socket.destroy();
        stats.opened++;
        sockets.add(socket);
        socket.on('error', () => undefined);
        socket.once('close', () => {
          sockets.delete(socket);
          stats.closed++;
          later(slot);
        });
      },
      () => later(slot),
    );
  };
  for (let slot = 0; slot < options.connections; slot++) open(slot);
  return {
    stats,
    stop() {
      stopped = true;
      for (const socket of sockets) socket.destroy();
    },
  };
}
