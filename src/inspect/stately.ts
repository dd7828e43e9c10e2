import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { ActorRefLike, AnyEventObject, InspectionEvent } from 'xstate';
import { ObserverError, type SessionObserver } from '../session-observer.js';
import { LoopbackServer } from '../ui/loopback-server.js';
import { messageOf } from '../util/message-of.js';
import { toJsonSafe } from './json-safe.js';
import { statelyBridgePage } from './stately-bridge-page.js';

/**
 * `--inspect`: the actors of every session, live in the Stately inspector. A loopback relay serves
 * a page that embeds stately.ai/inspect and forwards to it, over a WebSocket, the events made by
 * @statelyai/inspect's `createInspector`. The package's own relay (`createInspectorServer`) listens
 * on every address, on a fixed port, opens a browser and keeps the process alive; its WebSocket
 * client retries forever. Ours binds 127.0.0.1, takes port 0, and is unref'd.
 *
 * Events are made from cut-down snapshots (json-safe: bytes as `{ bytes: n }`, class instances by
 * name), not XState's raw ones, which hold sockets and piece data.
 */
export interface StatelyInspector extends SessionObserver {
  /** The page to open. */
  readonly url: string;
  readonly port: number;
}

/** Events kept for a browser that connects late (as the package's relay does). */
const REPLAY = 200;
/**
 * Announcements of live actors, kept apart from the recent events: with LSD, the DHT and many peers
 * the 200 recent events can be all chatter, and a late browser must still learn every actor.
 */
const LIVE_ACTORS = 2000;
const SOCKET_PATH = '/events';

export async function startStatelyInspector(options: { port?: number; log?: (line: string) => void } = {}): Promise<StatelyInspector> {
  const replay: string[] = [];
  const liveActors = new Map<string, string>();
  const server = await LoopbackServer.start({
    port: options.port ?? 0,
    socketPath: SOCKET_PATH,
    pages: { '/': { contentType: 'text/html; charset=utf-8', body: statelyBridgePage(SOCKET_PATH) } },
    onConnection: (ws) => {
      const recent = new Set(replay);
      liveActors.forEach((message) => recent.has(message) || ws.send(message));
      replay.forEach((message) => ws.send(message));
    },
  }).catch((err: unknown) => {
    throw new ObserverError(`cannot start the inspector relay: ${messageOf(err)}`);
  });
  const relay: Parameters<typeof createInspector>[0] = {
    send(event: StatelyInspectionEvent) {
      const message = JSON.stringify(event);
      trackLiveActor(liveActors, event, message);
      replay.push(message);
      if (replay.length > REPLAY) replay.shift();
      server.broadcast(message);
    },
  };
  const inspector = createInspector(relay, { autoStart: false });
  const refs = new ActorStandIns();
  (options.log ?? ((line) => process.stderr.write(`${line}\n`)))(`inspector: open ${server.url} (it loads the Stately inspector from stately.ai)`);

  return {
    url: server.url,
    port: server.port,
    inspect(label, event) {
      // Called inside XState's event processing: a failure here must never reach the actors.
      try {
        forward(inspector, refs, label, event);
      } catch {
        // the inspector misses one event
      }
    },
    async close() {
      await server.close();
    },
  };
}

function trackLiveActor(liveActors: Map<string, string>, event: StatelyInspectionEvent, message: string): void {
  if (event.type === '@xstate.actor') {
    liveActors.set(event.sessionId, message);
    if (liveActors.size > LIVE_ACTORS) liveActors.delete(liveActors.keys().next().value as string);
    return;
  }
  const status = event.type === '@xstate.snapshot' ? (event.snapshot as { status?: string } | undefined)?.status : undefined;
  if (status === 'done' || status === 'error' || status === 'stopped') liveActors.delete(event.sessionId);
}

function forward(inspector: ReturnType<typeof createInspector>, refs: ActorStandIns, label: string, event: InspectionEvent): void {
  switch (event.type) {
    case '@xstate.actor':
      return inspector.actor(refs.of(label, event.actorRef), safeSnapshot(event.actorRef.getSnapshot()));
    case '@xstate.event':
      return inspector.event(refs.of(label, event.actorRef), safeEvent(event.event), {
        source: event.sourceRef ? refs.of(label, event.sourceRef) : undefined,
      });
    case '@xstate.snapshot':
      return inspector.snapshot(refs.of(label, event.actorRef), safeSnapshot(event.snapshot), { event: safeEvent(event.event) });
    default:
      // Microsteps and actions: the inspector rebuilds transitions from snapshots and events.
      return;
  }
}

export function safeSnapshot(snapshot: unknown): { status?: 'active' | 'done' | 'error' | 'stopped'; value?: unknown; context?: unknown; output?: unknown } {
  // XState announces an actor (`@xstate.actor`) before its first snapshot exists.
  if (snapshot === undefined || snapshot === null) return { status: 'active' };
  const s = snapshot as { status?: 'active' | 'done' | 'error' | 'stopped'; value?: unknown; context?: unknown; output?: unknown; error?: unknown };
  return {
    status: s.status,
    value: toJsonSafe(s.value, { depth: 8 }),
    context: toJsonSafe(s.context, { depth: 3 }),
    output: toJsonSafe(s.output, { depth: 3 }),
  };
}

export function safeEvent(event: AnyEventObject): AnyEventObject {
  const safe = toJsonSafe(event, { depth: 3 });
  return typeof safe === 'object' && safe !== null && !Array.isArray(safe) && typeof safe['type'] === 'string' ? (safe as AnyEventObject) : { type: String(event.type) };
}

/**
 * XState numbers actors per actor system ("x:0", "x:1"…), and every torrent and every session's
 * server is a system of its own: the inspector gets stand-ins with ids unique in the process, which
 * keep the machine definition and the parent chain it draws from.
 */
class ActorStandIns {
  private readonly standIns = new WeakMap<ActorRefLike, StandIn>();
  private next = 0;

  of(label: string, ref: ActorRefLike): StandIn {
    let standIn = this.standIns.get(ref);
    if (!standIn) {
      const parent = (ref as { _parent?: ActorRefLike })._parent;
      const id = (ref as { id?: string }).id ?? ref.sessionId;
      standIn = {
        sessionId: `${label} ${id} #${this.next++}`,
        id,
        logic: (ref as { logic?: unknown }).logic,
        _parent: parent ? this.of(label, parent) : undefined,
        send: () => undefined,
        getSnapshot: () => ref.getSnapshot(),
      };
      this.standIns.set(ref, standIn);
    }
    return standIn;
  }
}

interface StandIn {
  sessionId: string;
  id: string;
  logic: unknown;
  _parent?: StandIn;
  send(): void;
  getSnapshot(): unknown;
}
