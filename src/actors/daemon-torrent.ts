import { type AnyActorRef, assign, enqueueActions, fromPromise, setup } from 'xstate';
import { messageOf } from '../util/message-of.js';

/*
 * One torrent of the daemon (`actorrent daemon`): when it runs, and what a start, stop, verify,
 * file/location/name change or removal does to it. The work itself (the magnet's metadata fetch,
 * the resume data, the Session's TorrentHandle, folding counters) is injected as `DaemonTorrentWork`
 * (src/daemon/torrent-entry.ts); the handle's `checked` / `complete` / `failed` come back as events.
 * Which queued torrents may run is the Daemon machine's call (`ADMIT` / `QUEUE`, src/actors/daemon.ts).
 *
 *   settle ─▶ stopped | queued | failed          (where an idle torrent belongs: error? wanted?)
 *   queued ──ADMIT──▶ running: metadata? ─▶ preparing ─▶ checking ─▶ downloading ⇄ seeding (INCOMPLETE: more files wanted)
 *   running ──STOP / QUEUE / failed / seed limit──▶ halting ──▶ settle
 *   running ──VERIFY──▶ restarting ──▶ running (hashing everything)
 *   stopped | queued ──VERIFY──▶ verifying (check, then halt) ──▶ settle
 *   any ──CHANGE──▶ changing (halt, apply, run again if it ran) ;  any ──CLOSE──▶ closing ──▶ closed
 *
 * Files wanted and priorities are no CHANGE: they go to the running TorrentHandle as they are.
 *
 * The seed ratio / idle limits are looked at every `seedLimitCheckMs` while seeding (an `after`
 * delay on the actor's clock), and only while one applies (LIMITS_CHANGED says to look again): a
 * daemon's hundreds of unlimited seeds have no timer. The decision itself is the pure
 * src/policy/seed-limits.ts.
 */

export interface DaemonTorrentWork {
  /** The info dictionary is known (a .torrent, or a magnet's once fetched). */
  hasMetadata(): boolean;
  /** Fetches a magnet's metadata; rejects when `signal` aborts first. */
  fetchMetadata(signal: AbortSignal): Promise<void>;
  /** What a run starts from: the resume data, or nothing to trust when `verify` (hash everything). */
  prepareRun(options: { verify: boolean }): Promise<unknown>;
  /** Adds the torrent to the Session with what `prepareRun` gave; its events come back from now on. */
  launch(prepared: unknown): void;
  /** Stops what runs (the handle or the fetch) and keeps its counters; fine when nothing runs. */
  halt(): Promise<void>;
  /** Records the user's choice (Transmission's paused flag, saved with the torrent). */
  persistStopped(stopped: boolean): void;
  /** Why the seeding torrent should stop now (its ratio or idle limit), or undefined. */
  seedLimitReached(): 'ratio' | 'idle' | undefined;
  /** A ratio or idle limit applies (the torrent's own or the session's). */
  seedLimited(): boolean;
}

export interface DaemonTorrentInput {
  id: number;
  work: DaemonTorrentWork;
  /** Saved as stopped (paused): it stays stopped until started. */
  stopped: boolean;
  /** Told `TORRENT_CHANGED` whenever what the queue looks at may have changed. */
  daemon?: AnyActorRef;
  /** Default 1000 ms. */
  seedLimitCheckMs?: number;
}

export interface DaemonTorrentContext {
  id: number;
  work: DaemonTorrentWork;
  daemon?: AnyActorRef;
  seedLimitCheckMs: number;
  /** The user wants it running (not paused). */
  wanted: boolean;
  /** Started with start_now: runs whatever the queue says. */
  forced: boolean;
  /** Why it failed (a disk error, a run that could not start); '' when it did not. */
  error: string;
  /** The next run hashes every piece instead of trusting the resume data. */
  verifyNext: boolean;
  /** A change under way ends by running again (it ran before). */
  resumeRunning: boolean;
  /** Changes waiting to be applied, one after the other. */
  changes: (() => Promise<void>)[];
}

