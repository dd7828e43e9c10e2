import type { ActorRefLike, InspectionEvent } from 'xstate';
import { activePaths, chartNameOf } from './machine-charts.js';

/**
 * What the dashboard knows of every actor, kept up to date from XState's inspection events. Events
 * only update records in memory (cheap, whatever the rate); the dashboard reads them on its tick.
 * Only actors with a statechart are listed (machines in src/diagrams/machines.ts); the callback
 * and promise actors inside them are not.
 */
export interface ActorView {
  /** Unique in the process (XState numbers actors per system, and each torrent is a system). */
  id: string;
  /** The session it belongs to ("download", "seeder", "leecher 2", "tracker"). */
  label: string;
  /** Diagram name: torrent, peer, downloader… */
  machine: string;
  /** The actor's own id, e.g. the peer's "127.0.0.1:6881#1". */
  name: string;
  parent?: string;
  status: string;
  /** Paths of the active states ("active", "active.amChoking", "active.amChoking.choking"…). */
  active: string[];
  /** The event that made the last transition. */
  lastEvent?: string;
  transitions: number;
}

interface ActorRecord {
  view: ActorView;
  ref: ActorRefLike;
  endedAt?: number;
}

/** How long a peer actor that ended (a closed connection) stays on the page; the other actors stay. */
const ENDED_KEPT_MS = 15_000;
const COME_AND_GO = new Set(['peer']);

export class ActorBoard {
  private readonly records = new Map<ActorRefLike, ActorRecord>();
  private next = 0;

  constructor(private readonly now: () => number = Date.now) {}

  inspect(label: string, event: InspectionEvent): void {
    switch (event.type) {
      case '@xstate.actor':
        this.recordOf(label, event.actorRef);
        return;
      case '@xstate.snapshot': {
        const record = this.recordOf(label, event.actorRef);
        if (!record) return;
        const snapshot = event.snapshot as { status?: string; value?: unknown };
        record.view.status = snapshot.status ?? record.view.status;
        record.view.active = activePaths(snapshot.value);
        record.view.lastEvent = event.event.type;
        record.view.transitions++;
        return;
      }
      default:
        return;
    }
  }

  /** The actors to show; reads statuses the events may not have reported (an actor stopped by its parent). */
  views(): ActorView[] {
    const now = this.now();
    const out: ActorView[] = [];
    for (const [ref, record] of this.records) {
      const status = currentSnapshot(ref)?.status;
      if (status && status !== record.view.status) {
        record.view.status = status;
      }
      if (record.view.status !== 'active') {
        record.endedAt ??= now;
        if (COME_AND_GO.has(record.view.machine) && now - record.endedAt > ENDED_KEPT_MS) {
          this.records.delete(ref);
          continue;
        }
      }
      out.push(record.view);
    }
    return out;
  }

  private recordOf(label: string, ref: ActorRefLike): ActorRecord | undefined {
    const known = this.records.get(ref);
    if (known) return known;
    const machine = chartNameOf((ref as { logic?: unknown }).logic);
    if (!machine) return undefined;
    const snapshot = currentSnapshot(ref);
    const parentRef = (ref as { _parent?: ActorRefLike })._parent;
    const record: ActorRecord = {
      ref,
      view: {
        id: `a${this.next++}`,
        label,
        machine,
        name: (ref as { id?: string }).id ?? machine,
        parent: parentRef ? this.records.get(parentRef)?.view.id : undefined,
        status: snapshot?.status ?? 'active',
        active: activePaths(snapshot?.value),
        transitions: 0,
      },
    };
    this.records.set(ref, record);
    return record;
  }
}

/** An actor's snapshot, or undefined while XState is still constructing it. */
function currentSnapshot(ref: ActorRefLike): { status?: string; value?: unknown } | undefined {
  try {
    return ref.getSnapshot() as { status?: string; value?: unknown } | undefined;
  } catch {
    return undefined;
  }
}
