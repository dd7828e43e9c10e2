import { type ActorRefFrom, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { type QueueLimits, admittedToRun } from '../policy/daemon-queue.js';
import type { daemonTorrentMachine } from './daemon-torrent.js';
import { queueStanding } from './daemon-torrent-queries.js';

/*
 * The daemon's own lifecycle, its queue and its state saves (`actorrent daemon`):
 *
 *   starting ──(state folder read, Session listening, torrents restored)──▶ running ──CLOSE──▶ closing ──▶ closed
 *       └──cannot start──▶ failed
 *
 * running has two regions: `queue` (whenever a torrent or a setting changed, the pure
 * src/policy/daemon-queue.ts says which torrents may run; queued ones it admits are sent ADMIT, running
 * ones it no longer admits QUEUE) and `saving` (a change marks the state dirty; it is written
 * SAVE_DELAY later, so a burst of changes is one write). Each torrent is a DaemonTorrent actor
 * (src/actors/daemon-torrent.ts), registered here by id. The work (files, the Session) is injected.
 */

export type DaemonTorrentRef = ActorRefFrom<typeof daemonTorrentMachine>;

export interface DaemonWork {
  /** Reads the state folder, starts the Session, restores the torrents (each registered meanwhile). */
  start(): Promise<void>;
  /** Writes the state folder (errors are the work's to report: saving goes on). */
  save(): Promise<void>;
  /** Stops every torrent (they are sent CLOSE first), writes the state, closes the Session. */
  close(): Promise<void>;
  queueLimits(): QueueLimits;
  /** A torrent's place in the queue and whether it has all it wants (it then needs a seeding slot). */
  queueInfo(id: number): { queuePosition: number; complete: boolean } | undefined;
}

export interface DaemonInput {
  work: DaemonWork;
  /** Default 200 ms. */
  saveDelayMs?: number;
}

export interface DaemonContext {
  work: DaemonWork;
  saveDelayMs: number;
  torrents: Map<number, DaemonTorrentRef>;
  /** Changed while the state was being written: write again. */
  dirtyAgain: boolean;
  error?: string;
}

export type DaemonEvent =
  | { type: 'REGISTER_TORRENT'; id: number; ref: DaemonTorrentRef }
  | { type: 'FORGET_TORRENT'; id: number }
  /** From a DaemonTorrent: what the queue looks at may have changed. */
  | { type: 'TORRENT_CHANGED'; id: number }
  /** Queue order or queue settings changed. */
  | { type: 'RECONCILE' }
  /** Something to save. */
  | { type: 'DIRTY' }
  | { type: 'CLOSE' };

const DEFAULT_SAVE_DELAY_MS = 200;

export const daemonMachine = setup({
  types: {
    context: {} as DaemonContext,
    input: {} as DaemonInput,
    events: {} as DaemonEvent,
  },
  actors: {
    start: fromPromise<void, { work: DaemonWork }>(({ input }) => input.work.start()),
    save: fromPromise<void, { work: DaemonWork }>(({ input }) => input.work.save()),
    close: fromPromise<void, { work: DaemonWork }>(({ input }) => input.work.close()),
  },
  delays: {
    SAVE_DELAY: ({ context }) => context.saveDelayMs,
  },
  guards: {
    dirtyAgain: ({ context }) => context.dirtyAgain,
  },
  actions: {
    register: assign({
      torrents: ({ context, event }) => (event.type === 'REGISTER_TORRENT' ? new Map(context.torrents).set(event.id, event.ref) : context.torrents),
    }),
    forget: assign({
      torrents: ({ context, event }) => {
        if (event.type !== 'FORGET_TORRENT') return context.torrents;
        const torrents = new Map(context.torrents);
        torrents.delete(event.id);
        return torrents;
      },
    }),
    /** Starts what the queue admits, takes the slot back from what it no longer does. */
    reconcile: enqueueActions(({ context, enqueue }) => {
      const standings = [...context.torrents].map(([id, ref]) => ({ id, ref, standing: queueStanding(ref.getSnapshot()) }));
      const candidates = [];
      for (const { id, standing } of standings) {
        const info = standing.candidate ? context.work.queueInfo(id) : undefined;
        if (info) candidates.push({ id, queuePosition: info.queuePosition, complete: info.complete, forced: standing.forced });
      }
      const admitted = admittedToRun(candidates, context.work.queueLimits());
      for (const { id, ref, standing } of standings) {
        if (admitted.has(id) && standing.waiting) enqueue.sendTo(ref, { type: 'ADMIT' });
        else if (!admitted.has(id) && standing.holdsSlot && standing.candidate) enqueue.sendTo(ref, { type: 'QUEUE' });
      }
    }),
    closeTorrents: enqueueActions(({ context, enqueue }) => {
      for (const ref of context.torrents.values()) enqueue.sendTo(ref, { type: 'CLOSE' });
    }),
    markDirtyAgain: assign({ dirtyAgain: true }),
    clearDirtyAgain: assign({ dirtyAgain: false }),
  },
}).createMachine({
  id: 'daemon',
  context: ({ input }) => ({
    work: input.work,
    saveDelayMs: input.saveDelayMs ?? DEFAULT_SAVE_DELAY_MS,
    torrents: new Map(),
    dirtyAgain: false,
  }),
  initial: 'starting',
  on: {
    REGISTER_TORRENT: { actions: 'register' },
    FORGET_TORRENT: { actions: 'forget' },
  },
  states: {
    starting: {
      invoke: {
        src: 'start',
        input: ({ context }) => ({ work: context.work }),
        onDone: 'running',
        onError: { target: 'failed', actions: assign({ error: ({ event }) => String((event.error as Error)?.message ?? event.error) }) },
      },
    },
    running: {
      type: 'parallel',
      on: { CLOSE: 'closing' },
      states: {
        queue: {
          initial: 'deciding',
          states: {
            deciding: {
              entry: 'reconcile',
              on: {
                TORRENT_CHANGED: { actions: 'reconcile' },
                RECONCILE: { actions: 'reconcile' },
                REGISTER_TORRENT: { actions: ['register', 'reconcile'] },
                FORGET_TORRENT: { actions: ['forget', 'reconcile'] },
              },
            },
          },
        },
        saving: {
          initial: 'clean',
          states: {
            clean: { on: { DIRTY: 'dirty' } },
            /** Waits a little so that a burst of changes is written once. */
            dirty: { after: { SAVE_DELAY: 'writing' } },
            writing: {
              entry: 'clearDirtyAgain',
              on: { DIRTY: { actions: 'markDirtyAgain' } },
              invoke: {
                src: 'save',
                input: ({ context }) => ({ work: context.work }),
                onDone: [{ guard: 'dirtyAgain', target: 'dirty' }, { target: 'clean' }],
                onError: [{ guard: 'dirtyAgain', target: 'dirty' }, { target: 'clean' }],
              },
            },
          },
        },
      },
    },
    closing: {
      entry: 'closeTorrents',
      invoke: {
        src: 'close',
        input: ({ context }) => ({ work: context.work }),
        onDone: 'closed',
        onError: 'closed',
      },
    },
    closed: { type: 'final' },
    failed: { type: 'final' },
  },
});
