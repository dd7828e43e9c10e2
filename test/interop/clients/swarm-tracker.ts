import type { HttpAnnounceRequest } from '../../../src/protocol/tracker/index.js';
import { type HttpTracker, startHttpTracker } from '../../actors/trackers.js';
import { until } from '../../support/until.js';

export interface SwarmTracker extends HttpTracker {
  /** Resolves with the first announce whose peer id starts with `prefix` (e.g. `A2-`, `-AC`). */
  announced(prefix: string, timeoutMs?: number): Promise<HttpAnnounceRequest>;
}

/**
 * An HTTP tracker on 127.0.0.1 that hands every announcing peer the others that have announced
 * (all at 127.0.0.1, on the port each one sent) and forgets a peer when it announces `stopped`.
 * Peers are told to come back in 5 s, so one that announced before the others still learns of them.
 */
export async function startSwarmTracker(): Promise<SwarmTracker> {
  const swarm = new Map<string, { port: number }>(); // by peer id
  const tracker = await startHttpTracker((request) => {
    const id = request.peerId.toString('latin1');
    if (request.event === 'stopped') swarm.delete(id);
    else swarm.set(id, { port: request.port });
    const peers = [...swarm].filter(([other]) => other !== id).map(([, p]) => ({ host: '127.0.0.1', port: p.port }));
    return { interval: 5, minInterval: 1, peers, complete: 0, incomplete: swarm.size };
  });
  return {
    ...tracker,
    announced: (prefix, timeoutMs = 15_000) =>
      until(() => tracker.requests.find((r) => r.peerId.toString('latin1').startsWith(prefix)), {
        what: `an announce from a peer id starting ${prefix}`,
        timeoutMs,
        intervalMs: 50,
      }),
  };
}
