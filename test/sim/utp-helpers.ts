import { createHash } from 'node:crypto';
import { type Rng, randomBytesFrom, seededRng } from '../../src/env/rng.js';
import type { PeerSocket } from '../../src/env/transport.js';
import type { UtpTransport } from '../../src/env/utp-transport.js';
import { SimClock } from '../../src/sim/sim-clock.js';
import { type LinkProfile, SimNetwork } from '../../src/sim/sim-network.js';
import { SimUdp } from '../../src/sim/sim-udp.js';
import { simUtpTransport } from '../../src/sim/sim-utp.js';

/** Two hosts on a SimNetwork joined by one link, each with uTP over SimUdp. */
export function utpPair(link: LinkProfile, seed = 1, dialerRng?: () => number) {
  const clock = new SimClock();
  const network = new SimNetwork({ clock, rng: seededRng(seed), defaultLink: link });
  network.host('10.0.0.1');
  network.host('10.0.0.2');
  const udp = new SimUdp(network, seededRng(seed + 1));
  const a = simUtpTransport(udp, '10.0.0.1', clock, { rng: dialerRng ?? seededRng(seed + 2) });
  const b = simUtpTransport(udp, '10.0.0.2', clock, { rng: seededRng(seed + 3) });
  return { clock, network, udp, a, b };
}

export interface TransferResult {
  ok: boolean;
  received: number;
  /** Simulated ms from the dial to the last byte. */
  ms: number;
  sender: PeerSocket;
}

/**
 * Sends `size` seeded bytes from a to b over one uTP connection on the sim clock, and checks
 * them byte for byte (SHA-1). Stops at `limitMs` simulated.
 */
export async function simTransfer(clock: SimClock, a: UtpTransport, b: UtpTransport, size: number, options: { limitMs: number; seed?: number; onTick?: (sender: PeerSocket) => void }): Promise<TransferResult> {
  const rng: Rng = seededRng(options.seed ?? 9);
  const data = randomBytesFrom(rng)(size);
  const hash = createHash('sha1');
  let received = 0;
  let doneAt: number | undefined;
  const listener = await b.listen({ host: '10.0.0.2', port: 6881 }, (socket) => {
    socket.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      received += chunk.length;
      if (received >= size) doneAt = clock.now();
    });
    socket.on('error', () => undefined);
  });
  const start = clock.now();
  let sender: PeerSocket | undefined;
  const dialing = a.connect({ host: '10.0.0.2', port: listener.port, timeoutMs: 5000 }).then((s) => {
    sender = s;
    s.on('error', () => undefined);
    let at = 0;
    const pump = () => {
      while (at < size) {
        const ok = s.write(data.subarray(at, Math.min(size, at + 16 * 1024)));
        at += 16 * 1024;
        if (!ok) return void s.once('drain', pump);
      }
    };
    pump();
  });
  dialing.catch(() => undefined);
  let lastTick = clock.now();
  while (doneAt === undefined && clock.now() - start < options.limitMs) {
    await clock.advance(10, 1);
    if (sender && options.onTick && clock.now() - lastTick >= 100) {
      lastTick = clock.now();
      options.onTick(sender);
    }
  }
  const ok = received === size && hash.digest('hex') === createHash('sha1').update(data).digest('hex');
  sender?.destroy();
  await clock.advance(100, 1);
  await listener.close();
  return { ok, received, ms: (doneAt ?? clock.now()) - start, sender: sender! };
}