export type DaemonTorrentEvent =
  /** torrent_start (`now`: torrent_start_now). */
  | { type: 'START'; now?: boolean }
  | { type: 'STOP' }
  | { type: 'VERIFY' }
  /** Stop if running, `apply` (files wanted, location, a rename), run again if it ran. */
  | { type: 'CHANGE'; apply: () => Promise<void> }
  /** Removal or shutdown: stop for good. */
  | { type: 'CLOSE' }
  /** From the Daemon machine: a slot is free for it, or it no longer has one. */
  | { type: 'ADMIT' }
  | { type: 'QUEUE' }
  /** From the running TorrentHandle. */
  | { type: 'CHECKED'; complete: boolean }
  | { type: 'COMPLETE' }
  /** The handle downloads again: a new file selection wants pieces it lacks. */
  | { type: 'INCOMPLETE' }
  /** The torrent's or the session's seed ratio / idle limits changed. */
  | { type: 'LIMITS_CHANGED' }
  | { type: 'RUN_FAILED'; message: string };

/** Ratio and idle limits count in minutes (Transmission's units): a look every 5 s is precise enough and keeps 200 idle seeds cheap. */
const DEFAULT_SEED_LIMIT_CHECK_MS = 5000;

export const daemonTorrentMachine = setup({
  types: {
    context: {} as DaemonTorrentContext,
    input: {} as DaemonTorrentInput,
    events: {} as DaemonTorrentEvent,
  },
  actors: {
    fetchMetadata: fromPromise<void, { work: DaemonTorrentWork }>(({ input, signal }) => input.work.fetchMetadata(signal)),
    prepareRun: fromPromise<unknown, { work: DaemonTorrentWork; verify: boolean }>(({ input }) => input.work.prepareRun({ verify: input.verify })),
    halt: fromPromise<void, { work: DaemonTorrentWork }>(({ input }) => input.work.halt()),
    applyChange: fromPromise<void, { apply: () => Promise<void> }>(({ input }) => input.apply()),
  },
  delays: {
    SEED_LIMIT_CHECK: ({ context }) => context.seedLimitCheckMs,
  },
  guards: {
    hasError: ({ context }) => context.error !== '',
    wanted: ({ context }) => context.wanted,
    hasMetadata: ({ context }) => context.work.hasMetadata(),
    needsMetadata: ({ context }) => !context.work.hasMetadata(),
    everythingWanted: ({ event }) => event.type === 'CHECKED' && event.complete,
    seedLimitReached: ({ context }) => context.work.seedLimitReached() !== undefined,
    seedLimited: ({ context }) => context.work.seedLimited(),
    resumeRunning: ({ context }) => context.resumeRunning,
    moreChanges: ({ context }) => context.changes.length > 0,
  },
  actions: {
    /** The Daemon machine looks at the queue again. */
    tellDaemon: enqueueActions(({ context, enqueue }) => {
      if (context.daemon) enqueue.sendTo(context.daemon, { type: 'TORRENT_CHANGED', id: context.id });
    }),
    markStarted: enqueueActions(({ context, event, enqueue }) => {
      const forced = event.type === 'START' && event.now === true;
      enqueue.assign({ wanted: true, forced, error: '' });
      enqueue(() => context.work.persistStopped(false));
    }),
    markStopped: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ wanted: false, forced: false, resumeRunning: false });
      enqueue(() => context.work.persistStopped(true));
    }),
    recordFailure: assign({ error: ({ event }) => (event.type === 'RUN_FAILED' ? event.message : 'the torrent failed') }),
    recordError: assign({ error: ({ event }) => messageOf((event as { error?: unknown }).error ?? 'the torrent failed') }),
    clearError: assign({ error: '' }),
    verifyNextRun: assign({ verifyNext: true }),
    launch: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ verifyNext: false });
      const prepared = (event as { output?: unknown }).output;
      enqueue(() => context.work.launch(prepared));
    }),
    takeChange: assign({ changes: ({ context, event }) => (event.type === 'CHANGE' ? [...context.changes, event.apply] : context.changes) }),
    dropChange: assign({ changes: ({ context }) => context.changes.slice(1) }),
    resumeAfterChange: assign({ resumeRunning: true }),
    idleAfterChange: assign({ resumeRunning: false }),
  },
}).createMachine({
  id: 'daemon-torrent',
  context: ({ input }) => ({
    id: input.id,
    work: input.work,
    daemon: input.daemon,
    seedLimitCheckMs: input.seedLimitCheckMs ?? DEFAULT_SEED_LIMIT_CHECK_MS,
    wanted: !input.stopped,
    forced: false,
    error: '',
    verifyNext: false,
    resumeRunning: false,
    changes: [],
  }),
  initial: 'settle',
  on: {
    CLOSE: '.closing',
    // Waits for any halt under way (halting twice is harmless): the change never runs beside a run.
    CHANGE: { target: '.changing', actions: ['takeChange', 'idleAfterChange'] },
  },
  states: {
    /** Where an idle torrent belongs. */
    settle: {
      always: [{ guard: 'hasError', target: 'failed' }, { guard: 'wanted', target: 'queued' }, { target: 'stopped' }],
    },
    stopped: {
      entry: 'tellDaemon',
      on: {
        START: { target: 'settle', actions: 'markStarted' },
        VERIFY: { guard: 'hasMetadata', target: 'verifying' },
      },
    },
    /** Wants to run; waits for a slot. */
    queued: {
      entry: 'tellDaemon',
      on: {
        ADMIT: 'running',
        START: { target: 'queued', reenter: true, actions: 'markStarted' },
        STOP: { target: 'settle', actions: 'markStopped' },
        VERIFY: { guard: 'hasMetadata', target: 'verifying' },
      },
    },
    /** A disk error or a run that could not start: stays so until started again. */
    failed: {
      entry: 'tellDaemon',
      on: {
        START: { target: 'settle', actions: 'markStarted' },
        STOP: { actions: 'markStopped' },
        VERIFY: { guard: 'hasMetadata', target: 'verifying', actions: 'clearError' },
      },
    },
    /** Holds a queue slot: its metadata, then its TorrentHandle. */
    running: {
      entry: 'tellDaemon',
      initial: 'deciding',
      on: {
        START: { actions: ['markStarted', 'tellDaemon'] },
        STOP: { target: 'halting', actions: 'markStopped' },
        QUEUE: 'halting',
        RUN_FAILED: { target: 'halting', actions: 'recordFailure' },
        VERIFY: { guard: 'hasMetadata', target: 'restarting', actions: 'verifyNextRun' },
        CHANGE: { target: 'changing', actions: ['takeChange', 'resumeAfterChange'] },
      },
      states: {
        deciding: {
          always: [{ guard: 'needsMetadata', target: 'metadata' }, { target: 'preparing' }],
        },
        /** A magnet link: its info dictionary from peers. */
        metadata: {
          invoke: {
            src: 'fetchMetadata',
            input: ({ context }) => ({ work: context.work }),
            onDone: 'preparing',
            onError: { target: '#daemon-torrent.halting', actions: 'recordError' },
          },
        },
        /** Reads the resume data (unless verifying). */
        preparing: {
          invoke: {
            src: 'prepareRun',
            input: ({ context }) => ({ work: context.work, verify: context.verifyNext }),
            onDone: { target: 'checking', actions: 'launch' },
            onError: { target: '#daemon-torrent.halting', actions: 'recordError' },
          },
        },
        checking: {
          on: {
            CHECKED: [{ guard: 'everythingWanted', target: 'seeding' }, { target: 'downloading' }],
            COMPLETE: 'seeding',
          },
        },
        downloading: {
          entry: 'tellDaemon',
          on: { COMPLETE: 'seeding' },
        },
        seeding: {
          // Told once: the periodic look at the limits re-enters only `watching`, so the daemon (its
          // queue and its state file) hears nothing while nothing changes.
          entry: 'tellDaemon',
          on: { INCOMPLETE: 'downloading', LIMITS_CHANGED: '.deciding' },
          initial: 'deciding',
          states: {
            deciding: { always: [{ guard: 'seedLimited', target: 'watching' }, { target: 'unlimited' }] },
            /** No ratio or idle limit applies: nothing to look at until one is set. */
            unlimited: {},
            watching: {
              after: {
                SEED_LIMIT_CHECK: [
                  { guard: 'seedLimitReached', target: '#daemon-torrent.halting', actions: 'markStopped' },
                  { target: 'watching', reenter: true },
                ],
              },
            },
          },
        },
      },
    },
    /** Stops the run; then idle, wherever `settle` says. */
    halting: {
      entry: 'tellDaemon',
      invoke: {
        src: 'halt',
        input: ({ context }) => ({ work: context.work }),
        onDone: 'settle',
        onError: { target: 'settle', actions: 'recordError' },
      },
      on: {
        START: { actions: 'markStarted' },
        STOP: { actions: 'markStopped' },
      },
    },
    /** torrent_verify of a running torrent: stop, then run again hashing everything. */
    restarting: {
      invoke: {
        src: 'halt',
        input: ({ context }) => ({ work: context.work }),
        onDone: 'running',
        onError: { target: 'settle', actions: 'recordError' },
      },
      on: {
        STOP: { target: 'halting', actions: 'markStopped' },
        CHANGE: { target: 'changing', actions: ['takeChange', 'resumeAfterChange'] },
      },
    },
    /** torrent_verify of a torrent not running: hash everything, then stop again. */
    verifying: {
      entry: 'tellDaemon',
      initial: 'preparing',
      on: {
        START: { actions: 'markStarted' },
        STOP: { target: 'halting', actions: 'markStopped' },
        RUN_FAILED: { target: 'halting', actions: 'recordFailure' },
      },
      states: {
        preparing: {
          invoke: {
            src: 'prepareRun',
            input: ({ context }) => ({ work: context.work, verify: true }),
            onDone: { target: 'checking', actions: 'launch' },
            onError: { target: '#daemon-torrent.halting', actions: 'recordError' },
          },
        },
        checking: {
          on: { CHECKED: '#daemon-torrent.halting' },
        },
      },
    },
    /** Files wanted, location or names: stop if running, apply each change, run again if it ran. */
    changing: {
      entry: 'tellDaemon',
      initial: 'halting',
      on: {
        CHANGE: { actions: 'takeChange' },
        START: { actions: 'markStarted' },
        STOP: { actions: 'markStopped' },
      },
      states: {
        halting: {
          invoke: {
            src: 'halt',
            input: ({ context }) => ({ work: context.work }),
            onDone: 'applying',
            onError: 'applying',
          },
        },
        /** A change that fails is its caller's error (the caller is told); the torrent goes on as it was. */
        applying: {
          invoke: {
            src: 'applyChange',
            input: ({ context }) => ({ apply: context.changes[0] ?? (async () => undefined) }),
            onDone: { target: 'next', actions: 'dropChange' },
            onError: { target: 'next', actions: 'dropChange' },
          },
        },
        next: {
          always: [
            { guard: 'moreChanges', target: 'applying' },
            { guard: 'resumeRunning', target: '#daemon-torrent.running' },
            { target: '#daemon-torrent.settle' },
          ],
        },
      },
    },
    closing: {
      on: { CLOSE: {}, CHANGE: {} },
      invoke: {
        src: 'halt',
        input: ({ context }) => ({ work: context.work }),
        onDone: 'closed',
        onError: 'closed',
      },
    },
    closed: { type: 'final' },
  },
});
