import { Observable, share } from 'rxjs';
import { type ActorRefFrom, type InspectionEvent, type Observer, createActor, waitFor } from 'xstate';
import { SYSTEM_IDS } from './actors/ids.js';
import { type LsdCounts, type LsdEmitted, lsdCounts, lsdMachine } from './actors/lsd.js';
import type { Clock } from './env/clock.js';
import { type LsdSocketFactory, udpLsdSocket } from './env/lsd-socket.js';

/**
 * A session's Local Service Discovery (BEP 14): the LSD actor on one multicast socket, serving every
 * torrent of the session that may use it (not private, not turned off). The Session owns one.
 */
export interface LocalDiscoveryOptions {
  /** Our listening port, announced. */
  port: number;
  /** The session's `host`: LSD runs on that address's interface. */
  interfaceAddress?: string;
  clock: Clock;
  rng: () => number;
  /** Default: real UDP multicast sockets. */
  socketFactory?: LsdSocketFactory;
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Peers heard announcing one of our torrents (hex infohash). */
  onPeers: (infoHash: string, peers: { host: string; port: number }[]) => void;
}

export class LocalDiscovery {
  /** `ready` (with the groups joined), `failed`, `announced`, `peer`, `warning`. */
  readonly events$: Observable<LsdEmitted>;
  private readonly actor: ActorRefFrom<typeof lsdMachine>;
  private closing?: Promise<void>;

  constructor(options: LocalDiscoveryOptions) {
    const factory = options.socketFactory ?? udpLsdSocket;
    this.actor = createActor(lsdMachine, {
      systemId: SYSTEM_IDS.lsd,
      clock: options.clock,
      inspect: options.inspect,
      input: {
        openSocket: () => factory({ interfaceAddress: options.interfaceAddress }),
        clock: options.clock,
        port: options.port,
        rng: options.rng,
        onPeers: options.onPeers,
      },
    });
    const actor = this.actor;
    this.events$ = new Observable<LsdEmitted>((subscriber) => {
      const events = actor.on('*', (event) => subscriber.next(event as LsdEmitted));
      return () => events.unsubscribe();
    }).pipe(share());
    actor.start();
  }

  /** Announces this torrent from now on (`infoHash` in hex). */
  add(infoHash: string): void {
    this.actor.send({ type: 'ADD_TORRENT', infoHash: infoHash.toLowerCase() });
  }

  remove(infoHash: string): void {
    this.actor.send({ type: 'REMOVE_TORRENT', infoHash: infoHash.toLowerCase() });
  }

  counts(): LsdCounts {
    return lsdCounts(this.actor);
  }

  /** Closes the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.actor.send({ type: 'STOP' });
      await waitFor(this.actor, (s) => s.status !== 'active', { timeout: 5000 }).catch(() => undefined);
      this.actor.stop();
    })();
    return this.closing;
  }
}
